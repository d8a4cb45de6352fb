"""The tier service policy: every bank starts with one, its administrators edit it on a page
(audited), marketing managers read it, and the follow-ups issue reads it through a selector."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from channels.models import Channel
from crm.tenancy.context import tenant_context
from crm.tenancy.roles import Role
from customers.models import Customer
from marketing import selectors, services
from marketing.models import ServicePrivilege, SuggestedChannel, TierServicePolicy
from marketing.policy_defaults import DEFAULTS
from tests.factories import TenantFactory
from tests.factories.channels import standard_catalog

URL = reverse("marketing:service_policy")


def priority_window() -> str:
    """The first default privilege of MVC, in the language the bank's rows were made in."""
    return str(DEFAULTS[Customer.Tier.MVC].privileges[0])


def edit_url(tier: str) -> str:
    return reverse("marketing:service_policy_edit", args=[tier])


def test_a_new_bank_starts_with_a_policy_for_every_tier(db):
    tenant = TenantFactory()
    with tenant_context(tenant):
        policies = {policy.tier: policy for policy in selectors.service_policies()}
        stored = set(TierServicePolicy.objects.values_list("tier", flat=True))
    assert stored == set(Customer.Tier.values)  # "new" included
    assert policies["mvc"].contact_cadence_days == 30
    assert policies["mvc"].requires_relationship_manager
    assert policies["mgc"].contact_cadence_days == 60
    assert policies["ordinary"].contact_cadence_days is None
    assert policies["mvc"].privileges[0] == priority_window()
    assert not any(policy.is_default for policy in policies.values())


def test_ensuring_the_defaults_twice_creates_nothing_more(bank_a):
    with bank_a.scope():
        assert services.service_policies_ensure(tenant=bank_a.tenant) == 0
        assert TierServicePolicy.objects.count() == len(Customer.Tier.values)


def test_a_tier_the_bank_has_no_row_for_reads_the_defaults(bank_a):
    with bank_a.scope():
        TierServicePolicy.objects.filter(tier__in=["mgc", "new"]).delete()
        policy = selectors.service_policy_for("mgc")
        unknown = selectors.service_policy_for("new")
        assert selectors.service_policy_for("") is None
    assert policy.is_default and policy.contact_cadence_days == 60
    # A tier without a row of its own (``new``) has no cadence until the bank sets one.
    assert unknown.is_default and unknown.contact_cadence_days is None
    assert unknown.tier_label == str(Customer.Tier.NEW.label)


def test_the_selector_reads_one_tier_in_three_queries(bank_a, django_assert_max_num_queries):
    standard_catalog(bank_a.tenant)
    with bank_a.scope():
        electronic = list(Channel.objects.filter(kind__in=["mobile", "online"]))
        services.service_policy_update(
            tier="bz",
            contact_cadence_days=None,
            requires_relationship_manager=False,
            max_book_size=None,
            privileges=["自助设备指导"],
            suggested_channel_ids=[channel.pk for channel in electronic],
        )
        with django_assert_max_num_queries(3):
            policy = selectors.service_policy_for("bz")
    assert policy.privileges == ("自助设备指导",)
    assert {channel.kind for channel in policy.suggested_channels} == {"mobile", "online"}


def test_the_administrator_edits_a_tier_and_the_trail_records_who(bank_a, client_for):
    admin = bank_a[Role.TENANT_ADMIN]
    response = client_for(admin).post(
        edit_url("mvc"),
        {
            "contact_cadence_days": "14",
            "requires_relationship_manager": "on",
            "max_book_size": "80",
            "privileges": f"专属理财顾问\n\n{priority_window()}\n",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    with bank_a.scope():
        policy = TierServicePolicy.objects.get(tier="mvc")
        privileges = list(policy.privileges.values_list("name", "position"))
        event = policy.events.order_by("-pgh_id").first()
    assert (policy.contact_cadence_days, policy.max_book_size) == (14, 80)
    # The new one first, the kept one moved behind it, the dropped ones gone.
    assert privileges == [("专属理财顾问", 0), (priority_window(), 1)]
    assert event.pgh_label == "update"
    assert event.pgh_context["username"] == admin.username


def shown_errors(response, field: str) -> list[str]:
    """The errors of ``field``, each checked to be on the page the user sees."""
    errors = response.context["form"].errors.get(field, [])
    for error in errors:
        assert escape(error) in response.content.decode()
    return errors


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"contact_cadence_days": "0"}, "contact_cadence_days"),
        ({"contact_cadence_days": "400"}, "contact_cadence_days"),
        ({"max_book_size": "-3"}, "max_book_size"),
        ({"privileges": "免手续费\n免手续费"}, "privileges"),
        ({"privileges": "长" * 101}, "privileges"),
    ],
)
def test_bad_input_is_refused_with_a_clear_error_and_nothing_changes(
    bank_a, client_for, data, field
):
    response = client_for(bank_a[Role.TENANT_ADMIN]).post(edit_url("mvc"), data)
    assert response.status_code == 400
    assert len(shown_errors(response, field)) == 1
    with bank_a.scope():
        policy = TierServicePolicy.objects.get(tier="mvc")
        assert policy.contact_cadence_days == 30
        assert ServicePrivilege.objects.filter(policy=policy).count() == 3


def test_only_electronic_channels_can_be_suggested(bank_a, client_for):
    catalog = standard_catalog(bank_a.tenant)
    client = client_for(bank_a[Role.TENANT_ADMIN])
    counter = catalog["channels"]["COUNTER"]
    refused = client.post(edit_url("bz"), {"suggested_channels": [counter.pk]})
    assert refused.status_code == 400
    assert len(shown_errors(refused, "suggested_channels")) == 1
    mobile = catalog["channels"]["MOBILE"]
    saved = client.post(edit_url("bz"), {"suggested_channels": [mobile.pk]})
    assert saved.status_code == 302
    with bank_a.scope():
        policy = selectors.service_policy_for("bz")
    assert [channel.id for channel in policy.suggested_channels] == [mobile.pk]


def test_marketing_managers_read_the_policy_but_cannot_edit_it(bank_a, client_for):
    client = client_for(bank_a[Role.MARKETING_MANAGER])
    page = client.get(URL)
    assert page.status_code == 200
    assert escape(priority_window()) in page.content.decode()
    assert edit_url("mvc") not in page.content.decode()
    assert client.get(edit_url("mvc")).status_code == 403
    assert client.post(edit_url("mvc"), {"contact_cadence_days": "5"}).status_code == 403


@pytest.mark.parametrize("role", [Role.RELATIONSHIP_MANAGER, Role.TELLER, Role.RISK_OFFICER])
def test_other_roles_do_not_see_the_policy_page(bank_a, client_for, role):
    assert client_for(bank_a[role]).get(URL).status_code == 403


def test_an_unknown_tier_has_no_form(bank_a, client_for):
    assert client_for(bank_a[Role.TENANT_ADMIN]).get(edit_url("vip")).status_code == 404


def test_the_administrator_finds_the_page_in_the_menu(bank_a, client_for):
    home = client_for(bank_a[Role.TENANT_ADMIN]).get("/")
    assert URL in home.content.decode()
    home = client_for(bank_a[Role.TELLER]).get("/")
    assert URL not in home.content.decode()


def test_the_demo_steers_bz_to_the_catalog_s_channels_once(bank_a):
    from crm.shell.demo import DEMO_BANKS
    from marketing.demo import load_service_policy

    standard_catalog(bank_a.tenant)
    with bank_a.scope():
        load_service_policy(bank_a.tenant, DEMO_BANKS[0])
        kinds = {channel.kind for channel in selectors.service_policy_for("bz").suggested_channels}
        rows = set(SuggestedChannel.objects.values_list("pk", flat=True))
        load_service_policy(bank_a.tenant, DEMO_BANKS[0])
        assert set(SuggestedChannel.objects.values_list("pk", flat=True)) == rows
    assert kinds == {"mobile", "online", "wechat"}
