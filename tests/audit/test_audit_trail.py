"""Every change of staff, roles, branches and partners is in the bank's audit trail."""

from django.urls import reverse

from crm.tenancy.models import Staff
from crm.tenancy.roles import Role
from crm.tenancy.services import staff_create, staff_move, staff_set_roles
from tests.audit.trail_helpers import acting_as


def test_changes_are_recorded_with_who_made_them(bank_a, client_for):
    admin_client = client_for(bank_a["tenant_admin"])
    admin_client.post(
        reverse("admin:tenancy_staff_changelist"),
        {"action": "deactivate", "_selected_action": [bank_a["teller"].pk]},
    )
    with bank_a.scope():
        event = Staff.pgh_event_model.objects.filter(
            pgh_obj_id=bank_a["teller"].pk, pgh_label="update"
        ).latest("pgh_id")
    assert event.is_active is False
    assert event.tenant_id == bank_a.tenant.pk
    assert event.pgh_context["username"] == bank_a["tenant_admin"].username
    assert event.pgh_context["url"] == reverse("admin:tenancy_staff_changelist")


def test_auditor_reads_the_trail_of_their_bank_only(bank_a, bank_b, client_for):
    # As the bank's administrator's pages do: what nobody did (a job) is hidden by default.
    with bank_a.scope(), acting_as(bank_a["tenant_admin"]):
        staff_move(staff=bank_a["teller"], branch=bank_a.other_branch)
        staff_set_roles(staff=bank_a["teller"], roles=[Role.TELLER, Role.RELATIONSHIP_MANAGER])
    with bank_b.scope():
        staff_create(
            tenant=bank_b.tenant,
            branch=bank_b.sub_branch,
            username="zzz_new",
            name="ZZZ新人",
            password=None,
            roles=[Role.TELLER],
        )
    response = client_for(bank_a["auditor"]).get(reverse("audit:trail"))
    assert response.status_code == 200
    page = response.content.decode()
    assert bank_a.other_branch.name in page  # the move, old → new branch
    assert "授予角色" in page  # role granted
    assert "ZZZ" not in page and "zzz_new" not in page


def test_logins_are_in_the_trail(bank_a, client_for, client):
    from tests.factories.tenancy import TEST_PASSWORD

    client.post(reverse("login"), {"username": "aaa_teller", "password": "bad"})
    client.post(reverse("login"), {"username": "aaa_teller", "password": TEST_PASSWORD})
    response = client_for(bank_a["auditor"]).get(reverse("audit:trail") + "?category=login")
    page = response.content.decode()
    assert "登录失败" in page and "aaa_teller" in page


def test_filter_form_rejects_an_inverted_date_range(bank_a, client_for):
    response = client_for(bank_a["auditor"]).get(
        reverse("audit:trail") + "?date_from=2026-02-01&date_to=2026-01-01"
    )
    assert response.status_code == 400
    assert "起始日期晚于截止日期" in response.content.decode()


def test_only_auditors_read_the_trail(bank_a, client_for):
    assert client_for(bank_a["teller"]).get(reverse("audit:trail")).status_code == 403
    assert client_for(bank_a["tenant_admin"]).get(reverse("audit:trail")).status_code == 403


def test_trail_query_count_is_bounded(bank_a, client_for, django_assert_max_num_queries):
    with bank_a.scope(), acting_as(bank_a["tenant_admin"]):
        for number in range(10):
            staff_create(
                tenant=bank_a.tenant,
                branch=bank_a.sub_branch,
                username=f"bulk{number}",
                name=f"批量{number}",
                password=None,
                roles=[Role.TELLER],
            )
    client = client_for(bank_a["auditor"])
    with django_assert_max_num_queries(30):
        assert client.get(reverse("audit:trail")).status_code == 200
