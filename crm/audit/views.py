from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.contrib.auth.decorators import permission_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.api.inputs import MAX_UTC_OFFSET
from crm.audit.selectors import (
    TrailFilters,
    TrailPosition,
    customer_filter_available,
    find_customer,
    recent_audit_entries,
    record_type_choices,
)
from crm.forms import MarksInvalidFields, bootstrap
from crm.http import StaffRequest
from crm.paging import InvalidCursor, decode_cursor, encode_cursor
from crm.tenancy.decorators import tenant_staff_required
from crm.tenancy.models import Staff

PAGE_SIZE = 50
CURSOR_TAG = "audit"


def trail_cursor(position: TrailPosition) -> str:
    """An opaque, URL-safe token for "the entries after this one"."""
    return encode_cursor(
        [CURSOR_TAG, position.occurred_at.isoformat(), position.table, position.row_id]
    )


def trail_position(token: str) -> TrailPosition:
    values = decode_cursor(token, CURSOR_TAG)
    try:
        occurred_at_text, table, row_id = values
        occurred_at = datetime.fromisoformat(occurred_at_text)
    except (TypeError, ValueError) as error:
        raise InvalidCursor(token) from error
    offset = occurred_at.utcoffset()
    # An offset PostgreSQL cannot store would fail in the query, not as a bad cursor.
    if offset is None or abs(offset) >= MAX_UTC_OFFSET:
        raise InvalidCursor(token)
    if not isinstance(table, str) or type(row_id) is not int:
        raise InvalidCursor(token)
    return TrailPosition(occurred_at, table, row_id)


class AuditFilterForm(MarksInvalidFields, forms.Form):
    category = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[
            ("", _("Everything")),
            ("change", _("Changes")),
            ("login", _("Logins")),
            ("access", _("Personal data viewed")),
            ("feed", _("Partner feeds")),
        ],
    )
    record_type = forms.ChoiceField(label=_("Record type"), required=False)
    staff = forms.CharField(
        label=_("Staff member (username)"), required=False, max_length=150, strip=True
    )
    customer = forms.CharField(
        label=_("Customer number"), required=False, max_length=32, strip=True
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput({"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput({"type": "date"})
    )
    include_system = forms.BooleanField(label=_("Include system jobs"), required=False)
    after = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, auditor: Staff, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.auditor = auditor
        record_type = self.fields["record_type"]
        assert isinstance(record_type, forms.ChoiceField)
        record_type.choices = [("", _("Any")), *record_type_choices()]
        if not customer_filter_available():
            del self.fields["customer"]
        bootstrap(self)

    def clean_staff(self) -> Staff | None:
        username = self.cleaned_data.get("staff")
        if not username:
            return None
        tenant = self.auditor.tenant
        staff = Staff.objects.filter(tenant=tenant, username=username).first() if tenant else None
        if staff is None:
            raise forms.ValidationError(_("No staff member of this bank has this username."))
        return staff

    def clean_customer(self) -> Any:
        number = self.cleaned_data.get("customer")
        if not number:
            return None
        customer = find_customer(self.auditor, number)
        if customer is None:
            raise forms.ValidationError(_("No customer you may see has this number."))
        return customer

    def clean_after(self) -> TrailPosition | None:
        token = self.cleaned_data.get("after")
        if not token:
            return None
        try:
            return trail_position(token)
        except InvalidCursor:
            raise forms.ValidationError(
                _("This link to older entries is not valid; start from the newest.")
            ) from None

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        if (
            cleaned
            and cleaned.get("date_from")
            and cleaned.get("date_to")
            and cleaned["date_from"] > cleaned["date_to"]
        ):
            raise forms.ValidationError(_("The start date is after the end date."))
        return cleaned

    def trail_filters(self) -> TrailFilters:
        data = self.cleaned_data
        tz = timezone.get_current_timezone()
        filters = TrailFilters(
            category=data.get("category") or "",
            position=data.get("after"),
            staff=data.get("staff"),
            customer=data.get("customer"),
            record_type=data.get("record_type") or "",
            include_system=bool(data.get("include_system")),
        )
        if data.get("date_from"):
            filters.after = datetime.combine(data["date_from"], time.min, tzinfo=tz)
        if data.get("date_to"):
            next_day = data["date_to"] + timedelta(days=1)
            filters.before = datetime.combine(next_day, time.min, tzinfo=tz)
        return filters


@tenant_staff_required
@permission_required("audit.view_audit_trail", raise_exception=True)
def trail(request: StaffRequest) -> HttpResponse:
    """The tenant's audit trail for its auditors: who changed what, who logged in."""
    form = AuditFilterForm(request.GET, auditor=request.user)
    if not form.is_valid():
        return render(request, "audit/trail.html", {"form": form, "entries": []}, status=400)
    assert request.user.tenant is not None  # tenant_staff_required
    entries = recent_audit_entries(
        tenant=request.user.tenant, limit=PAGE_SIZE + 1, filters=form.trail_filters()
    )
    older_query = None
    if len(entries) > PAGE_SIZE:
        entries = entries[:PAGE_SIZE]
        query = request.GET.copy()
        query["after"] = trail_cursor(entries[-1].position)
        older_query = query.urlencode()
    return render(
        request, "audit/trail.html", {"form": form, "entries": entries, "older_query": older_query}
    )
