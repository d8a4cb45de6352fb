"""Service requests in the pages: queues, the request page, moving on, reassigning, opening."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from channels import services
from channels.models import ServiceRequest, ServiceRequestStep
from crm.tenancy.roles import Role
from tests.factories import CustomerFactory, StaffFactory
from tests.factories.channels import standard_catalog

HTMX = {"HX-Request": "true"}


@pytest.fixture
def catalog(bank_a):
    return standard_catalog(bank_a.tenant)


def open_request(
    bank,
    customer,
    catalog,
    *,
    type_code="CARD_REPLACEMENT",
    channel="MOBILE",
    hours_ago=0,
    **kwargs,
) -> ServiceRequest:
    with bank.scope():
        return services.service_request_open(
            request_type=catalog["request_types"][type_code],
            customer=customer,
            channel=catalog["channels"][channel],
            summary=kwargs.pop("summary", "AAA补办银行卡"),
            opened_at=timezone.now() - timedelta(hours=hours_ago),
            **kwargs,
        )


def queue_url(tab="", **query) -> str:
    url = reverse("channels:requests")
    query = {"tab": tab, **query} if tab else query
    if query:
        url += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return url


def rows(html: str) -> list[str]:
    return re.findall(r'<tr data-request="([^"]+)"', html)


def detail_url(request) -> str:
    return reverse("channels:request_detail", args=[request.pk])


def move_url(request) -> str:
    return reverse("channels:request_move", args=[request.pk])


def reassign_url(request) -> str:
    return reverse("channels:request_reassign", args=[request.pk])


def reload(bank, request) -> ServiceRequest:
    with bank.scope():
        return ServiceRequest.objects.get(pk=request.pk)


def steps_of(bank, request) -> list[ServiceRequestStep]:
    with bank.scope():
        return list(
            ServiceRequestStep.objects.filter(request=request)
            .select_related("channel", "staff")
            .order_by("id")
        )


# --- queues -------------------------------------------------------------------------------------


@pytest.fixture
def queues(bank_a, catalog):
    """Requests around bank A's sub-branch teller: theirs, their team's, overdue, elsewhere."""
    teller, rm = bank_a[Role.TELLER], bank_a[Role.RELATIONSHIP_MANAGER]
    mine = open_request(bank_a, bank_a.customer, catalog, owner=teller, summary="AAA我的")
    team = open_request(bank_a, bank_a.customer, catalog, owner=rm, summary="AAA同事的")
    # Address changes are due within 24 hours: this one is two days old.
    overdue = open_request(
        bank_a, bank_a.customer, catalog, type_code="ADDRESS_CHANGE", hours_ago=48, owner=rm
    )
    elsewhere = open_request(bank_a, bank_a.other_customer, catalog, summary="AAA二分行的")
    closed = open_request(bank_a, bank_a.customer, catalog, owner=teller)
    with bank_a.scope():
        services.service_request_move(
            request=closed,
            to_status="cancelled",
            channel=catalog["channels"]["PHONE"],
            note="AAA客户撤回",
        )
    return {
        "mine": mine,
        "team": team,
        "overdue": overdue,
        "elsewhere": elsewhere,
        "closed": closed,
    }


@pytest.mark.parametrize(
    ("role", "tab", "expected"),
    [
        (Role.TELLER, "mine", {"mine"}),
        (Role.TELLER, "", {"mine"}),  # the default tab
        (Role.TELLER, "team", {"mine", "team", "overdue"}),
        (Role.TELLER, "overdue", {"overdue"}),
        (Role.RELATIONSHIP_MANAGER, "mine", {"team", "overdue"}),
        (Role.BRANCH_MANAGER, "team", {"mine", "team", "overdue"}),
        (Role.BRANCH_MANAGER, "mine", set()),
        (Role.COMPLAINT_HANDLER, "team", {"mine", "team", "overdue", "elsewhere"}),
        (Role.COMPLAINT_HANDLER, "overdue", {"overdue"}),
    ],
)
def test_queues_show_the_right_open_requests(role, tab, expected, bank_a, queues, client_for):
    response = client_for(bank_a[role]).get(queue_url(tab))
    assert response.status_code == 200
    assert set(rows(response.content.decode())) == {queues[name].number for name in expected}


def test_overdue_requests_carry_a_badge_and_come_first(bank_a, queues, client_for):
    html = client_for(bank_a[Role.TELLER]).get(queue_url("team")).content.decode()
    assert rows(html)[0] == queues["overdue"].number
    overdue_row = html.split(f'data-request="{queues["overdue"].number}"')[1].split("</tr>")[0]
    assert 'data-testid="overdue"' in overdue_row
    mine_row = html.split(f'data-request="{queues["mine"].number}"')[1].split("</tr>")[0]
    assert 'data-testid="overdue"' not in mine_row


def test_a_tab_through_htmx_replaces_only_the_queue(bank_a, queues, client_for):
    response = client_for(bank_a[Role.TELLER]).get(queue_url("overdue"), headers=HTMX)
    html = response.content.decode()
    assert "<html" not in html and 'id="request-queue"' in html
    assert rows(html) == [queues["overdue"].number]


@pytest.mark.parametrize("query", [{"tab": "everything"}, {"tab": "mine", "after": "garbage"}])
def test_a_bad_queue_query_is_refused_with_a_message(query, bank_a, client_for):
    response = client_for(bank_a[Role.TELLER]).get(queue_url(**query))
    assert response.status_code == 400
    assert 'data-testid="queue-errors"' in response.content.decode()


def test_queue_pages_cover_every_request_once_and_do_not_count(
    bank_a, catalog, client_for, django_assert_max_num_queries
):
    teller = bank_a[Role.TELLER]
    expected = [
        open_request(bank_a, bank_a.customer, catalog, owner=teller, hours_ago=index).number
        for index in range(30)
    ]
    client = client_for(teller)
    client.get(queue_url("mine"))
    with django_assert_max_num_queries(10):
        first = client.get(queue_url("mine")).content.decode()
    assert len(rows(first)) == 25
    more = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    with django_assert_max_num_queries(10):
        second = client.get(more, headers=HTMX).content.decode()
    assert 'id="request-queue"' not in second  # rows appended below the first page
    assert 'rel="next"' not in second
    # The earliest due first: opened longest ago.
    assert rows(first) + rows(second) == list(reversed(expected))


def test_staff_without_access_to_requests_get_no_queue(bank_a, platform_admin, client_for):
    assert client_for(platform_admin).get(queue_url()).status_code == 404


# --- the request page ----------------------------------------------------------------------------


def test_request_page_shows_where_it_stands_and_its_history(bank_a, catalog, client_for):
    request = open_request(
        bank_a,
        bank_a.customer,
        catalog,
        type_code="ADDRESS_CHANGE",
        hours_ago=30,
        partner_name="AAA手机银行",
        note="AAA客户在手机银行提交",
    )
    html = client_for(bank_a[Role.TELLER]).get(detail_url(request)).content.decode()
    assert request.number in html and catalog["request_types"]["ADDRESS_CHANGE"].name in html
    assert bank_a.customer.name in html
    assert reverse("customers:detail", args=[bank_a.customer.pk]) in html
    assert bank_a.sub_branch.name in html.split('data-testid="request-team"')[1][:200]
    assert 'data-testid="request-overdue"' in html  # 30 hours against a 24-hour deadline
    history = html.split('data-testid="request-history"')[1]
    assert catalog["channels"]["MOBILE"].name in history
    assert "AAA手机银行" in history and "AAA客户在手机银行提交" in history
    # The moves a submitted request allows, and no other.
    buttons = set(re.findall(r'name="to_status" value="([a-z_]+)"', html))
    assert buttons == {"accepted", "rejected", "cancelled"}
    # A teller works at the counter: the channel of the next step defaults to it.
    move_form = html.split('data-testid="move-form"')[1].split("</form>")[0]
    assert f'<option value="{catalog["channels"]["COUNTER"].pk}" selected>' in move_form
    assert 'data-testid="reassign-form"' not in html  # tellers do not reassign


def test_head_office_staff_move_by_phone_by_default(bank_a, catalog, client_for):
    request = open_request(bank_a, bank_a.customer, catalog)
    html = client_for(bank_a[Role.COMPLAINT_HANDLER]).get(detail_url(request)).content.decode()
    move_form = html.split('data-testid="move-form"')[1].split("</form>")[0]
    assert f'<option value="{catalog["channels"]["PHONE"].pk}" selected>' in move_form


def test_request_page_query_count_is_bounded(
    bank_a, catalog, client_for, django_assert_max_num_queries
):
    request = open_request(bank_a, bank_a.customer, catalog)
    with bank_a.scope():
        for status in ["accepted", *["in_progress", "waiting_customer"] * 10]:
            services.service_request_move(
                request=request,
                to_status=status,
                channel=catalog["channels"]["PHONE"],
                actor=bank_a[Role.RELATIONSHIP_MANAGER],
            )
    client = client_for(bank_a[Role.BRANCH_MANAGER])
    client.get(detail_url(request))
    with django_assert_max_num_queries(16):
        response = client.get(detail_url(request))
    assert response.content.decode().count('data-testid="request-step"') == 22


# --- moving through the workflow ------------------------------------------------------------------


def test_teller_moves_a_request_through_the_workflow_at_the_counter(bank_a, catalog, client_for):
    request = open_request(bank_a, bank_a.customer, catalog)
    teller = bank_a[Role.TELLER]
    client = client_for(teller)
    counter = catalog["channels"]["COUNTER"]
    for status in ("accepted", "in_progress", "completed"):
        response = client.post(move_url(request), {"to_status": status, "channel": counter.pk})
        assert response.status_code == 302 and response.url == detail_url(request)
        assert reload(bank_a, request).status == status
    request = reload(bank_a, request)
    assert request.closed_at is not None and request.owner_id == teller.pk
    steps = steps_of(bank_a, request)
    assert [(s.from_status, s.to_status) for s in steps] == [
        ("", "submitted"),
        ("submitted", "accepted"),
        ("accepted", "in_progress"),
        ("in_progress", "completed"),
    ]
    assert [s.channel.code for s in steps] == ["MOBILE", "COUNTER", "COUNTER", "COUNTER"]
    assert all(s.staff_id == teller.pk for s in steps[1:])
    page = client.get(detail_url(request)).content.decode()
    assert 'data-testid="move-form"' not in page  # a closed request moves no more
    assert page.count('data-testid="request-step"') == 4


def test_the_channel_of_a_move_can_be_chosen(bank_a, catalog, client_for):
    request = open_request(bank_a, bank_a.customer, catalog)
    client_for(bank_a[Role.TELLER]).post(
        move_url(request), {"to_status": "accepted", "channel": catalog["channels"]["WECHAT"].pk}
    )
    assert steps_of(bank_a, request)[-1].channel.code == "WECHAT"


@pytest.mark.parametrize(
    ("moves", "illegal"),
    [
        ([], "completed"),  # submitted → completed skips the work
        (["accepted", "in_progress", "completed"], "accepted"),  # closed stays closed
        (["accepted"], "waiting_customer"),
    ],
)
def test_an_illegal_move_is_refused_with_a_clear_message_and_changes_nothing(
    moves, illegal, bank_a, catalog, client_for
):
    request = open_request(bank_a, bank_a.customer, catalog)
    with bank_a.scope():
        for status in moves:
            services.service_request_move(
                request=request, to_status=status, channel=catalog["channels"]["PHONE"]
            )
    before = reload(bank_a, request)
    steps_before = len(steps_of(bank_a, request))
    response = client_for(bank_a[Role.TELLER]).post(
        move_url(request), {"to_status": illegal, "channel": catalog["channels"]["COUNTER"].pk}
    )
    assert response.status_code == 400
    errors = response.content.decode().split('data-testid="move-errors"')[1].split("</div>\n")[0]
    current = ServiceRequest.Status(before.status).label
    wanted = ServiceRequest.Status(illegal).label
    assert f"“{current}”" in errors and f"“{wanted}”" in errors
    after = reload(bank_a, request)
    assert after.status == before.status and after.closed_at == before.closed_at
    assert len(steps_of(bank_a, request)) == steps_before


@pytest.mark.parametrize("status", ["rejected", "cancelled"])
def test_rejecting_or_cancelling_needs_a_note(status, bank_a, catalog, client_for):
    request = open_request(bank_a, bank_a.customer, catalog)
    client = client_for(bank_a[Role.TELLER])
    data = {"to_status": status, "channel": catalog["channels"]["COUNTER"].pk}
    response = client.post(move_url(request), data)
    assert response.status_code == 400
    assert "move-errors" in response.content.decode()
    assert reload(bank_a, request).status == "submitted"
    assert len(steps_of(bank_a, request)) == 1
    client.post(move_url(request), {**data, "note": "AAA客户资料不全"})
    assert reload(bank_a, request).status == status
    assert steps_of(bank_a, request)[-1].note == "AAA客户资料不全"


def test_a_move_without_a_status_or_channel_is_refused(bank_a, catalog, client_for):
    request = open_request(bank_a, bank_a.customer, catalog)
    client = client_for(bank_a[Role.TELLER])
    assert (
        client.post(move_url(request), {"channel": catalog["channels"]["COUNTER"].pk}).status_code
        == 400
    )
    assert client.post(move_url(request), {"to_status": "accepted"}).status_code == 400
    assert reload(bank_a, request).status == "submitted"


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.MARKETING_MANAGER, Role.RISK_OFFICER])
def test_read_only_roles_see_the_request_but_cannot_move_it(role, bank_a, catalog, client_for):
    request = open_request(bank_a, bank_a.customer, catalog)
    client = client_for(bank_a[role])
    page = client.get(detail_url(request))
    assert page.status_code == 200 and 'data-testid="move-form"' not in page.content.decode()
    data = {"to_status": "accepted", "channel": catalog["channels"]["COUNTER"].pk}
    assert client.post(move_url(request), data).status_code == 403
    assert reload(bank_a, request).status == "submitted"


# --- reassigning --------------------------------------------------------------------------------


def test_branch_manager_reassigns_a_request_within_their_branches(bank_a, catalog, client_for):
    request = open_request(bank_a, bank_a.customer, catalog, owner=bank_a[Role.TELLER])
    manager, rm = bank_a[Role.BRANCH_MANAGER], bank_a[Role.RELATIONSHIP_MANAGER]
    client = client_for(manager)
    page = client.get(detail_url(request)).content.decode()
    assert 'data-testid="reassign-form"' in page
    response = client.post(
        reassign_url(request),
        {
            "owner": rm.pk,
            "team": bank_a.branch.pk,
            "channel": catalog["channels"]["PHONE"].pk,
            "note": "AAA转交客户经理",
        },
    )
    assert response.status_code == 302
    request = reload(bank_a, request)
    assert request.owner_id == rm.pk and request.team_id == bank_a.branch.pk
    step = steps_of(bank_a, request)[-1]
    assert step.staff_id == manager.pk and step.note == "AAA转交客户经理"
    assert step.from_status == step.to_status == "submitted"


def test_reassigning_to_nobody_puts_it_back_in_the_teams_queue(bank_a, catalog, client_for):
    request = open_request(bank_a, bank_a.customer, catalog, owner=bank_a[Role.TELLER])
    client_for(bank_a[Role.BRANCH_MANAGER]).post(
        reassign_url(request),
        {"owner": "", "team": bank_a.sub_branch.pk, "channel": catalog["channels"]["PHONE"].pk},
    )
    request = reload(bank_a, request)
    assert request.owner_id is None and request.team_id == bank_a.sub_branch.pk
    assert "AAA第一支行" in steps_of(bank_a, request)[-1].note


def test_reassigning_needs_the_permission(bank_a, catalog, client_for):
    request = open_request(bank_a, bank_a.customer, catalog, owner=bank_a[Role.TELLER])
    response = client_for(bank_a[Role.TELLER]).post(
        reassign_url(request),
        {
            "owner": bank_a[Role.RELATIONSHIP_MANAGER].pk,
            "team": bank_a.sub_branch.pk,
            "channel": catalog["channels"]["COUNTER"].pk,
        },
    )
    assert response.status_code == 403
    assert reload(bank_a, request).owner_id == bank_a[Role.TELLER].pk


def test_reassigning_to_someone_or_a_team_out_of_scope_is_not_found(
    bank_a, bank_b, catalog, client_for
):
    request = open_request(bank_a, bank_a.customer, catalog, owner=bank_a[Role.TELLER])
    far_colleague = StaffFactory(
        tenant=bank_a.tenant, branch=bank_a.other_branch, roles=[Role.TELLER]
    )
    client = client_for(bank_a[Role.BRANCH_MANAGER])
    phone = catalog["channels"]["PHONE"].pk
    attempts = [
        {"owner": far_colleague.pk, "team": bank_a.branch.pk},
        {"owner": bank_a[Role.RELATIONSHIP_MANAGER].pk, "team": bank_a.other_branch.pk},
        {"owner": bank_b[Role.TELLER].pk, "team": bank_a.branch.pk},
        {"owner": "", "team": bank_b.branch.pk},
    ]
    for attempt in attempts:
        assert client.post(reassign_url(request), {**attempt, "channel": phone}).status_code == 404
    request = reload(bank_a, request)
    assert request.owner_id == bank_a[Role.TELLER].pk and request.team_id == bank_a.sub_branch.pk
    assert len(steps_of(bank_a, request)) == 1


def test_a_closed_request_cannot_be_reassigned(bank_a, catalog, client_for):
    request = open_request(bank_a, bank_a.customer, catalog)
    with bank_a.scope():
        services.service_request_move(
            request=request,
            to_status="cancelled",
            channel=catalog["channels"]["PHONE"],
            note="AAA撤回",
        )
    response = client_for(bank_a[Role.BRANCH_MANAGER]).post(
        reassign_url(request),
        {
            "owner": bank_a[Role.RELATIONSHIP_MANAGER].pk,
            "team": bank_a.branch.pk,
            "channel": catalog["channels"]["PHONE"].pk,
        },
    )
    assert response.status_code == 400
    assert reload(bank_a, request).owner_id is None


# --- opening from the customer page ---------------------------------------------------------------


def open_url(customer) -> str:
    return reverse("channels:request_open", args=[customer.pk])


def test_teller_opens_a_request_from_the_customer_page(bank_a, catalog, client_for):
    teller = bank_a[Role.TELLER]
    client = client_for(teller)
    customer_page = client.get(reverse("customers:detail", args=[bank_a.customer.pk]))
    assert open_url(bank_a.customer) in customer_page.content.decode()
    form = client.get(open_url(bank_a.customer), headers=HTMX).content.decode()
    assert "<html" not in form and 'data-testid="open-request-form"' in form
    assert f'<option value="{catalog["channels"]["COUNTER"].pk}" selected>' in form
    response = client.post(
        open_url(bank_a.customer),
        {
            "request_type": catalog["request_types"]["LOAN_APPLICATION"].pk,
            "summary": "AAA申请经营贷",
            "channel": catalog["channels"]["COUNTER"].pk,
        },
    )
    with bank_a.scope():
        request = ServiceRequest.objects.get(summary="AAA申请经营贷")
    assert response.status_code == 302 and response.url == detail_url(request)
    assert request.customer_id == bank_a.customer.pk and request.team_id == bank_a.sub_branch.pk
    assert request.opened_channel_id == catalog["channels"]["COUNTER"].pk
    assert request.status == "submitted"
    assert steps_of(bank_a, request)[0].staff_id == teller.pk
    # Due per the type's deadline: loan applications take five days.
    assert timedelta(hours=119) < request.due_at - timezone.now() <= timedelta(hours=120)


def test_opening_a_request_checks_what_is_sent(bank_a, catalog, client_for):
    client = client_for(bank_a[Role.TELLER])
    with bank_a.scope():
        retired = catalog["request_types"]["LIMIT_INCREASE"]
        retired.is_active = False
        retired.save()
    for data in (
        {
            "request_type": catalog["request_types"]["LOAN_APPLICATION"].pk,
            "summary": "",
            "channel": catalog["channels"]["COUNTER"].pk,
        },
        {
            "request_type": retired.pk,
            "summary": "AAA提额",
            "channel": catalog["channels"]["COUNTER"].pk,
        },
    ):
        assert client.post(open_url(bank_a.customer), data).status_code == 400
    with bank_a.scope():
        assert not ServiceRequest.objects.exists()


def test_opening_needs_the_permission(bank_a, catalog, client_for):
    client = client_for(bank_a[Role.AUDITOR])
    assert client.get(open_url(bank_a.customer)).status_code == 403
    page = client.get(reverse("customers:detail", args=[bank_a.customer.pk])).content.decode()
    assert open_url(bank_a.customer) not in page


# --- scope and other banks ------------------------------------------------------------------------


def test_requests_out_of_scope_or_of_another_bank_are_not_found(
    bank_a, bank_b, catalog, client_for
):
    catalog_b = standard_catalog(bank_b.tenant)
    foreign = open_request(bank_b, bank_b.customer, catalog_b)
    elsewhere = open_request(bank_a, bank_a.other_customer, catalog)  # team: the other branch
    # Team in the teller's scope, but the customer is not.
    misplaced = open_request(bank_a, bank_a.other_customer, catalog, team=bank_a.sub_branch)
    teller = client_for(bank_a[Role.TELLER])
    manager = client_for(bank_a[Role.BRANCH_MANAGER])
    for request, channels in (
        (foreign, catalog_b["channels"]),
        (elsewhere, catalog["channels"]),
        (misplaced, catalog["channels"]),
    ):
        assert teller.get(detail_url(request)).status_code == 404
        move = {"to_status": "accepted", "channel": channels["COUNTER"].pk}
        assert teller.post(move_url(request), move).status_code == 404
        reassign = {"owner": "", "team": bank_a.sub_branch.pk, "channel": channels["PHONE"].pk}
        assert manager.post(reassign_url(request), reassign).status_code == 404
    for bank, request in ((bank_b, foreign), (bank_a, elsewhere), (bank_a, misplaced)):
        assert reload(bank, request).status == "submitted"
        assert len(steps_of(bank, request)) == 1
    head_office = client_for(bank_a[Role.COMPLAINT_HANDLER])
    response = head_office.get(detail_url(foreign))
    assert response.status_code == 404 and "ZZZ" not in response.content.decode()
    assert head_office.get(detail_url(elsewhere)).status_code == 200


def test_queues_never_show_another_banks_requests(bank_a, bank_b, catalog, client_for):
    open_request(bank_b, bank_b.customer, standard_catalog(bank_b.tenant))
    for tab in ("mine", "team", "overdue"):
        html = client_for(bank_a[Role.COMPLAINT_HANDLER]).get(queue_url(tab)).content.decode()
        assert "ZZZ" not in html


def test_opening_for_a_customer_out_of_scope_or_of_another_bank_is_not_found(
    bank_a, bank_b, catalog, client_for
):
    catalog_b = standard_catalog(bank_b.tenant)
    client = client_for(bank_a[Role.TELLER])
    for customer, cat in ((bank_a.other_customer, catalog), (bank_b.customer, catalog_b)):
        assert client.get(open_url(customer)).status_code == 404
        data = {
            "request_type": cat["request_types"]["LOAN_APPLICATION"].pk,
            "summary": "AAA",
            "channel": cat["channels"]["COUNTER"].pk,
        }
        assert client.post(open_url(customer), data).status_code == 404
    for bank in (bank_a, bank_b):
        with bank.scope():
            assert not ServiceRequest.objects.exists()


def test_relationship_managers_limited_to_their_book_see_only_their_customers_requests(
    bank_a, catalog, client_for
):
    with bank_a.scope():
        bank_a.tenant.rm_scope = "own_book"
        bank_a.tenant.save()
    rm = bank_a[Role.RELATIONSHIP_MANAGER]
    own = open_request(bank_a, bank_a.customer, catalog, owner=rm)
    not_theirs = CustomerFactory(home_branch=bank_a.sub_branch, name="AAA别人的客户")
    other = open_request(bank_a, not_theirs, catalog, owner=bank_a[Role.TELLER])
    # A request given to them is theirs to work on, whoever's customer it is about.
    given = open_request(bank_a, not_theirs, catalog, owner=rm)
    client = client_for(rm)
    assert set(rows(client.get(queue_url("mine")).content.decode())) == {own.number, given.number}
    assert client.get(detail_url(own)).status_code == 200
    assert client.get(detail_url(given)).status_code == 200
    assert client.get(detail_url(other)).status_code == 404
