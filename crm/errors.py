"""Error pages: JSON in the API's error shape under /api/ and /o/, HTML elsewhere."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(("/api/", "/o/"))


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(
            {
                "type": "client_error",
                "errors": [{"code": "not_found", "detail": _("Not found."), "attr": None}],
            },
            status=404,
        )
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _is_api(request):
        return JsonResponse(
            {
                "type": "server_error",
                "errors": [
                    {"code": "error", "detail": _("A server error occurred."), "attr": None}
                ],
            },
            status=500,
        )
    return defaults.server_error(request)
