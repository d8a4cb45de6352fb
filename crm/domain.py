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
    from rest_framework.exceptions import ValidationError


class DomainError(Exception):
    """A refused action, with a message for the user and the field it concerns."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def add_to_form(form: forms.BaseForm, error: DomainError) -> None:
    """Show ``error`` on its field of ``form``, or above the form when it has no such field."""
    form.add_error(error.field if error.field in form.fields else None, error.message)


def as_api_error(error: DomainError, inputs: dict[str, str] | None = None) -> ValidationError:
    """The API's validation error for ``error``; ``inputs`` maps service arguments to the
    names the API's callers send, where they differ."""
    from rest_framework.exceptions import ValidationError

    field = error.field
    if field is not None:
        field = (inputs or {}).get(field, field)
    return ValidationError({field or "non_field_errors": [error.message]})
