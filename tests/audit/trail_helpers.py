"""What the audit-trail tests share: acting as a person, reading the page's entries."""

import html
import re

import pghistory

from tests.factories import CustomerFactory


def acting_as(staff):
    """The audit context a page request by ``staff`` opens (see TenantMiddleware)."""
    return pghistory.context(staff_id=staff.pk, username=staff.get_username(), url="/test/")


def import_customers(bank, count: int, *, by) -> list[str]:
    """Create ``count`` customers in one transaction, as an import does; return their names.

    Their events share one time (the transaction's), so only the id orders them.
    """
    names = [f"{bank.marker}导入客户{n:04d}" for n in range(count)]
    with bank.scope(), acting_as(by):
        for n, name in enumerate(names):
            CustomerFactory(home_branch=bank.sub_branch, number=f"IMP{n:05d}", name=name)
    return names


SUBJECT = re.compile(r'data-testid="audit-subject">([^<]*)</td>')
# The "older entries" link: the query of the next page carries the cursor.
OLDER = re.compile(r'href="\?([^"]*\b(?:after|before)=[^"]*)"')


def subjects(page: str) -> list[str]:
    return [html.unescape(subject) for subject in SUBJECT.findall(page)]


def older_entries_query(page: str) -> str | None:
    found = OLDER.search(page)
    return html.unescape(found.group(1)) if found else None
