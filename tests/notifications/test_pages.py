"""Staff read their own notifications: the inbox, the unread count and mark-as-read."""

from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext, ngettext

from crm.notifications.models import Notification
from crm.notifications.services import notification_send
from crm.tenancy.roles import Role

INBOX = reverse("notifications:list")
BADGE = reverse("notifications:badge")


def unread(count: int) -> str:
    return ngettext("%(unread)s unread", "%(unread)s unread", count) % {"unread": count}


def send(bank, role, key, *, link=""):
    with bank.scope():
        notification_send(
            recipient_id=bank[role].pk,
            kind="approvals.approved",
            key=key,
            params={"summary": f"summary {key}", "approver": "AAA王五", "reason": "ok"},
            link=link,
        )
        return Notification.objects.get(key=key, recipient=bank[role])


def test_the_inbox_shows_ones_own_notifications_rendered_in_the_readers_language(
    bank_a, client_for, django_assert_max_num_queries
):
    send(bank_a, Role.RELATIONSHIP_MANAGER, "mine")
    send(bank_a, Role.TELLER, "someone-elses")
    client = client_for(bank_a[Role.RELATIONSHIP_MANAGER])

    with django_assert_max_num_queries(8):
        page = client.get(INBOX).content.decode()

    assert "someone-elses" not in page
    for language in ("zh-hans", "en"):
        with translation.override(language):
            expected = gettext("Approved: %(summary)s") % {"summary": "summary mine"}
        client.post(reverse("set_language"), {"language": language})
        assert expected in client.get(INBOX).content.decode()


def test_the_badge_counts_unread_notifications_and_opening_one_marks_it_read(bank_a, client_for):
    client = client_for(bank_a[Role.RELATIONSHIP_MANAGER])
    client.post(reverse("notifications:read_all"))  # the fixture's own
    first = send(bank_a, Role.RELATIONSHIP_MANAGER, "one", link="/customers/")
    send(bank_a, Role.RELATIONSHIP_MANAGER, "two")
    assert unread(2) in client.get(BADGE).content.decode()

    response = client.post(reverse("notifications:open", args=[first.pk]))

    assert response.status_code == 302 and response.url == "/customers/"
    assert unread(1) in client.get(BADGE).content.decode()
    client.post(reverse("notifications:read_all"))
    assert "unread-notifications" not in client.get(BADGE).content.decode()


def test_nobody_opens_anothers_notification(bank_a, bank_b, client_for):
    colleagues = send(bank_a, Role.TELLER, "teller")
    other_bank = send(bank_b, Role.RELATIONSHIP_MANAGER, "zzz")
    client = client_for(bank_a[Role.RELATIONSHIP_MANAGER])

    for notification in (colleagues, other_bank):
        response = client.post(reverse("notifications:open", args=[notification.pk]))
        assert response.status_code == 404
    with bank_a.scope():
        colleagues.refresh_from_db()
    assert colleagues.read_at is None


def test_a_link_to_another_site_is_not_followed(bank_a, client_for):
    notification = send(bank_a, Role.RELATIONSHIP_MANAGER, "evil", link="https://evil.example/")
    client = client_for(bank_a[Role.RELATIONSHIP_MANAGER])
    response = client.post(reverse("notifications:open", args=[notification.pk]))
    assert response.url == INBOX


def test_the_menu_links_the_inbox_and_loads_the_count_after_the_page(bank_a, client_for):
    page = client_for(bank_a[Role.TELLER]).get(reverse("home")).content.decode()
    assert f'href="{INBOX}"' in page
    assert f'hx-get="{BADGE}"' in page
