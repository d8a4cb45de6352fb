"""Staff record a customer's consent on the contact preferences panel, and withdraw it."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

import channels.panels  # noqa: F401  (registers the panels, as channels' AppConfig does)
from channels.contact_policy import contact_allowed
from crm.audit.selectors import change_entries
from crm.domain import DomainError
from crm.tenancy.roles import Role
from customers.models import Consent
from customers.personal_data import consent_rows
from customers.services import consent_record
from tests.factories.channels import standard_catalog
from tests.panels import customer_page
from tests.translation import zh

HTMX = {"HX-Request": "true"}
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def channel(bank_a):
    return standard_catalog(bank_a.tenant)["channels"]


def record_url(customer) -> str:
    return reverse("channels:consent_record", args=[customer.pk])


def detail_url(customer) -> str:
    return reverse("customers:detail", args=[customer.pk])


def today() -> date:
    return timezone.now().astimezone(SHANGHAI).date()


def answer(**values) -> dict:
    return {
        "purpose": "marketing",
        "channel": "sms",
        "decision": "give",
        "source": "counter",
        "recorded_on": today().isoformat(),
        **values,
    }


def consents_of(bank, customer) -> dict[tuple[str, str], Consent]:
    with bank.scope():
        return {
            (consent.purpose, consent.channel): consent
            for consent in Consent.objects.filter(customer=customer)
        }


def panel_of(html: str) -> str:
    return html.split('data-testid="panel-contact_preferences"')[1].split("</section>")[0]


def test_a_teller_records_consent_and_the_panel_and_policy_reflect_it(bank_a, channel, client_for):
    customer = bank_a.customer
    teller = bank_a[Role.TELLER]
    client = client_for(teller)
    with bank_a.scope():
        assert not contact_allowed(customer, channel_kind="sms")

    form = client.get(record_url(customer), headers=HTMX)
    assert form.status_code == 200 and "<html" not in form.text
    assert f'hx-post="{record_url(customer)}"' in form.text
    assert f'value="{today().isoformat()}"' in form.text  # today by default

    response = client.post(record_url(customer), answer(), headers=HTMX)
    assert response.status_code == 200
    assert 'data-testid="consent-saved"' in response.text
    assert 'data-testid="consent-sms" data-allowed="yes"' in response.text
    assert 'data-testid="withdraw-marketing-sms"' in response.text

    consent = consents_of(bank_a, customer)[("marketing", "sms")]
    assert consent.granted and consent.source == "counter"
    assert consent.recorded_by_id == teller.pk
    with bank_a.scope():
        assert contact_allowed(customer, channel_kind="sms")
        assert not contact_allowed(customer, channel_kind="phone")

    # The customer page shows it, and the auditors' trail has it with who recorded it.
    panel = panel_of(customer_page(client, detail_url(customer)))
    assert 'data-testid="consent-sms" data-allowed="yes"' in panel
    assert 'data-testid="record-consent"' in panel
    with bank_a.scope():
        entries = [
            entry
            for entry in change_entries(bank_a.tenant, limit=1000)
            if entry.subject_type == str(Consent._meta.verbose_name)
        ]
        copy = list(consent_rows(customer))
    assert len(entries) == 1 and entries[0].actor == teller.username
    # The personal-data copy carries the answer with its source and date.
    assert len(copy) == 1
    assert str(Consent.Source.COUNTER.label) in [str(cell) for cell in copy[0]]
    assert consent.recorded_at in copy[0]


def test_withdrawal_is_one_click_and_stops_marketing(bank_a, channel, client_for):
    customer = bank_a.customer
    rm = bank_a[Role.RELATIONSHIP_MANAGER]
    client = client_for(rm)
    client.post(record_url(customer), answer(channel="any"))
    client.post(record_url(customer), answer(purpose="personalised_offers", channel="any"))
    panel = panel_of(customer_page(client, detail_url(customer)))
    assert 'data-testid="withdraw-marketing-any"' in panel
    assert 'data-testid="withdraw-personalised_offers-any"' in panel
    assert 'data-testid="withdraw-marketing-sms"' not in panel  # no answer of its own

    # What the "Withdraw" button posts, as the panel writes it.
    response = client.post(record_url(customer), answer(channel="any", decision="withdraw"))
    assert response.status_code == 302 and response.url == detail_url(customer)
    consent = consents_of(bank_a, customer)[("marketing", "any")]
    assert consent.granted is False and consent.recorded_by_id == rm.pk
    with bank_a.scope():
        assert not contact_allowed(customer, channel_kind="sms")
        # Personalised offers are marketing too: their own consent stands, but is not enough.
        assert consents_of(bank_a, customer)[("personalised_offers", "any")].granted
        assert not contact_allowed(customer, channel_kind="sms", purpose="personalised_offers")
        events = Consent.pgh_event_model.objects.filter(pgh_obj_id=consent.pk)
        assert list(events.order_by("pgh_id").values_list("granted", flat=True)) == [True, False]
    panel = panel_of(customer_page(client, detail_url(customer)))
    assert 'data-testid="withdraw-marketing-any"' not in panel


def test_an_answer_from_an_earlier_day_keeps_its_date(bank_a, channel, client_for):
    client = client_for(bank_a[Role.TELLER])
    earlier = today() - timedelta(days=3)
    data = answer(source="letter", recorded_on=earlier.isoformat())
    assert client.post(record_url(bank_a.customer), data).status_code == 302
    consent = consents_of(bank_a, bank_a.customer)[("marketing", "sms")]
    assert consent.source == "letter"
    assert consent.recorded_at.astimezone(SHANGHAI).date() == earlier


@pytest.mark.parametrize(
    ("field", "data"),
    [
        ("recorded_on", answer(recorded_on=(today() + timedelta(days=1)).isoformat())),
        ("recorded_on", answer(recorded_on="")),
        ("source", answer(source="sms_reply")),  # the gateway's source, not staff's
        ("channel", answer(channel="carrier_pigeon")),
        ("decision", answer(decision="")),
    ],
    ids=["future", "no-date", "system-source", "unknown-channel", "no-answer"],
)
def test_invalid_answers_are_refused_in_the_pages_language(
    field, data, bank_a, channel, client_for
):
    client = client_for(bank_a[Role.TELLER])
    response = client.post(record_url(bank_a.customer), data)
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.text
    assert f'id="consent_{field}"' in response.text or f'id="consent_{field}_0"' in response.text
    in_panel = client.post(record_url(bank_a.customer), data, headers=HTMX)
    assert 'data-testid="consent-form"' in in_panel.text  # back in place, to be fixed
    assert consents_of(bank_a, bank_a.customer) == {}


def test_form_errors_are_in_the_pages_language(bank_a, channel, client_for):
    client = client_for(bank_a[Role.TELLER])  # a zh-hans page, the bank's language
    future = answer(recorded_on=(today() + timedelta(days=1)).isoformat())
    assert (
        zh("The date cannot be in the future.")
        in client.post(record_url(bank_a.customer), future).text
    )
    missing = client.post(record_url(bank_a.customer), answer(recorded_on=""))
    assert zh("This field is required.") in missing.text
    assert zh("This field is required.") != "This field is required."


def test_the_service_refuses_a_future_date(bank_a, channel):
    with bank_a.scope(), pytest.raises(DomainError):
        consent_record(
            customer=bank_a.customer,
            purpose="marketing",
            channel="sms",
            granted=True,
            source="counter",
            actor=None,
            recorded_at=datetime.now(SHANGHAI) + timedelta(hours=1),
        )


def test_a_marketing_manager_records_a_letters_answer(bank_a, channel, client_for):
    """Campaigns bring answers back (letters, replies): marketing records them too."""
    client = client_for(bank_a[Role.MARKETING_MANAGER])
    panel = panel_of(customer_page(client, detail_url(bank_a.customer)))
    assert 'data-testid="record-consent"' in panel
    response = client.post(record_url(bank_a.customer), answer(channel="any"))
    assert response.status_code == 302
    consent = consents_of(bank_a, bank_a.customer)[("marketing", "any")]
    assert consent.granted and consent.recorded_by_id == bank_a[Role.MARKETING_MANAGER].pk


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.RISK_OFFICER])
def test_staff_without_the_permission_cannot_record(role, bank_a, channel, client_for):
    client = client_for(bank_a[role])
    panel = panel_of(customer_page(client, detail_url(bank_a.customer)))
    assert 'data-testid="record-consent"' not in panel
    assert client.get(record_url(bank_a.customer), headers=HTMX).status_code == 403
    assert client.post(record_url(bank_a.customer), answer()).status_code == 403
    assert consents_of(bank_a, bank_a.customer) == {}


def test_customers_out_of_scope_or_of_another_bank_are_not_found(
    bank_a, bank_b, channel, client_for
):
    client = client_for(bank_a[Role.TELLER])  # at the sub-branch
    for customer in (bank_a.other_customer, bank_b.customer):
        for headers in ({}, HTMX):
            assert client.get(record_url(customer), headers=headers).status_code == 404
            response = client.post(record_url(customer), answer(), headers=headers)
            assert response.status_code == 404
    assert consents_of(bank_a, bank_a.other_customer) == {}
    assert consents_of(bank_b, bank_b.customer) == {}


def test_the_form_page_takes_few_queries(
    bank_a, channel, client_for, django_assert_max_num_queries
):
    """Session, staff, permissions, scope, customer, roles: nothing per purpose or channel."""
    client = client_for(bank_a[Role.TELLER])
    client.get(record_url(bank_a.customer))  # warm per-session caches (permissions...)
    for headers in (HTMX, {}):
        with django_assert_max_num_queries(8):
            assert client.get(record_url(bank_a.customer), headers=headers).status_code == 200


def test_an_older_answer_does_not_overturn_a_newer_one(bank_a, channel, client_for):
    client = client_for(bank_a[Role.TELLER])
    assert client.post(record_url(bank_a.customer), answer()).status_code == 302
    letter = answer(
        decision="withdraw",
        source="letter",
        recorded_on=(today() - timedelta(days=2)).isoformat(),
    )
    response = client.post(record_url(bank_a.customer), letter)
    assert response.status_code == 400
    assert zh("The customer gave a later answer for this purpose and channel.") in response.text
    assert consents_of(bank_a, bank_a.customer)[("marketing", "sms")].granted is True
