"""django-axes' database handler, keeping its records of login attempts as platform code.

The attempt tables hold every bank's usernames and client addresses, and are written
before anyone's bank is known, so they sit under platform-only row-level security
(``crm.tenancy.rls.PlatformOnlyRowLevelSecurity``): each of the handler's methods that
touches them runs platform-wide, and no bank's transaction can read or change them.
"""

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from axes.handlers.database import AxesDatabaseHandler

from crm.tenancy.context import platform_wide

_TOUCHING_THE_TABLES = (
    "reset_attempts",
    "reset_logs",
    "reset_failure_logs",
    "remove_out_of_limit_failure_logs",
    "get_failures",
    "user_login_failed",
    "user_logged_in",
    "user_logged_out",
    "filter_user_attempts",
    "get_user_attempts",
    "clean_expired_user_attempts",
    "reset_user_attempts",
    "post_save_access_attempt",
    "post_delete_access_attempt",
)


_P = ParamSpec("_P")
_R = TypeVar("_R")


def _platform_wide(method: Callable[_P, _R]) -> Callable[_P, _R]:
    @functools.wraps(method)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with platform_wide():
            return method(*args, **kwargs)

    return wrapper


class PlatformLockoutHandler(AxesDatabaseHandler):  # type: ignore[misc]  # untyped django-axes
    pass


for _name in _TOUCHING_THE_TABLES:
    setattr(PlatformLockoutHandler, _name, _platform_wide(getattr(AxesDatabaseHandler, _name)))
