"""Forms of the channel pages: timeline filters, contacts, requests, contact preferences."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from channels import selectors
from channels.models import (
    Channel,
    FollowUp,
    Interaction,
    Outlet,
    ServiceRequest,
    ServiceRequestType,
)
from crm import bounds
from crm.forms import MarksInvalidFields, bootstrap, branch_label, manager_label
from crm.tenancy.models import Branch, Staff
from crm.tenancy.roles import Role
from customers.models import Consent, Customer

OUT_OF_DATE = _("This page link is out of date: start again from the first page.")


class ChannelChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Channel) -> str:
        return obj.name


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Staff) -> str:
        return manager_label(obj)


class BranchChoiceField(forms.ModelChoiceField):
    top_depth = 0  # depth of the staff member's own branch: the tree is indented from there

    def label_from_instance(self, obj: Branch) -> str:
        return branch_label(obj, self.top_depth)


# --- the timeline -----------------------------------------------------------------------------


class TimelineFilterForm(forms.Form):
    """The timeline's filters and position, from the query string."""

    channel = forms.ChoiceField(
        label=_("Channel"),
        required=False,
        choices=[("", _("All channels")), *Channel.Kind.choices],
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[
            ("", _("All kinds")),
            *Interaction.Kind.choices,
            (selectors.REQUEST_STEPS, _("Service request steps")),
        ],
    )
    after = forms.CharField(required=False, max_length=400, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "timeline_%s")
        super().__init__(*args, **kwargs)
        bootstrap(self)
        for bound in self.visible_fields():
            bound.field.widget.attrs["class"] += " form-select-sm w-auto"

    def clean_after(self) -> str:
        after = self.cleaned_data["after"]
        if after:
            try:
                selectors.decode_timeline_cursor(after)
            except selectors.InvalidCursor:
                raise ValidationError(OUT_OF_DATE, code="cursor") from None
        return after

    def filters(self) -> dict:
        """Arguments of ``selectors.timeline_page`` (the defaults while unbound)."""
        if not self.is_bound:
            return {}
        return {
            "channel_kind": self.cleaned_data["channel"],
            "kind": self.cleaned_data["kind"],
            "after": self.cleaned_data["after"],
        }


# --- logging a contact ------------------------------------------------------------------------

# The buttons of the timeline: which channel the contact was in.
PRESETS = {
    "counter": Channel.Kind.COUNTER,
    "phone": Channel.Kind.PHONE,
    "other": None,
}


def contact_defaults(
    staff: Staff, customer: Customer | None, preset: str, workplace: selectors.Workplace
) -> dict:
    """What a contact most likely was, from who logs it, for whom, and which button they used.

    At the counter the customer came in: an inbound service, at the staff member's own
    outlet. Elsewhere, a relationship manager logging a contact with a customer (hers, or as
    one who calls customers) is following up: an outbound callback; anyone else answered the
    customer: an inbound enquiry by phone, an inbound service in another channel. Without a
    button, the staff member's own channel.
    """
    if preset not in PRESETS:
        preset = next(
            (name for name, kind in PRESETS.items() if kind == workplace.channel_kind), "other"
        )
    channel_kind = PRESETS[preset]
    if preset == "counter":
        outlet = workplace.outlet_id if workplace.channel_kind == Channel.Kind.COUNTER else None
        return {
            "channel_kind": channel_kind,
            "kind": Interaction.Kind.SERVICE,
            "direction": Interaction.Direction.INBOUND,
            "outlet": outlet,
        }
    follows_up = staff.has_role(Role.RELATIONSHIP_MANAGER) or (
        customer is not None and customer.relationship_manager_id == staff.pk
    )
    if follows_up:
        kind, direction = Interaction.Kind.CALLBACK, Interaction.Direction.OUTBOUND
    elif preset == "phone":
        kind, direction = Interaction.Kind.ENQUIRY, Interaction.Direction.INBOUND
    else:
        kind, direction = Interaction.Kind.SERVICE, Interaction.Direction.INBOUND
    return {"channel_kind": channel_kind, "kind": kind, "direction": direction, "outlet": None}


class InteractionForm(MarksInvalidFields, forms.Form):
    """One contact with the customer, logged by the staff member serving them."""

    channel = ChannelChoiceField(
        label=_("Channel"), queryset=Channel.objects.none(), empty_label=_("Choose a channel")
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=Interaction.Kind.choices)
    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=Interaction.Direction.choices,
        initial=Interaction.Direction.INBOUND,
    )
    summary = forms.CharField(
        label=_("Summary"),
        max_length=500,
        error_messages={"required": _("Say what the contact was about.")},
    )
    outcome = forms.CharField(label=_("Outcome"), max_length=300, required=False)
    amount = forms.DecimalField(
        label=_("Amount (CNY)"),
        required=False,
        max_digits=18,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=bounds.MAX_AMOUNT,
        help_text=_("Transactions only."),
    )
    outlet = forms.ModelChoiceField(
        label=_("Outlet"),
        queryset=Outlet.objects.none(),
        required=False,
        empty_label=_("None"),
    )

    def __init__(
        self,
        *args,
        staff: Staff,
        customer: Customer | None = None,
        preset: str = "",
        **kwargs,
    ):
        kwargs.setdefault("auto_id", "interaction_%s")
        super().__init__(*args, **kwargs)
        self.fields["channel"].queryset = selectors.active_channels()
        # Branch outlets only: ATMs and terminals log their own transactions through the API.
        self.fields["outlet"].queryset = Outlet.objects.in_scope(staff).filter(
            is_active=True, kind=Outlet.Kind.BRANCH_OUTLET
        )
        if not self.is_bound:
            defaults = contact_defaults(staff, customer, preset, selectors.workplace_of(staff))
            self.fields["kind"].initial = defaults["kind"]
            self.fields["direction"].initial = defaults["direction"]
            self.fields["outlet"].initial = defaults["outlet"]
            if defaults["channel_kind"]:
                channel = (
                    self.fields["channel"].queryset.filter(kind=defaults["channel_kind"]).first()
                )
                self.fields["channel"].initial = channel.pk if channel else None
        self.fields["summary"].widget.attrs.update(autofocus=True, autocomplete="off")
        self.fields["kind"].widget.attrs["data-interaction-kind"] = ""
        self.fields["amount"].widget.attrs.update(inputmode="decimal")
        bootstrap(self)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("kind") != Interaction.Kind.TRANSACTION:
            # The field is hidden for other kinds: a figure typed before the kind was
            # changed is not what the staff member means to record.
            cleaned["amount"] = None
        return cleaned

    def service_arguments(self) -> dict:
        """Keyword arguments of ``services.interaction_log`` (besides customer and staff)."""
        return {
            name: self.cleaned_data[name]
            for name in ("channel", "kind", "direction", "summary", "outcome", "amount", "outlet")
        }


# --- service requests ---------------------------------------------------------------------------


class QueueForm(forms.Form):
    """Which queue, where in it, or which request number to find (query string)."""

    tab = forms.ChoiceField(required=False, choices=list(selectors.Queue.LABELS.items()))
    after = forms.CharField(required=False, max_length=400, widget=forms.HiddenInput)
    number = forms.CharField(label=_("Request number"), required=False, max_length=40)

    def __init__(self, *args, staff: Staff, **kwargs):
        kwargs.setdefault("auto_id", "queue_%s")
        super().__init__(*args, **kwargs)
        self.staff = staff
        self.fields["number"].widget.attrs.update(
            placeholder=_("Request number, e.g. SR20260105000123"),
            autocomplete="off",
            spellcheck="false",
        )
        bootstrap(self)

    def clean_tab(self) -> str:
        return self.cleaned_data["tab"] or selectors.default_queue(self.staff)

    def clean_number(self) -> str:
        return selectors.normalize_request_number(self.cleaned_data["number"])

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("after") and "tab" in cleaned:
            try:
                selectors.decode_queue_cursor(cleaned["tab"], cleaned["after"])
            except selectors.InvalidCursor:
                self.add_error("after", ValidationError(OUT_OF_DATE, code="cursor"))
        return cleaned


def _with_default_channel(form: forms.Form, staff: Staff) -> None:
    """Preset the channel to the staff member's own, unless the caller already chose it."""
    if form.is_bound or "channel" in form.initial:
        return
    field = form.fields["channel"]
    channel = selectors.default_channel(selectors.workplace_of(staff), list(field.queryset))
    field.initial = channel.pk if channel else None


class ServiceRequestOpenForm(MarksInvalidFields, forms.Form):
    """A new request of the customer, opened in the channel where they asked for it."""

    request_type = forms.ModelChoiceField(
        label=_("Type"),
        queryset=ServiceRequestType.objects.none(),
        empty_label=_("Choose a type"),
    )
    summary = forms.CharField(
        label=_("Summary"),
        max_length=300,
        error_messages={"required": _("Say what the customer asks for.")},
    )
    channel = ChannelChoiceField(label=_("Opened in"), queryset=Channel.objects.none())

    def __init__(self, *args, staff: Staff, **kwargs):
        kwargs.setdefault("auto_id", "open_request_%s")
        super().__init__(*args, **kwargs)
        self.fields["request_type"].queryset = ServiceRequestType.objects.filter(is_active=True)
        self.fields["channel"].queryset = selectors.active_channels()
        _with_default_channel(self, staff)
        self.fields["summary"].widget.attrs.update(autocomplete="off")
        bootstrap(self)


# Button labels for the statuses a request can move to.
MOVE_ACTIONS = {
    ServiceRequest.Status.ACCEPTED: _("Accept"),
    ServiceRequest.Status.IN_PROGRESS: _("Start work"),
    ServiceRequest.Status.WAITING_FOR_CUSTOMER: _("Wait for the customer"),
    ServiceRequest.Status.COMPLETED: _("Complete"),
    ServiceRequest.Status.REJECTED: _("Reject"),
    ServiceRequest.Status.CANCELLED: _("Cancel the request"),
}


class ServiceRequestMoveForm(MarksInvalidFields, forms.Form):
    """Move a request on, from the channel where the staff member is working."""

    # Every status: the service, not the form, says which move the workflow allows, so that
    # a stale page gets the same clear message as the API.
    to_status = forms.ChoiceField(
        choices=ServiceRequest.Status.choices,
        widget=forms.HiddenInput,
        error_messages={"required": _("Choose what happens to the request.")},
    )
    channel = ChannelChoiceField(label=_("Channel"), queryset=Channel.objects.none())
    note = forms.CharField(
        label=_("Note"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required to reject or cancel a request."),
    )

    def __init__(self, *args, staff: Staff, **kwargs):
        kwargs.setdefault("auto_id", "move_%s")
        super().__init__(*args, **kwargs)
        self.fields["channel"].queryset = selectors.active_channels()
        _with_default_channel(self, staff)
        bootstrap(self)


class ServiceRequestReassignForm(MarksInvalidFields, forms.Form):
    """Give a request to a colleague or a team within the staff member's scope."""

    owner = StaffChoiceField(
        label=_("Owner"),
        queryset=Staff.objects.none(),
        required=False,
        empty_label=_("Nobody: the team's queue"),
    )
    team = BranchChoiceField(label=_("Team"), queryset=Branch.objects.none(), empty_label=None)
    channel = ChannelChoiceField(label=_("Channel"), queryset=Channel.objects.none())
    note = forms.CharField(label=_("Note"), max_length=500, required=False)

    def __init__(
        self,
        *args,
        staff: Staff,
        request: ServiceRequest,
        **kwargs,
    ):
        kwargs.setdefault("auto_id", "reassign_%s")
        kwargs["initial"] = {
            "owner": request.owner_id,
            "team": request.team_id,
            **kwargs.get("initial", {}),
        }
        super().__init__(*args, **kwargs)
        colleagues = Staff.objects.in_scope(staff).active().select_related("branch")
        self.fields["owner"].queryset = colleagues.order_by("branch__path", "name")
        branches = Branch.objects.in_scope(staff).active().order_by("path")
        self.fields["team"].queryset = branches
        self.fields["team"].top_depth = 0 if staff.branch is None else staff.branch.depth
        self.fields["channel"].queryset = selectors.active_channels()
        _with_default_channel(self, staff)
        bootstrap(self)

    def out_of_scope(self) -> bool:
        """A colleague or team the staff member may not see was sent: treat as unknown."""
        return self.has_error("owner", "invalid_choice") or self.has_error("team", "invalid_choice")


class TimeOfDayInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%H:%M")


class ChannelPreferenceForm(MarksInvalidFields, forms.Form):
    """How the customer wants to be contacted, as staff record it."""

    preferred_channel = ChannelChoiceField(
        label=_("Preferred channel"),
        queryset=Channel.objects.none(),
        required=False,
        empty_label=_("No preference"),
    )
    contact_from = forms.TimeField(label=_("Contact from"), required=False, widget=TimeOfDayInput)
    contact_until = forms.TimeField(label=_("Contact until"), required=False, widget=TimeOfDayInput)
    do_not_contact = forms.BooleanField(
        label=_("Do not contact"),
        required=False,
        help_text=_("No marketing in any channel, whatever the consents say."),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "preference_%s")
        super().__init__(*args, **kwargs)
        self.fields["preferred_channel"].queryset = selectors.active_channels()
        bootstrap(self)


# The sources a member of staff records an answer from; SMS replies, imports and partner
# systems record their own answers, with their own source.
STAFF_CONSENT_SOURCES = [
    Consent.Source.COUNTER,
    Consent.Source.PHONE,
    Consent.Source.MOBILE_APP,
    Consent.Source.ONLINE,
    Consent.Source.LETTER,
]
GIVE, WITHDRAW = "give", "withdraw"


class ConsentForm(MarksInvalidFields, forms.Form):
    """A customer's answer for one purpose and channel, as staff record it."""

    purpose = forms.ChoiceField(label=_("Purpose"), choices=Consent.Purpose.choices)
    channel = forms.ChoiceField(label=_("Channel"), choices=Consent.Channel.choices)
    decision = forms.ChoiceField(
        label=_("Answer"),
        choices=[(GIVE, _("Gives consent")), (WITHDRAW, _("Withdraws consent"))],
        widget=forms.RadioSelect,
    )
    source = forms.ChoiceField(
        label=_("Given through"),
        choices=[(source.value, source.label) for source in STAFF_CONSENT_SOURCES],
    )
    recorded_on = forms.DateField(
        label=_("Date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("When the customer gave the answer."),
    )

    def __init__(self, *args, today: date, **kwargs):
        kwargs.setdefault("auto_id", "consent_%s")
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["recorded_on"].widget.attrs["max"] = today.isoformat()
        bootstrap(self)

    def clean_recorded_on(self) -> date:
        recorded_on: date = self.cleaned_data["recorded_on"]
        if recorded_on > self.today:
            raise ValidationError(_("The date cannot be in the future."), code="future")
        return recorded_on


# --- follow-ups -------------------------------------------------------------------------------


class DueTimeInput(forms.DateTimeInput):
    """The browser's date-and-time picker; the value is read in the bank's time zone."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


DUE_TIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


class FollowUpForm(MarksInvalidFields, forms.Form):
    """Plan a contact with the customer: by whom, by when, why and how."""

    purpose = forms.ChoiceField(
        label=_("Purpose"), choices=FollowUp.Purpose.choices, initial=FollowUp.Purpose.MANUAL
    )
    due_at = forms.DateTimeField(
        label=_("Due"), input_formats=DUE_TIME_FORMATS, widget=DueTimeInput
    )
    owner = StaffChoiceField(label=_("Owner"), queryset=Staff.objects.none(), empty_label=None)
    preferred_channel = ChannelChoiceField(
        label=_("Channel"),
        queryset=Channel.objects.none(),
        required=False,
        empty_label=_("Any channel"),
    )
    notes = forms.CharField(
        label=_("Notes"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args, staff: Staff, customer: Customer, **kwargs):
        kwargs.setdefault("auto_id", "follow_up_%s")
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = (
            Staff.objects.in_scope(staff).active().select_related("branch").order_by("name")
        )
        # The customer's own manager makes the contact unless someone else is chosen.
        self.fields["owner"].initial = customer.relationship_manager_id or staff.pk
        self.fields["preferred_channel"].queryset = selectors.active_channels()
        bootstrap(self)

    def out_of_scope(self) -> bool:
        return self.has_error("owner", "invalid_choice")


class FollowUpCompleteForm(MarksInvalidFields, forms.Form):
    """What came of the contact; a customer not reached can be called again later."""

    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[("", _("Choose the outcome")), *FollowUp.Outcome.choices],
        error_messages={"required": _("Choose what came of the contact.")},
    )
    notes = forms.CharField(label=_("Notes"), max_length=400, required=False)
    reschedule_to = forms.DateTimeField(
        label=_("Call again at"),
        required=False,
        input_formats=DUE_TIME_FORMATS,
        widget=DueTimeInput,
        help_text=_("Only when the customer was not reached or asked for a callback."),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "complete_%s")
        super().__init__(*args, **kwargs)
        bootstrap(self)


class FollowUpCancelForm(MarksInvalidFields, forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        error_messages={"required": _("Say why the follow-up is cancelled.")},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "cancel_%s")
        super().__init__(*args, **kwargs)
        bootstrap(self)


class FollowUpReassignForm(forms.Form):
    to_staff = StaffChoiceField(label=_("Give to"), queryset=Staff.objects.none())

    def __init__(self, *args, staff: Staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_staff"].queryset = (
            Staff.objects.in_scope(staff).active().select_related("branch").order_by("name")
        )
        bootstrap(self)
