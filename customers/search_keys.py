"""Fill the phone-tail search key of customers saved before it existed.

``Customer.set_phone`` keeps ``phone_tail_index`` for every customer saved since (forms,
the partner API and imports all go through it; the generator writes it in its COPY). The
given name needs no filling: the database derives it from the name. Customers stored before
have a phone but no tail key: migration ``0009`` fills them once, and ``manage.py
fill_search_keys`` does it again at any time (after restoring an old backup, say). Both
read in id order, a batch at a time, decrypt the phone in Python (the hash key never goes
to the database) and write the batch back with one ``UPDATE ... FROM unnest()``.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection, transaction

from crm import pii
from customers.models import phone_tail_index

BATCH = 5000


def fill_phone_tails(customer_model, *, progress: Callable[[int], None] | None = None) -> int:
    """Set ``phone_tail_index`` where a customer has a phone but no tail key; return how many.

    ``customer_model`` is the model to read (a migration passes its historical model); it
    must see every bank's rows: run as the tables' owner or platform-wide.
    """
    table = connection.ops.quote_name(customer_model._meta.db_table)
    filled = 0
    last_id = 0
    while True:
        with transaction.atomic():
            batch = list(
                customer_model._base_manager.filter(pk__gt=last_id, phone_tail_index__isnull=True)
                .exclude(phone_encrypted="")
                .order_by("pk")
                .values_list("pk", "tenant_id", "phone_encrypted")[:BATCH]
            )
            if not batch:
                return filled
            last_id = batch[-1][0]
            ids, tails = [], []
            for pk, tenant_id, token in batch:
                tail = phone_tail_index(pii.decrypt(token), tenant_id=tenant_id)
                if tail is not None:
                    ids.append(pk)
                    tails.append(tail)
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {table} AS c SET phone_tail_index = v.tail "  # noqa: S608
                    "FROM unnest(%s::bigint[], %s::bytea[]) AS v(id, tail) WHERE c.id = v.id",
                    [ids, tails],
                )
            filled += len(ids)
            if progress is not None:
                progress(filled)
