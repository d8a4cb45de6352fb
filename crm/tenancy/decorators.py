import functools

from django.http import Http404


def tenant_staff_required(view):
    """Pages about one bank's work: platform administrators (no bank) use the admin instead."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.user.tenant_id is None:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper
