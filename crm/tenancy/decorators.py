import functools
from collections.abc import Callable
from typing import Concatenate, ParamSpec, TypeVar

from django.http import Http404

from crm.http import StaffRequest

_P = ParamSpec("_P")
_R = TypeVar("_R")


def tenant_staff_required(
    view: Callable[Concatenate[StaffRequest, _P], _R],
) -> Callable[Concatenate[StaffRequest, _P], _R]:
    """Pages about one bank's work: platform administrators (no bank) use the admin instead."""

    @functools.wraps(view)
    def wrapper(request: StaffRequest, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        if request.user.tenant_id is None:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper
