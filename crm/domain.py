"""The one error a service raises when it refuses an action, and its two translations.

Services of every app raise ``DomainError(message, field=...)``: the message is for the
user, in their language; the field, when there is one, is the input it is about (a
service argument's name). Pages attach it to their form, the partner API answers with
its error shape; neither re-decides what the service already decided.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django import forms
    from django_stubs_ext import StrOrPromise
    from rest_framework.exceptions import ValidationError


class DomainError(Exception):
    """A refused action, with a message for the user and the field it concerns."""

    def __init__(self, message: StrOrPromise, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    @property
    def errors(self) -> list[DomainError]:
        """Every problem refused at once; a refusal that lists several overrides this."""
        return [self]


def add_to_form(form: forms.BaseForm, error: DomainError) -> None:
    """Show each of ``error``'s problems on its field of ``form``, or above the form when it
    has no such field."""
    for each in error.errors:
        form.add_error(each.field if each.field in form.fields else None, each.message)


def as_api_error(error: DomainError, inputs: dict[str, str] | None = None) -> ValidationError:
    """The API's validation error for ``error``; ``inputs`` maps service arguments to the
    names the API's callers send, where they differ."""
    from rest_framework.exceptions import ValidationError

    detail: dict[str, list[StrOrPromise]] = {}
    for each in error.errors:
        field = each.field
        if field is not None:
            field = (inputs or {}).get(field, field)
        field = field or "non_field_errors"
        detail.setdefault(field, []).append(each.message)
    return ValidationError(detail)
