"""A customer's contact preferences: the panel, changing them, and the contact policy."""

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

import channels.panels  # noqa: F401  (registers the panels, as channels' AppConfig does)
from channels import services
from channels.contact_policy import contact_allowed
from channels.models import Channel, ChannelPreference
from crm.audit.selectors import change_entries
from crm.domain import DomainError
from crm.tenancy.roles import Role
from crm.tenancy.time_zones import time_zone_name
from customers.services import consent_record
from tests.factories.channels import standard_catalog
from tests.panels import customer_page, queries_added_by_panel
from tests.translation import zh

HTMX = {"HX-Request": "true"}
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def channel(bank_a):
    return standard_catalog(bank_a.tenant)["channels"]


def detail_url(customer) -> str:
    return reverse("customers:detail", args=[customer.pk])


def edit_url(customer) -> str:
    return reverse("channels:preferences", args=[customer.pk])


def panel_url(customer) -> str:
    return reverse("channels:preferences_panel", args=[customer.pk])


def consent(bank, customer, channel_name, granted, purpose="marketing"):
    with bank.scope():
        consent_record(
            customer=customer,
            purpose=purpose,
            channel=channel_name,
            granted=granted,
            source="counter",
            actor=None,
        )


def set_preference(bank, customer, **values):
    arguments = {
        "preferred_channel": None,
        "contact_from": None,
        "contact_until": None,
        "do_not_contact": False,
        "actor": None,
        **values,
    }
    with bank.scope():
        return services.channel_preference_set(customer=customer, **arguments)


def preference_of(bank, customer) -> ChannelPreference | None:
    with bank.scope():
        return ChannelPreference.objects.filter(customer=customer).first()


def panel_of(html: str) -> str:
    assert 'data-testid="panel-contact_preferences"' in html
    return html.split('data-testid="panel-contact_preferences"')[1].split("</section>")[0]


def consent_allowed(panel: str) -> dict[str, str]:
    return dict(re.findall(r'data-testid="consent-([a-z]+)" data-allowed="(yes|no)"', panel))


# --- what the panel shows ---------------------------------------------------------------------


def test_panel_shows_the_preferences_next_to_the_marketing_consents(bank_a, channel, client_for):
    customer = bank_a.customer
    set_preference(
        bank_a,
        customer,
        preferred_channel=channel["WECHAT"],
        contact_from=time(9, 0),
        contact_until=time(18, 30),
    )
    consent(bank_a, customer, "any", True)
    consent(bank_a, customer, "phone", False)  # the channel's own answer wins over "any"
    consent(bank_a, customer, "sms", True, purpose="personalised_offers")  # not marketing

    panel = panel_of(
        customer_page(client_for(bank_a[Role.RELATIONSHIP_MANAGER]), detail_url(customer))
    )

    assert channel["WECHAT"].name in panel
    assert "09:00" in panel and "18:30" in panel
    # The bank's zone by the name staff use for it ("Beijing time"), not its IANA code.
    assert str(time_zone_name("Asia/Shanghai")) in panel and "Asia/Shanghai" not in panel
    assert consent_allowed(panel) == {
        "sms": "yes",
        "phone": "no",
        "wechat": "yes",
        "email": "yes",
        "any": "yes",
    }
    assert 'data-testid="do-not-contact"' not in panel
    assert 'data-testid="edit-preferences"' in panel
    # The other purpose is in the same panel, with where it came from.
    assert 'data-testid="consent-personalised_offers-sms"' in panel


def test_consents_are_shown_once_on_the_customer_page(bank_a, channel, client_for):
    """The contact preferences read the consents: the plain list of them gives way."""
    customer = bank_a.customer
    consent(bank_a, customer, "sms", True)
    consent(bank_a, customer, "sms", True, purpose="personalised_offers")
    for role in (Role.TELLER, Role.AUDITOR, Role.MARKETING_MANAGER):
        page = customer_page(client_for(bank_a[role]), detail_url(customer))
        assert page.count('data-testid="panel-contact_preferences"') == 1
        assert 'data-testid="panel-consents"' not in page
        assert 'data-testid="consents"' not in page
        assert page.count('data-testid="consent-sms"') == 1
        assert page.count('data-testid="consent-personalised_offers-sms"') == 1
    # Nor can the replaced panel be loaded on its own.
    response = client_for(bank_a[Role.TELLER]).get(f"{detail_url(customer)}panels/consents/")
    assert response.status_code == 404


def test_do_not_contact_stands_out_and_overrides_the_consents(bank_a, channel, client_for):
    customer = bank_a.customer
    set_preference(bank_a, customer, do_not_contact=True)
    consent(bank_a, customer, "sms", True)

    panel = panel_of(customer_page(client_for(bank_a[Role.TELLER]), detail_url(customer)))

    assert 'data-testid="do-not-contact"' in panel
    assert "badge text-bg-danger" in panel
    assert consent_allowed(panel)["sms"] == "yes"  # the answer itself is still shown


def test_a_customer_who_said_nothing_may_not_be_marketed_to(bank_a, channel, client_for):
    panel = panel_of(customer_page(client_for(bank_a[Role.TELLER]), detail_url(bank_a.customer)))
    assert set(consent_allowed(panel).values()) == {"no"}
    assert 'data-testid="hours-now"' not in panel  # no hours: any time
    assert preference_of(bank_a, bank_a.customer) is None  # reading creates nothing


def test_the_panel_adds_two_queries_and_the_page_stays_within_twenty(
    bank_a, channel, client_for, django_assert_max_num_queries
):
    """Counted against the page without the panel, with a preference and every consent."""
    customer = bank_a.customer
    set_preference(bank_a, customer, preferred_channel=channel["PHONE"], contact_from=time(8))
    for channel_name in ("sms", "phone", "wechat", "email", "any"):
        consent(bank_a, customer, channel_name, True)
    for role in (Role.AUDITOR, Role.TELLER, Role.BRANCH_MANAGER):
        client = client_for(bank_a[role])
        with django_assert_max_num_queries(20):
            assert client.get(detail_url(customer)).status_code == 200

    client = client_for(bank_a[Role.RELATIONSHIP_MANAGER])
    # The preferences and marketing consents in one query, the other consents in another.
    assert queries_added_by_panel(client, detail_url(customer), "contact_preferences") == 2


# --- changing them ------------------------------------------------------------------------------


def test_edit_loads_the_form_with_the_current_values(bank_a, channel, client_for):
    customer = bank_a.customer
    set_preference(bank_a, customer, preferred_channel=channel["SMS"], contact_until=time(20, 0))
    response = client_for(bank_a[Role.TELLER]).get(edit_url(customer), headers=HTMX)
    html = response.text
    assert response.status_code == 200
    assert "<html" not in html  # a fragment, swapped into the panel
    assert f'hx-post="{edit_url(customer)}"' in html
    assert re.search(rf'<option value="{channel["SMS"].pk}" selected>', html)
    assert 'value="20:00"' in html


def test_staff_record_preferences_and_the_panel_comes_back_with_them(bank_a, channel, client_for):
    customer = bank_a.customer
    teller = bank_a[Role.TELLER]
    response = client_for(teller).post(
        edit_url(customer),
        {
            "preferred_channel": channel["PHONE"].pk,
            "contact_from": "09:30",
            "contact_until": "17:00",
            "do_not_contact": "on",
        },
        headers=HTMX,
    )
    assert response.status_code == 200
    assert 'data-testid="preferences-saved"' in response.text
    assert 'data-testid="do-not-contact"' in response.text
    assert channel["PHONE"].name in response.text
    preference = preference_of(bank_a, customer)
    assert preference.preferred_channel_id == channel["PHONE"].pk
    assert (preference.contact_from, preference.contact_until) == (time(9, 30), time(17, 0))
    assert preference.do_not_contact is True
    # The change is in the auditors' trail, with who made it. (Everything in a test shares
    # one transaction time, so the trail's "newest" is read wide.)
    with bank_a.scope():
        entries = [
            entry
            for entry in change_entries(bank_a.tenant, limit=1000)
            if entry.subject_type == str(ChannelPreference._meta.verbose_name)
        ]
    assert len(entries) == 1 and entries[0].actor == teller.username


def test_without_javascript_the_form_is_a_page_and_saving_returns_to_the_customer(
    bank_a, channel, client_for
):
    customer = bank_a.customer
    set_preference(bank_a, customer, do_not_contact=True)
    client = client_for(bank_a[Role.RELATIONSHIP_MANAGER])
    page = client.get(edit_url(customer))
    assert page.status_code == 200 and "<html" in page.text
    response = client.post(edit_url(customer), {"preferred_channel": "", "contact_from": ""})
    assert response.status_code == 302 and response.url == detail_url(customer)
    preference = preference_of(bank_a, customer)
    assert preference.do_not_contact is False and preference.preferred_channel_id is None


def test_cancel_brings_the_panel_back(bank_a, channel, client_for):
    client = client_for(bank_a[Role.TELLER])
    form = client.get(edit_url(bank_a.customer), headers=HTMX).text
    assert f'hx-get="{panel_url(bank_a.customer)}"' in form
    panel = client.get(panel_url(bank_a.customer), headers=HTMX)
    assert panel.status_code == 200 and 'data-testid="marketing-consents"' in panel.text
    assert client.get(panel_url(bank_a.customer)).status_code == 302  # no page of its own


def test_saving_unchanged_preferences_writes_no_history(bank_a, channel, client_for):
    values = {"preferred_channel": channel["SMS"], "contact_from": time(9)}
    set_preference(bank_a, bank_a.customer, **values)
    set_preference(bank_a, bank_a.customer, **values)
    with bank_a.scope():
        events = ChannelPreference.pgh_event_model.objects.filter(customer=bank_a.customer)
        assert list(events.values_list("pgh_label", flat=True)) == ["insert"]
        set_preference(bank_a, bank_a.customer, **values, do_not_contact=True)
        assert list(events.order_by("pgh_id").values_list("pgh_label", flat=True)) == [
            "insert",
            "update",
        ]


def test_the_actor_is_recorded_when_no_request_names_one(bank_a, channel):
    rm = bank_a[Role.RELATIONSHIP_MANAGER]
    set_preference(bank_a, bank_a.customer, do_not_contact=True, actor=rm)
    with bank_a.scope():
        event = ChannelPreference.pgh_event_model.objects.get(customer=bank_a.customer)
    assert event.pgh_context["username"] == rm.username


@pytest.mark.parametrize(
    ("start", "end"),
    [("18:00", "09:00"), ("10:00", "10:00")],
    ids=["ends-before-it-starts", "empty-window"],
)
def test_contact_hours_must_start_before_they_end(start, end, bank_a, channel, client_for):
    client = client_for(bank_a[Role.TELLER])
    data = {"contact_from": start, "contact_until": end}
    response = client.post(edit_url(bank_a.customer), data)
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.text
    in_panel = client.post(edit_url(bank_a.customer), data, headers=HTMX)
    assert 'data-testid="preference-form"' in in_panel.text  # back in place, to be fixed
    assert 'id="preference_contact_until"' in in_panel.text
    assert preference_of(bank_a, bank_a.customer) is None


def test_only_the_banks_active_channels_can_be_preferred(bank_a, bank_b, channel, client_for):
    set_preference(bank_a, bank_a.customer, contact_from=time(8))
    foreign = standard_catalog(bank_b.tenant)["channels"]["PHONE"]
    with bank_a.scope():
        Channel.objects.filter(pk=channel["SMS"].pk).update(is_active=False)
        channel["SMS"].refresh_from_db()
    client = client_for(bank_a[Role.TELLER])
    for chosen in (foreign, channel["SMS"]):
        response = client.post(edit_url(bank_a.customer), {"preferred_channel": chosen.pk})
        assert response.status_code == 400
        assert "ZZZ" not in response.text
    preference = preference_of(bank_a, bank_a.customer)
    assert preference.preferred_channel_id is None and preference.contact_from == time(8)
    # The service holds the same line for callers that bring no form (imports, API).
    for chosen in (foreign, channel["SMS"]):
        with pytest.raises(DomainError):
            set_preference(bank_a, bank_a.customer, preferred_channel=chosen)


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.MARKETING_MANAGER, Role.RISK_OFFICER])
def test_staff_without_the_permission_read_but_cannot_change(role, bank_a, channel, client_for):
    client = client_for(bank_a[role])
    panel = panel_of(customer_page(client, detail_url(bank_a.customer)))
    assert 'data-testid="edit-preferences"' not in panel
    assert client.get(edit_url(bank_a.customer), headers=HTMX).status_code == 403
    response = client.post(edit_url(bank_a.customer), {"do_not_contact": "on"}, headers=HTMX)
    assert response.status_code == 403
    assert preference_of(bank_a, bank_a.customer) is None


def test_customers_out_of_scope_or_of_another_bank_are_not_found(
    bank_a, bank_b, channel, client_for
):
    other_channels = standard_catalog(bank_b.tenant)["channels"]
    set_preference(bank_b, bank_b.customer, preferred_channel=other_channels["SMS"])
    client = client_for(bank_a[Role.TELLER])  # at the sub-branch
    for customer, catalog in ((bank_a.other_customer, channel), (bank_b.customer, other_channels)):
        data = {"preferred_channel": catalog["PHONE"].pk, "do_not_contact": "on"}
        for headers in ({}, HTMX):
            assert client.get(edit_url(customer), headers=headers).status_code == 404
            assert client.get(panel_url(customer), headers=headers).status_code == 404
            response = client.post(edit_url(customer), data, headers=headers)
            assert response.status_code == 404 and "ZZZ" not in response.text
    assert preference_of(bank_a, bank_a.other_customer) is None
    foreign = preference_of(bank_b, bank_b.customer)
    assert foreign.preferred_channel_id == other_channels["SMS"].pk
    assert foreign.do_not_contact is False


# --- the contact policy -------------------------------------------------------------------------


def shanghai(hour: int, minute: int = 0) -> datetime:
    return datetime(2024, 5, 6, hour, minute, tzinfo=SHANGHAI)


CONSENTS = {
    "none": {},
    "any": {"any": True},
    "any-but-phone": {"any": True, "phone": False},
    "sms-only": {"any": False, "sms": True},
}


@pytest.mark.parametrize(
    ("consents", "preference", "channel_kind", "at", "allowed"),
    [
        ("none", {}, "sms", shanghai(10), False),  # no answer is no
        ("any", {}, "sms", shanghai(10), True),
        ("any", {}, "mobile", shanghai(10), True),  # no consent channel of its own: "any"
        ("any-but-phone", {}, "phone", shanghai(10), False),  # the channel's answer wins
        ("any-but-phone", {}, "wechat", shanghai(10), True),
        ("any-but-phone", {}, "email", shanghai(10), True),
        ("sms-only", {}, "sms", shanghai(10), True),
        ("sms-only", {}, "phone", shanghai(10), False),
        ("sms-only", {}, "online", shanghai(10), False),
        ("any", {"do_not_contact": True}, "sms", shanghai(10), False),
        ("any", {"contact_from": time(9), "contact_until": time(18)}, "sms", shanghai(9), True),
        (
            "any",
            {"contact_from": time(9), "contact_until": time(18)},
            "sms",
            shanghai(17, 59),
            True,
        ),
        ("any", {"contact_from": time(9), "contact_until": time(18)}, "sms", shanghai(18), False),
        (
            "any",
            {"contact_from": time(9), "contact_until": time(18)},
            "sms",
            shanghai(8, 59),
            False,
        ),
        ("any", {"contact_from": time(20)}, "phone", shanghai(21), True),
        ("any", {"contact_from": time(20)}, "phone", shanghai(10), False),
        ("any", {"contact_until": time(12)}, "phone", shanghai(11), True),
        ("any", {"contact_until": time(12)}, "phone", shanghai(13), False),
        ("none", {"contact_from": time(9)}, "sms", shanghai(10), False),  # hours are no consent
    ],
)
def test_contact_allowed(consents, preference, channel_kind, at, allowed, bank_a, channel):
    customer = bank_a.customer
    for channel_name, granted in CONSENTS[consents].items():
        consent(bank_a, customer, channel_name, granted)
    if preference:
        set_preference(bank_a, customer, **preference)
    with bank_a.scope():
        assert contact_allowed(customer, channel_kind=channel_kind, at=at) is allowed


def test_contact_hours_are_in_the_banks_time_zone(bank_a, channel, django_assert_num_queries):
    customer = bank_a.customer
    consent(bank_a, customer, "any", True)
    set_preference(bank_a, customer, contact_from=time(9), contact_until=time(18))
    ten_in_shanghai = datetime(2024, 5, 6, 2, 0, tzinfo=ZoneInfo("UTC"))
    with bank_a.scope(), django_assert_num_queries(1):
        assert contact_allowed(customer, channel_kind="sms", at=ten_in_shanghai)
    bank_a.tenant.time_zone = "Europe/London"  # 03:00 there
    with bank_a.scope():
        assert not contact_allowed(customer, channel_kind="sms", at=ten_in_shanghai)


def test_contact_allowed_asks_about_the_given_purpose(bank_a, channel):
    consent(bank_a, bank_a.customer, "any", True, purpose="personalised_offers")
    with bank_a.scope():
        assert not contact_allowed(bank_a.customer, channel_kind="sms", at=shanghai(10))
        # Personalised offers are marketing: without the marketing consent, still no.
        assert not contact_allowed(
            bank_a.customer, channel_kind="sms", purpose="personalised_offers", at=shanghai(10)
        )
    consent(bank_a, bank_a.customer, "sms", True)
    with bank_a.scope():
        assert contact_allowed(
            bank_a.customer, channel_kind="sms", purpose="personalised_offers", at=shanghai(10)
        )
        with pytest.raises(ValueError):
            contact_allowed(bank_a.customer, channel_kind="carrier_pigeon")


def test_a_hold_in_force_shows_with_its_reason_and_stops_marketing(bank_a, channel, client_for):
    customer = bank_a.customer
    consent(bank_a, customer, "sms", True)
    with bank_a.scope():
        services.contact_hold_place(
            customer=customer,
            reason="投诉处理中",
            source="risk.complaint",
            until=timezone.now() + timedelta(days=3),
        )

    panel = panel_of(customer_page(client_for(bank_a[Role.TELLER]), detail_url(customer)))

    assert 'data-testid="contact-hold"' in panel and "投诉处理中" in panel
    summary = panel.split('data-testid="marketing-summary"')[1].split("</p>")[0]
    assert zh("No marketing contact.") in summary
