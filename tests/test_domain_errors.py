"""A service's refusal reaches the user the same way from a page and from the API."""

from django import forms

from crm.domain import DomainError, add_to_form, as_api_error


class ReasonForm(forms.Form):
    reason = forms.CharField()


def test_a_page_shows_the_refusal_on_its_field_or_above_the_form():
    form = ReasonForm(data={"reason": "x"})
    form.is_valid()
    add_to_form(form, DomainError("说明原因", field="reason"))
    add_to_form(form, DomainError("整体拒绝", field="not_on_this_form"))
    assert form.errors == {"reason": ["说明原因"], "__all__": ["整体拒绝"]}


def test_the_api_answers_with_the_field_its_callers_send():
    error = DomainError("Not allowed now.", field="to_status")
    assert as_api_error(error).detail == {"to_status": ["Not allowed now."]}
    renamed = as_api_error(error, {"to_status": "status"})
    assert renamed.detail == {"status": ["Not allowed now."]}
    assert as_api_error(DomainError("No.")).detail == {"non_field_errors": ["No."]}
