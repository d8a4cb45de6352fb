"""Two first answers for one consent at once: the later one is weighed, nothing fails."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from customers.models import Consent
from customers.services import consent_record

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_first_answer_racing_another_is_weighed_against_it(bank_a):
    customer = bank_a.customer
    given = timezone.now() - timedelta(minutes=5)
    first_inserted = threading.Event()
    errors: list[BaseException] = []

    def answer(granted: bool, at, hold_open: bool) -> None:
        try:
            with bank_a.scope(), transaction.atomic():
                consent_record(
                    customer=customer,
                    purpose="marketing",
                    channel="sms",
                    granted=granted,
                    source="mobile_app",
                    actor=None,
                    recorded_at=at,
                )
                if hold_open:
                    first_inserted.set()
                    time.sleep(0.5)  # the other answer's insert waits on this one's row
        except BaseException as error:  # reported to the test's thread below
            errors.append(error)
        finally:
            first_inserted.set()
            connection.close()

    app = threading.Thread(target=answer, args=(True, given, True))
    app.start()
    first_inserted.wait(timeout=30)
    # The withdrawal, given a minute later, arrives while the grant is not yet committed.
    counter = threading.Thread(target=answer, args=(False, given + timedelta(minutes=1), False))
    counter.start()
    app.join(timeout=60)
    counter.join(timeout=60)

    assert errors == []
    with bank_a.scope():
        [consent] = Consent.objects.filter(customer=customer, purpose="marketing", channel="sms")
        assert consent.granted is False
        assert consent.recorded_at == given + timedelta(minutes=1)
