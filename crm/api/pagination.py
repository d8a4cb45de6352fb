"""Keyset pages for every list of the partner API."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.pagination import CursorPagination

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView

WHOLE_NUMBER = re.compile(r"[0-9]{1,9}")


class IdCursorPagination(CursorPagination):
    """Stable keyset pages: no COUNT over a big table, no page drift while partners sync.

    A ``page_size`` that is not a whole number from 1 to ``max_page_size`` is refused (400,
    naming the parameter) rather than silently replaced by the default: a partner who asks
    for ``page_size=null`` or ``5000`` learns it at once, not from short pages.
    """

    ordering = "id"
    page_size_query_param = "page_size"
    max_page_size = 1000
    page_size_message = _("Give a whole number from 1 to %(max)d.")

    def get_page_size(self, request: Request) -> int:
        given = request.query_params.get(self.page_size_query_param)
        if given is None:
            return int(self.page_size or 0)
        if WHOLE_NUMBER.fullmatch(given) and 1 <= int(given) <= self.max_page_size:
            return int(given)
        message = str(self.page_size_message) % {"max": self.max_page_size}
        raise ValidationError({self.page_size_query_param: [ErrorDetail(message, code="invalid")]})

    def get_schema_operation_parameters(self, view: APIView) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
                parameter["schema"]["default"] = self.page_size
        return parameters
