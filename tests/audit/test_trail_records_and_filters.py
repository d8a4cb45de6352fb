"""What the trail holds (request steps, logged contacts) and how auditors narrow it."""

import pghistory
import pytest
from django.urls import reverse

from channels import services
from channels.models import Interaction
from crm.audit.selectors import AUDITED_FIELDS
from crm.tenancy.roles import Role
from tests.audit.trail_helpers import acting_as, subjects
from tests.factories import BalanceSnapshotFactory
from tests.factories.channels import standard_catalog

TRAIL = reverse("audit:trail")


@pytest.fixture
def activity(bank_a):
    """A teller opens and moves a request and logs a contact; a manager reassigns it."""
    catalog = standard_catalog(bank_a.tenant)
    counter = catalog["channels"]["COUNTER"]
    teller, manager = bank_a[Role.TELLER], bank_a[Role.BRANCH_MANAGER]
    with bank_a.scope():
        with acting_as(teller):
            request = services.service_request_open(
                request_type=catalog["request_types"]["CARD_REPLACEMENT"],
                customer=bank_a.customer,
                channel=counter,
                summary="AAA补办借记卡",
                actor=teller,
            )
            services.service_request_move(
                request=request,
                to_status="accepted",
                channel=counter,
                actor=teller,
                note="AAA已受理",
            )
            services.interaction_log(
                customer=bank_a.customer,
                channel=counter,
                kind="enquiry",
                actor=teller,
                summary="AAA咨询理财",
            )
        with acting_as(manager):
            services.service_request_reassign(
                request=request,
                owner=manager,
                team=bank_a.branch,
                channel=counter,
                actor=manager,
                note="AAA转交分行",
            )
            # The other customer's change, by the same manager.
            bank_a.other_customer.occupation = "AAA厨师"
            bank_a.other_customer.save()
        request.refresh_from_db()
    return {"request": request, "counter": counter, "teller": teller, "manager": manager}


def test_request_steps_and_logged_contacts_are_in_the_trail(bank_a, activity, client_for):
    page = client_for(bank_a[Role.AUDITOR]).get(TRAIL).content.decode()
    number = activity["request"].number
    assert number in page
    for note in ("AAA补办借记卡", "AAA已受理", "AAA转交分行", "AAA咨询理财"):
        assert note in page
    # The manager's reassignment shows the new owner, not only the step's note.
    assert bank_a.branch.name in page


def test_contacts_a_partner_feed_loads_are_left_to_the_feed_batch(bank_a, activity):
    with bank_a.scope():
        fed = services.interaction_log(
            customer=bank_a.customer,
            channel=activity["counter"],
            kind="enquiry",
            source="callcenter",
            external_id="CC-1",
        )
        logged = Interaction.objects.exclude(pk=fed.pk).get()
        events = Interaction.pgh_event_model.objects
        assert not events.filter(pgh_obj_id=fed.pk).exists()
        assert events.filter(pgh_obj_id=logged.pk, pgh_label="insert").exists()


def test_filter_by_the_staff_member_who_acted(bank_a, activity, client_for):
    client = client_for(bank_a[Role.AUDITOR])
    page = client.get(TRAIL, {"staff": activity["manager"].username}).content.decode()
    assert "AAA转交分行" in page and "AAA厨师" in page
    assert "AAA已受理" not in page and "AAA咨询理财" not in page
    page = client.get(TRAIL, {"staff": activity["teller"].username}).content.decode()
    assert "AAA已受理" in page and "AAA咨询理财" in page
    assert "AAA转交分行" not in page and "AAA厨师" not in page


def test_filter_by_customer(bank_a, activity, client_for):
    client = client_for(bank_a[Role.AUDITOR])
    page = client.get(TRAIL, {"customer": bank_a.customer.number}).content.decode()
    assert "AAA已受理" in page and "AAA咨询理财" in page and "AAA转交分行" in page
    assert "AAA厨师" not in page
    page = client.get(TRAIL, {"customer": bank_a.other_customer.number}).content.decode()
    assert "AAA厨师" in page and "AAA已受理" not in page


def test_filter_by_record_type(bank_a, activity, client_for):
    client = client_for(bank_a[Role.AUDITOR])
    page = client.get(TRAIL, {"record_type": "channels.servicerequeststep"}).content.decode()
    shown = subjects(page)
    assert len(shown) == 3  # opened, accepted, reassigned
    assert all(activity["request"].number in subject for subject in shown)
    page = client.get(TRAIL, {"record_type": "channels.interaction"}).content.decode()
    assert "AAA咨询理财" in page and "AAA已受理" not in page


@pytest.mark.parametrize(
    "query",
    [
        {"staff": "nobody_here"},
        {"staff": "bbb_teller"},  # another bank's staff member
        {"customer": "NOSUCH"},
        {"customer": "BBB0001"},  # another bank's customer
        {"record_type": "auth.user"},
        {"date_from": "yesterday"},
    ],
)
def test_bad_filters_are_form_errors(bank_a, bank_b, client_for, query):
    response = client_for(bank_a[Role.AUDITOR]).get(TRAIL, query)
    assert response.status_code == 400
    page = response.content.decode()
    assert 'data-testid="filter-error"' in page
    # What was typed is echoed back; nothing of the other bank's is.
    assert "BBB张三" not in page and "BBB银行" not in page


def test_system_jobs_rows_are_hidden_unless_asked_for(bank_a, activity, client_for):
    with bank_a.scope(), pghistory.context(task="customers.month_end", tenant_id=bank_a.tenant.pk):
        BalanceSnapshotFactory(customer=bank_a.customer)
    client = client_for(bank_a[Role.AUDITOR])
    only_snapshots = {"record_type": "customers.balancesnapshot"}
    assert subjects(client.get(TRAIL, only_snapshots).content.decode()) == []
    shown = client.get(TRAIL, {**only_snapshots, "include_system": "on"}).content.decode()
    assert len(subjects(shown)) == 1
    # The default view still shows people's changes.
    assert "AAA已受理" in client.get(TRAIL).content.decode()


def test_filtered_pages_have_a_bounded_number_of_queries(
    bank_a, activity, client_for, django_assert_max_num_queries
):
    """Two queries per kind of record on the page, never per entry; the rest is fixed."""
    client = client_for(bank_a[Role.AUDITOR])
    budgets = [
        ({}, 20),
        ({"staff": activity["teller"].username}, 18),
        ({"customer": bank_a.customer.number}, 20),
        ({"record_type": "channels.servicerequeststep"}, 12),
        # Every kind the bank's set-up wrote, by nobody: the widest page.
        ({"include_system": "on"}, 12 + 2 * len(AUDITED_FIELDS)),
    ]
    for query, budget in budgets:
        with django_assert_max_num_queries(budget):
            assert client.get(TRAIL, query).status_code == 200
