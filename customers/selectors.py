"""Reads of customers for the pages: the list and its search, one customer, the pool.

Every function starts from ``Customer.objects.in_scope(staff)`` (or the pool's scope), so
a page cannot show what the staff member may not see. The list stays fast at a million
customers under row-level security: exact searches go through blind indexes, name search
is a ``^@`` prefix on ``COLLATE "C"``, ranges are on ``bigint`` and pages are keyset pages
(no OFFSET, no COUNT).
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import connection, models
from django.db.models import Count, F, Min, OuterRef, Q, QuerySet, Subquery, Sum, Window
from django.db.models.functions import Coalesce, Collate, TruncDate
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from crm import bounds, paging, pii
from crm.audit.models import PersonalDataAccess
from crm.audit.selectors import object_history
from crm.paging import InvalidCursor
from crm.tenancy.context import require_tenant
from crm.tenancy.models import Branch, Staff
from crm.tenancy.roles import Role
from customers.models import (
    Assignment,
    BalanceSnapshot,
    Consent,
    Customer,
    CustomerRelationship,
    CustomerSettings,
    Holding,
    MonthlyRiskCost,
    Product,
)

if TYPE_CHECKING:
    from crm.api.bulk import BatchCheck

PAGE_SIZE = 50

# --- search -----------------------------------------------------------------------------

PHONE_INPUT = re.compile(r"^(?:\+86|0086)?1[3-9]\d{9}$")
ID_INPUT = re.compile(
    r"^(?:\d{17}[\dX]|\d{15}"  # resident ID (18, or the old 15 digits)
    r"|[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}"  # unified social credit code
    r"|[A-Z]{1,2}\d{7,8})$"  # passport
)
NUMBER_INPUT = re.compile(r"^[A-Za-z0-9_\-]+$")


class SearchKind:
    PHONE = "phone"
    ID_NUMBER = "id_number"
    NUMBER_OR_NAME = "number_or_name"
    NAME = "name"
    # Four digits alone: a customer number or a name, with a hint for the phone's last four.
    FOUR_DIGITS = "four_digits"
    PHONE_TAIL = "phone_tail"
    PHONE_TAIL_ALONE = "phone_tail_alone"

    DESCRIPTIONS = {
        PHONE: _("Mobile phone number (exact) or customer number"),
        ID_NUMBER: _("ID number (exact) or customer number"),
        NUMBER_OR_NAME: _("Customer number (exact) or the beginning of the name"),
        NAME: _("Beginning of the name, or the given name"),
        FOUR_DIGITS: _("Customer number (exact) or the beginning of the name"),
        PHONE_TAIL: _("Last four digits of the mobile phone, with the name or the birth year"),
        PHONE_TAIL_ALONE: _("Last four digits of the mobile phone"),
    }
    # Said next to the results: how to ask for what was probably meant.
    HINTS = {
        FOUR_DIGITS: _(
            "To search by the last four digits of the mobile phone, add the beginning of the "
            "name or the birth year, e.g. “5678 张” or “尾号5678 1985”."
        ),
        PHONE_TAIL_ALONE: _(
            "The last four digits of a phone alone match too many customers. Add the "
            "beginning of the name or the birth year, e.g. “尾号5678 张” or “尾号5678 1985”."
        ),
    }


# The last four digits of the phone (尾号), marked or not, with one more field: the
# beginning of the name or a birth year. Accepted forms (spaces between the two parts):
#   "5678 张", "张 5678", "尾号5678 张三", "张 尾号 5678"   -> the digits and the name
#   "5678 1985", "尾号5678 1985", "1985年 5678"           -> the digits and the birth year
# Unmarked, of two four-digit parts the first is the phone's (unless only the first can be
# a birth year). "尾号5678" alone is refused as too broad (10,000 values: a hundred
# customers each at a million); "5678" alone stays a customer number or name search.
TAIL_MARK = "尾号"
TAIL_DIGITS = re.compile(r"^(?:尾号)?(\d{4})$")
BIRTH_YEAR = re.compile(r"^((?:19|20)\d{2})年?$")


@dataclass(frozen=True)
class PhoneTailSearch:
    digits: str
    name: str = ""
    birth_year: int | None = None

    @property
    def is_too_broad(self) -> bool:
        return not self.name and self.birth_year is None


def _birth_year(token: str) -> int | None:
    match = BIRTH_YEAR.match(token)
    if match is None:
        return None
    year = int(match.group(1))
    return year if year <= timezone.localdate().year else None


def parse_phone_tail(text: str) -> PhoneTailSearch | None:
    """The phone's last four digits and the field with them, if ``text`` is such a search."""
    tokens = re.sub(rf"{TAIL_MARK}\s*", TAIL_MARK, text.strip()).split()
    if not 1 <= len(tokens) <= 2:
        return None
    marked = [token for token in tokens if token.startswith(TAIL_MARK)]
    if len(marked) > 1:
        return None
    if marked:
        match = TAIL_DIGITS.match(marked[0])
        if match is None:
            return None
        tail = marked[0]
    else:
        digits = [token for token in tokens if re.fullmatch(r"\d{4}", token)]
        if len(tokens) < 2 or not digits:
            return None
        tail = digits[0]
        if len(digits) == 2 and _birth_year(tokens[1]) is None and _birth_year(tokens[0]):
            tail = digits[1]
        match = TAIL_DIGITS.match(tail)
        assert match is not None
    others = list(tokens)
    others.remove(tail)
    if not others:
        return PhoneTailSearch(match.group(1))
    other = others[0]
    year = _birth_year(other)
    if year is not None:
        return PhoneTailSearch(match.group(1), birth_year=year)
    if any(character.isdigit() for character in other):
        return None
    return PhoneTailSearch(match.group(1), name=other)


def detect_search(text: str) -> tuple[str, str]:
    """Tell what was typed in the search box: a phone, an ID number, a number or a name.

    Returns the kind and the text to search for. Customer numbers come in many shapes, so
    every exact search also tries the customer number.
    """
    text = text.strip()
    compact = "".join(text.split()).upper()
    if PHONE_INPUT.match(compact):
        return SearchKind.PHONE, compact
    if ID_INPUT.match(compact):
        return SearchKind.ID_NUMBER, compact
    tail = parse_phone_tail(text)
    if tail is not None:
        return (SearchKind.PHONE_TAIL_ALONE if tail.is_too_broad else SearchKind.PHONE_TAIL), text
    if re.fullmatch(r"\d{4}", text):
        return SearchKind.FOUR_DIGITS, text
    if NUMBER_INPUT.match(text):
        return SearchKind.NUMBER_OR_NAME, text
    return SearchKind.NAME, text


def _numbers(text: str) -> list[str]:
    """Customer numbers as typed and in capitals (numbers are usually kept in capitals)."""
    text = text.strip()
    return sorted({text, text.upper()})


def search_customers(queryset: QuerySet, text: str, *, tenant_id: int) -> QuerySet:
    """Narrow ``queryset`` to the customers matching the search box, index-backed each way."""
    kind, value = detect_search(text)
    if kind == SearchKind.PHONE:
        phone = pii.blind_index("phone", value, tenant_id=tenant_id)
        return queryset.filter(Q(phone_index=phone) | Q(number=value))
    if kind == SearchKind.ID_NUMBER:
        id_number = pii.blind_index("id_number", value, tenant_id=tenant_id)
        return queryset.filter(Q(id_number_index=id_number) | Q(number__in=_numbers(text)))
    if kind == SearchKind.PHONE_TAIL_ALONE:
        return queryset.none()
    if kind == SearchKind.PHONE_TAIL:
        tail = parse_phone_tail(value)
        assert tail is not None
        return queryset.with_phone_tail(
            tail.digits, tenant_id=tenant_id, name=tail.name, birth_year=tail.birth_year
        )
    if kind in (SearchKind.NUMBER_OR_NAME, SearchKind.FOUR_DIGITS):
        return queryset.name_starts_with(value) | queryset.filter(number__in=_numbers(value))
    return queryset.name_or_given_name(value)


# --- a walk-in customer at the counter --------------------------------------------------

WALK_IN_CARDS = 5  # an ID or mobile number is one person's, or a few of one family's


def mask_name(name: str) -> str:
    """A name with only its first and last characters: 何秀英 → 何*英, 张三 → 张*."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return f"{name[0]}*"
    return f"{name[0]}{'*' * (len(name) - 2)}{name[-1]}"


@dataclass(frozen=True)
class WalkInCard:
    """What the counter may know of a customer found by an exact ID or mobile number.

    Enough to serve the person in front of the counter or send them on (who they are, to
    whom they belong), nothing of their holdings; a link to the record only when the record
    is in scope anyway.
    """

    pk: int
    number: str
    masked_name: str
    kind_label: str
    home_branch_name: str
    manager_name: str | None
    in_scope: bool


def walk_in_lookup(staff: Staff, text: str) -> tuple[str, list[WalkInCard]]:
    """Customers of the whole bank whose ID or mobile number is exactly ``text``.

    Returns the kind of lookup (``SearchKind.ID_NUMBER`` or ``SearchKind.PHONE``) and the
    cards, none for any other search: names, numbers and partial input stay in scope. Never
    another bank's: the blind index is keyed by the bank and the query carries its tenant.
    The caller records the lookup (``services.walk_in_lookup_record``) before showing it.
    """
    kind, value = detect_search(text)
    assert staff.tenant_id is not None  # a bank's staff: the list is no platform page
    rows = Customer.objects.within(staff.scope.for_exact_lookup())
    if kind == SearchKind.PHONE:
        rows = rows.with_phone(value, tenant_id=staff.tenant_id)
    elif kind == SearchKind.ID_NUMBER:
        rows = rows.with_id_number(value, tenant_id=staff.tenant_id)
    else:
        return kind, []
    found = (
        rows.select_related("home_branch", "relationship_manager")
        .only(
            "number",
            "name",
            "kind",
            "home_branch__name",
            "relationship_manager__name",
        )
        .order_by("pk")[:WALK_IN_CARDS]
    )
    scope = staff.scope
    return kind, [
        WalkInCard(
            pk=customer.pk,
            number=customer.number,
            masked_name=mask_name(customer.name),
            kind_label=customer.get_kind_display(),
            home_branch_name=customer.home_branch.name,
            manager_name=(
                customer.relationship_manager.name if customer.relationship_manager else None
            ),
            in_scope=scope.covers_customer(
                home_branch_id=customer.home_branch_id,
                manager_id=customer.relationship_manager_id,
            ),
        )
        for customer in found
    ]


# --- what staff may choose from ---------------------------------------------------------


def branches_in_scope(staff: Staff) -> list[Branch]:
    """The branches in the staff member's scope, in tree order (inactive ones too)."""
    return list(Branch.objects.in_scope(staff).tree_order())


def subtree_ids(branches: list[Branch], branch_id: int) -> list[int]:
    """Ids of a branch and everything under it, from an already loaded list of branches."""
    top = next((branch for branch in branches if branch.pk == branch_id), None)
    if top is None:
        return []
    return [branch.pk for branch in branches if branch.path.startswith(top.path)]


MANAGER_MATCHES = 20  # a lookup lists at most this many: a bank has thousands of managers


def relationship_managers_in_scope(staff: Staff, *, include_deactivated: bool) -> QuerySet:
    """Relationship managers working in the staff member's branch subtree.

    Deactivated ones only where their book is what one looks for (a filter), never where
    customers would be given to them.
    """
    managers = Staff.objects.in_scope(staff).with_role(Role.RELATIONSHIP_MANAGER)
    return managers if include_deactivated else managers.active()


def relationship_manager_in_scope(
    staff: Staff, pk: int, *, include_deactivated: bool
) -> Staff | None:
    """The relationship manager with ``pk`` if in the staff member's scope, else None."""
    managers = relationship_managers_in_scope(staff, include_deactivated=include_deactivated)
    return managers.select_related("branch").filter(pk=pk).first()


def relationship_manager_matches(
    staff: Staff, text: str, *, include_deactivated: bool
) -> tuple[list[Staff], bool]:
    """Relationship managers in scope matching what was typed in a manager lookup.

    A name matches anywhere in it, a username or an employee number at its beginning.
    Returns the first ``MANAGER_MATCHES`` and whether there are more.
    """
    managers = relationship_managers_in_scope(staff, include_deactivated=include_deactivated)
    text = text.strip()
    if text:
        # The staff of one bank are a few thousand rows: no index needed for a contains.
        managers = managers.filter(
            Q(name__icontains=text)
            | Q(username__istartswith=text)
            | Q(employee_number__istartswith=text)
        )
    found = list(
        managers.select_related("branch").order_by("name", "branch__path", "pk")[
            : MANAGER_MATCHES + 1
        ]
    )
    return found[:MANAGER_MATCHES], len(found) > MANAGER_MATCHES


# --- the list: keyset pages ---------------------------------------------------------------


@dataclass(frozen=True)
class Sort:
    """An order of the list and the keyset that continues it.

    ``column`` is None for id-only orders; otherwise pages continue after (column, id).
    """

    label: str
    column: str | None
    descending: bool

    def order_by(self, *, reverse: bool = False) -> list[str]:
        descending = self.descending != reverse
        sign = "-" if descending else ""
        columns = [self.column, "id"] if self.column else ["id"]
        return [f"{sign}{column}" for column in columns]

    def continuing(self, key: list, *, reverse: bool = False) -> Q:
        """Rows after ``key`` in this order (before it when ``reverse``)."""
        descending = self.descending != reverse
        after, after_or_at = ("lt", "lte") if descending else ("gt", "gte")
        if self.column is None:
            return Q(**{f"id__{after}": key[0]})
        value, pk = key
        # The first condition is what the index serves; the second settles ties.
        return Q(**{f"{self.column}__{after_or_at}": value}) & (
            Q(**{f"{self.column}__{after}": value}) | Q(**{f"id__{after}": pk})
        )

    def key_of(self, customer: Customer) -> list:
        if self.column is None:
            return [customer.pk]
        value = customer.name if self.column == "sort_name" else getattr(customer, self.column)
        return [value, customer.pk]


SORTS: dict[str, Sort] = {
    "newest": Sort(_("Newest first"), None, descending=True),
    "name": Sort(_("Name"), "sort_name", descending=False),
    "aum_desc": Sort(_("AUM, highest first"), "aum_fen", descending=True),
    "aum_asc": Sort(_("AUM, lowest first"), "aum_fen", descending=False),
}
DEFAULT_SORT = "newest"


def default_sort(search: str) -> str:
    """Name order for a name search (the order its index gives), newest first otherwise."""
    name_kinds = (
        SearchKind.NAME,
        SearchKind.NUMBER_OR_NAME,
        SearchKind.FOUR_DIGITS,
        SearchKind.PHONE_TAIL,
    )
    if search.strip() and detect_search(search)[0] in name_kinds:
        return "name"
    return DEFAULT_SORT


def encode_cursor(sort: str, key: list) -> str:
    return paging.encode_cursor([sort, *key])


def decode_cursor(sort: str, token: str) -> list:
    """Return the key in ``token``; raise InvalidCursor if it is not one of ``sort``'s."""
    key = paging.decode_cursor(token, sort)
    column = SORTS[sort].column
    expected = [int] if column is None else [str if column == "sort_name" else int, int]
    if len(key) != len(expected) or not all(
        type(value) is kind for value, kind in zip(key, expected, strict=True)
    ):
        raise InvalidCursor(token)
    return key


@dataclass
class CustomerPage:
    customers: list[Customer]
    next_cursor: str | None = None
    previous_cursor: str | None = None
    sort: str = DEFAULT_SORT
    is_first: bool = True

    @property
    def is_complete(self) -> bool:
        """Whether this one page holds every matching customer (so its length is the count)."""
        return self.is_first and self.next_cursor is None


def customers_for_list(staff: Staff, *, branch_ids: list[int] | None = None) -> QuerySet:
    """Customers in scope with what a list row shows, without the encrypted columns.

    ``branch_ids`` narrows the scope to those branches (a subtree chosen in the filter).
    """
    return (
        Customer.objects.in_scope(staff, branch_ids=branch_ids)
        .select_related("home_branch", "relationship_manager")
        .defer("id_number_encrypted", "phone_encrypted", "id_number_index", "phone_index")
    )


def customer_page(
    queryset: QuerySet,
    *,
    sort: str = DEFAULT_SORT,
    after: str = "",
    before: str = "",
    size: int | None = None,
) -> CustomerPage:
    """One page of ``queryset`` in ``sort`` order, after or before a cursor (keyset paging)."""
    size = size or PAGE_SIZE
    order = SORTS[sort]
    if order.column == "sort_name":
        queryset = queryset.alias(sort_name=Collate("name", "C"))
    backwards = bool(before) and not after
    cursor = before if backwards else after
    if cursor:
        queryset = queryset.filter(order.continuing(decode_cursor(sort, cursor), reverse=backwards))
    elif order.column is None:
        # Newest first walks the primary key backwards. Where another bank's customers have
        # the higher ids (a bank loaded after this one), PostgreSQL, which takes every bank's
        # ids to be spread evenly, would read all of theirs first: start at this bank's newest.
        newest = Customer.objects.order_by("-pk").values("pk")[:1]
        queryset = queryset.filter(pk__lte=Subquery(newest))
    alternatives = getattr(queryset, "alternatives", ())
    if len(alternatives) > 1:
        rows = _merged_alternatives(queryset, alternatives, order, backwards=backwards, size=size)
    else:
        rows = list(queryset.order_by(*order.order_by(reverse=backwards))[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    page = CustomerPage(customers=rows, sort=sort, is_first=not cursor or (backwards and not more))
    if rows:
        first, last = order.key_of(rows[0]), order.key_of(rows[-1])
        if backwards:
            page.next_cursor = encode_cursor(sort, last)
            page.previous_cursor = encode_cursor(sort, first) if more else None
        else:
            page.next_cursor = encode_cursor(sort, last) if more else None
            page.previous_cursor = encode_cursor(sort, first) if cursor else None
    return page


def _merged_alternatives(
    queryset: QuerySet, alternatives: tuple[Q, ...], order: Sort, *, backwards: bool, size: int
) -> list[Customer]:
    """The first ``size + 1`` rows of an OR-ed search, each alternative read on its own.

    PostgreSQL answers ``name ^@ '秀英' OR given_name ^@ '秀英'`` with a bitmap of every
    match of both, read from the table and sorted (for a common surname tens of thousands
    of rows). Read apart, each alternative comes from its own index in the page's order and
    stops after a page: the keys of the page are the first of their UNION, and the page's
    rows are then read by id (one query more).
    """
    ids = [
        row[0] for row in page_keys(queryset, alternatives, order, backwards=backwards, size=size)
    ]
    found = {customer.pk: customer for customer in queryset.filter(pk__in=ids)}
    return [found[pk] for pk in ids if pk in found]


def page_keys(
    queryset: QuerySet, alternatives: tuple[Q, ...], order: Sort, *, backwards: bool, size: int
) -> QuerySet:
    """The UNION of each alternative's first ``size + 1`` keys (id and sort column), in order.

    Only the id and the sort column are read, so a name search's keys come from its index
    alone (the index-only scan needs no table page, cold or warm).
    """
    ordering = order.order_by(reverse=backwards)
    columns = ["pk", order.column] if order.column else ["pk"]
    if order.column == "sort_name":
        queryset = queryset.annotate(sort_name=Collate("name", "C"))
    if hasattr(queryset, "without_search_condition"):
        queryset = queryset.without_search_condition()
    parts = [
        queryset.filter(alternative).order_by(*ordering).values_list(*columns)[: size + 1]
        for alternative in alternatives
    ]
    merged = parts[0].union(*parts[1:]).order_by(*(name.replace("pk", "id") for name in ordering))
    return merged[: size + 1]


# --- one customer -------------------------------------------------------------------------


def get_customer_or_404(staff: Staff, pk: int) -> Customer:
    """The customer with ``pk`` if ``staff`` may see it; 404 otherwise (never 403)."""
    customer = (
        Customer.objects.in_scope(staff)
        .select_related("home_branch", "relationship_manager")
        .filter(pk=pk)
        .first()
    )
    if customer is None:
        raise Http404
    return customer


def customer_ids_in_scope(staff: Staff, ids: Iterable[int]) -> set[int]:
    """Which of ``ids`` ``staff`` may open: rows of other pages link only to those (one query)."""
    ids = list(ids)
    if not ids:
        return set()
    return set(Customer.objects.in_scope(staff).filter(pk__in=ids).values_list("pk", flat=True))


def customers_of_branches_in_scope(staff: Staff) -> QuerySet:
    """Customers of the staff member's branch subtree, whoever looks after them."""
    return Customer.objects.within(staff.scope.without_book())


def pool_in_scope(staff: Staff) -> QuerySet:
    """Pool customers of the staff member's branch subtree.

    The pool is nobody's book, so relationship managers limited to their own book still
    see the pool of their branches: that is where they find customers to take on.
    """
    return (
        customers_of_branches_in_scope(staff)
        .in_pool()
        .select_related("home_branch")
        .defer("id_number_encrypted", "phone_encrypted", "id_number_index", "phone_index")
    )


def get_claimable_or_404(staff: Staff, pk: int) -> Customer:
    """A customer of the staff member's branches (the service checks it is still in the pool)."""
    customer = customers_of_branches_in_scope(staff).filter(pk=pk).first()
    if customer is None:
        raise Http404
    return customer


def claims_this_month(manager: Staff) -> int:
    """How many customers ``manager`` took from the pool since the month began (bank time)."""
    start = timezone.localtime().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return Assignment.objects.filter(
        relationship_manager=manager, kind=Assignment.Kind.CLAIM, changed_at__gte=start
    ).count()


def pool_claims(staff: Staff) -> dict[str, int]:
    """How many pool customers ``staff`` claimed this month, out of the bank's limit."""
    limit = CustomerSettings.current().pool_claim_limit
    used = claims_this_month(staff)
    return {"used": used, "limit": limit, "left": max(limit - used, 0)}


# --- panels of the customer page ---------------------------------------------------------

HOLDINGS_SHOWN = 50
HISTORY_SHOWN = 20
TREND_MONTHS = 24


@dataclass(frozen=True)
class CurrentHoldings:
    """The holdings the customer page lists, and the key figures of all of them."""

    shown: list[Holding]
    more: bool
    figures: dict[str, Decimal | int]
    first_opened_on: date | None = None


def current_holdings(customer: Customer) -> CurrentHoldings:
    """The holdings panel's rows and the key figures (``key_figures``), in one query.

    The figures are window sums over every holding of the customer, computed before the
    LIMIT that keeps the panel short (no COUNT: corporates can hold thousands). The result
    is kept on the customer object, which a page fetches for its request alone, so the
    panel and the figures above it read the holdings once, whichever asks first.
    """
    cached = getattr(customer, "_current_holdings", None)
    if cached is not None:
        return cached
    current = ~Q(status=Holding.Status.CLOSED)
    wealth = [c for c in Product.ASSET_CATEGORIES if c != Product.Category.DEPOSIT]

    def total(categories) -> Window:
        return Window(Sum("balance", filter=current & Q(product__category__in=categories)))

    holdings = list(
        Holding.objects.filter(customer=customer)
        .select_related("product")
        .annotate(
            deposits_total=total([Product.Category.DEPOSIT]),
            loans_total=total(Product.LIABILITY_CATEGORIES),
            wealth_total=total(wealth),
            products_total=Window(Count("pk", filter=current)),
            # Closed holdings too: the customer has been with the bank since the first.
            first_opened_on=Window(Min("opened_on")),
        )
        .order_by("status", "product__category", "-opened_on", "pk")[: HOLDINGS_SHOWN + 1]
    )
    # Every row carries the same totals; a customer who holds nothing has no row.
    totals = holdings[0] if holdings else None
    figures: dict[str, Decimal | int] = {
        name: getattr(totals, f"{name}_total", None) or Decimal("0.00")
        for name in ("deposits", "loans", "wealth")
    }
    figures["aum"] = figures["deposits"] + figures["wealth"]
    figures["products"] = getattr(totals, "products_total", 0)
    customer._current_holdings = CurrentHoldings(
        shown=holdings[:HOLDINGS_SHOWN],
        more=len(holdings) > HOLDINGS_SHOWN,
        figures=figures,
        first_opened_on=getattr(totals, "first_opened_on", None),
    )
    return customer._current_holdings


def key_figures(customer: Customer) -> dict[str, Decimal | int]:
    """Deposits, loans, wealth, AUM and number of products held, from current holdings.

    Read by the holdings panel's query, so the customer page reads the holdings once.
    """
    return current_holdings(customer).figures


def customer_since(customer: Customer) -> date:
    """The day ``customer`` became the bank's customer: their earliest holding's opening.

    A customer without any holding (a prospect) counts from the day their record was made.
    Read with the holdings panel's query (``current_holdings``): no query of its own.
    """
    first = current_holdings(customer).first_opened_on
    return first if first is not None else timezone.localdate(customer.created_at)


def holdings_panel(request, customer: Customer) -> dict:
    holdings = current_holdings(customer)
    return {"holdings": holdings.shown, "more_holdings": holdings.more, "shown": HOLDINGS_SHOWN}


def aum_trend_panel(request, customer: Customer) -> dict:
    snapshots = list(
        BalanceSnapshot.objects.filter(customer=customer).order_by("-month")[:TREND_MONTHS]
    )
    snapshots.reverse()
    chart = {
        "months": [f"{snapshot.month:%Y-%m}" for snapshot in snapshots],
        "series": [
            {"name": str(_("AUM")), "values": [str(s.aum) for s in snapshots]},
            {"name": str(_("Deposits")), "values": [str(s.deposits) for s in snapshots]},
            {
                "name": str(_("Wealth, funds and insurance")),
                "values": [str(s.wealth) for s in snapshots],
            },
            {"name": str(_("Loans")), "values": [str(s.loans) for s in snapshots]},
        ],
        "unit": str(_("CNY")),
    }
    return {"snapshots": snapshots, "aum_chart": chart, "chart_id": f"aum-chart-{customer.pk}"}


@dataclass
class RelatedCustomer:
    label: str
    customer: Customer
    note: str
    in_scope: bool
    relationship: CustomerRelationship
    editable: bool  # the viewer may correct or end it (a current one, both customers seen)


def relationships_panel(request, customer: Customer) -> dict:
    """Relationships read from this customer's side, whichever way they were recorded:
    current ones first, then the ended ones as history (two queries)."""
    staff = request.user
    relationships = list(
        CustomerRelationship.objects.of_customer(customer)
        .select_related("from_customer", "to_customer")
        .order_by(F("ended_on").desc(nulls_first=True), "kind", "pk")[:HISTORY_SHOWN]
    )
    others = [relationship.other(customer) for relationship in relationships]
    visible = customer_ids_in_scope(staff, [other.pk for other in others])
    can_change = staff.has_perm("customers.change_customerrelationship")
    return {
        "related": [
            RelatedCustomer(
                label=relationship.label_for(customer),
                customer=other,
                note=relationship.note,
                in_scope=other.pk in visible,
                relationship=relationship,
                editable=can_change and relationship.is_current and other.pk in visible,
            )
            for relationship, other in zip(relationships, others, strict=True)
        ],
        "can_add": staff.has_perm("customers.add_customerrelationship"),
    }


def relationship_of_or_404(customer: Customer, pk: int) -> CustomerRelationship:
    """One relationship of ``customer`` (already checked to be in scope); 404 otherwise."""
    relationship = (
        CustomerRelationship.objects.of_customer(customer)
        .select_related("from_customer", "to_customer")
        .filter(pk=pk)
        .first()
    )
    if relationship is None:
        raise Http404
    return relationship


RELATED_CANDIDATES_SHOWN = 10


def related_candidates(staff: Staff, customer: Customer, text: str) -> list[Customer]:
    """Customers in ``staff``'s scope matching a search, to relate to ``customer``."""
    if not text.strip():
        return []
    candidates = search_customers(
        Customer.objects.in_scope(staff).exclude(pk=customer.pk),
        text,
        tenant_id=staff.tenant_id,
    )
    candidates = candidates.select_related("home_branch").order_by("number")
    return list(candidates[:RELATED_CANDIDATES_SHOWN])


def consents_panel(request, customer: Customer) -> dict:
    consents = (
        Consent.objects.filter(customer=customer)
        .select_related("recorded_by")
        .order_by("purpose", "channel")
    )
    return {"consents": list(consents)}


def rm_history_panel(request, customer: Customer) -> dict:
    assignments = (
        Assignment.objects.filter(customer=customer)
        .select_related("previous_manager", "relationship_manager", "changed_by")
        .order_by("-changed_at", "-pk")[:HISTORY_SHOWN]
    )
    return {"assignments": list(assignments)}


REVEALED_FIELD_LABELS = {
    "id_number": _("ID number"),
    "phone": _("Mobile phone number"),
    "walk_in_lookup": _("Walk-in lookup (minimal card)"),
}


def audit_panel(request, customer: Customer) -> dict:
    """Changes of the customer's record and who viewed their personal data, for auditors."""
    accesses = list(
        PersonalDataAccess.objects.filter(
            subject_type=Customer._meta.label_lower, subject_id=customer.pk
        )
        .select_related("staff")
        .order_by("-accessed_at")[:HISTORY_SHOWN]
    )
    for access in accesses:
        access.field_label = REVEALED_FIELD_LABELS.get(access.field, access.field)
    return {
        "changes": object_history(
            Customer, customer.pk, tenant=request.user.tenant, limit=HISTORY_SHOWN
        ),
        "accesses": accesses,
    }


def resolve_customer_numbers(batch: BatchCheck) -> None:
    """Replace each item's ``customer_number`` of a partner batch by the customer's id.

    One query for the whole batch; another bank's numbers are simply not found, and their
    items are refused.
    """
    numbers = batch.values("customer_number")
    ids = dict(Customer.objects.filter(number__in=numbers).values_list("number", "pk"))
    batch.resolve(
        "customer_number",
        ids,
        gettext("No customer of this bank has this customer number."),
    )


def customers_over_total(accounts: Iterable[tuple[str, int, Decimal]]) -> set[int]:
    """The customers whose holdings would add up to more than the bound of one customer
    (``crm.bounds.MAX_CUSTOMER_TOTAL``) once these accounts (number, holder, balance) are
    loaded: the accounts' present balances are replaced, whoever holds them now.

    Every balance is within bounds, but enough of them on one customer would still overflow
    the customer's AUM; a bank's figures never come near this bound.
    """
    totals: dict[int, Decimal] = {}
    numbers = []
    for number, customer_id, balance in accounts:
        totals[customer_id] = totals.get(customer_id, Decimal(0)) + balance
        numbers.append(number)
    if not totals:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT customer_id, sum(balance)
              FROM customers_holding
             WHERE tenant_id = %(tenant)s AND customer_id = ANY(%(customers)s::bigint[])
               AND NOT account_number = ANY(%(accounts)s::varchar[])
             GROUP BY customer_id
            """,
            {"tenant": require_tenant().pk, "customers": list(totals), "accounts": numbers},
        )
        for customer_id, kept in cursor.fetchall():
            totals[customer_id] += kept
    return {customer for customer, total in totals.items() if total > bounds.MAX_CUSTOMER_TOTAL}


def customer_total_refusal() -> str:
    """Why a load that would break ``customers_over_total``'s bound is refused."""
    return gettext(
        "This customer's balances would add up to more than %(total)s yuan, "
        "more than any customer of a bank holds."
    ) % {"total": f"{bounds.MAX_CUSTOMER_TOTAL:,.0f}"}


# --- figures for value scoring ------------------------------------------------------------
#
# Value scoring (marketing) reads a whole bank's customers in a few set-based statements
# (INSERT ... SELECT over ranges of customer ids). These give it the customers' tenure and
# risk costs as SQL to put into such a statement, and as querysets for everything else.


def customers_since(customers: QuerySet[Customer]) -> QuerySet[Customer]:
    """``customers`` annotated with ``customer_since`` (see ``customer_since``), for lists.

    One index-only probe of ``holding_customer_opened`` per customer: fine for a page or a
    report; a statement over a million customers uses ``customer_since_sql``.
    """
    zone = zoneinfo.ZoneInfo(require_tenant().time_zone)
    first_opened = (
        Holding.objects.filter(customer_id=OuterRef("pk"))
        .order_by()
        .values("customer_id")
        .annotate(first=Min("opened_on"))
        .values("first")
    )
    return customers.annotate(
        customer_since=Coalesce(Subquery(first_opened), TruncDate("created_at", tzinfo=zone))
    )


@dataclass(frozen=True)
class MonthlyFigureSql:
    """A per-customer figure as parts of a set-based statement over customers ``alias``.

    ``join`` is a LEFT JOIN LATERAL to put after ``FROM <customers table> <alias>``;
    ``value`` the figure's expression (never null) for the SELECT list; ``params`` the named
    parameters both use (prefixed, so that they merge into the statement's own).
    """

    join: str
    value: str
    params: dict[str, object]


CUSTOMER_SINCE_JOIN = """LEFT JOIN LATERAL (
    SELECT h.opened_on AS first_opened_on FROM {holding} h
     WHERE h.tenant_id = {alias}.tenant_id AND h.customer_id = {alias}.id
     ORDER BY h.opened_on LIMIT 1) {name} ON true"""
CUSTOMER_SINCE_VALUE = (
    "COALESCE({name}.first_opened_on, ({alias}.created_at AT TIME ZONE %({name}_zone)s)::date)"
)


def _identifiers(*names: str) -> None:
    # Aliases are the caller's code, never input; this keeps them to plain SQL names.
    if not all(name.isidentifier() and name.isascii() for name in names):
        raise ValueError(f"Not SQL aliases: {names!r}")


def customer_since_sql(*, alias: str = "c", name: str = "since") -> MonthlyFigureSql:
    """Each customer's ``customer_since`` date, for a statement over customers ``alias``.

    Per customer, the earliest opening is the first entry of its range of the index
    ``holding_customer_opened`` (tenant, customer, opened_on): an index-only probe, which
    a statement over a range of ids pays only for the customers in the range (a GROUP BY
    over the holdings would read all of them on every pass).
    """
    _identifiers(alias, name)
    names = {"alias": alias, "name": name}
    return MonthlyFigureSql(
        join=CUSTOMER_SINCE_JOIN.format(
            holding=connection.ops.quote_name(Holding._meta.db_table), **names
        ),
        value=CUSTOMER_SINCE_VALUE.format(**names),
        params={f"{name}_zone": require_tenant().time_zone},
    )


# A figure kept per customer and month, in a table unique on (tenant, month, customer).
MONTHLY_FIGURE_JOIN = """LEFT JOIN {table} {name}
       ON {name}.tenant_id = {alias}.tenant_id AND {name}.month = %({name}_month)s
      AND {name}.customer_id = {alias}.id"""
MONTHLY_FIGURE_VALUE = "COALESCE({name}.{column}, 0)"


def monthly_risk_costs(month: date) -> QuerySet[MonthlyRiskCost]:
    """The current bank's recorded risk costs of ``month`` (its first day), one per customer.

    A customer without a row has a risk cost of 0.
    """
    return MonthlyRiskCost.objects.filter(tenant_id=require_tenant().pk, month=month)


def monthly_risk_cost_sql(
    month: date, *, alias: str = "c", name: str = "risk_cost"
) -> MonthlyFigureSql:
    """Each customer's risk cost of ``month`` (0 without a row), for a statement over
    customers ``alias``: one probe of the table's unique index (tenant, month, customer).
    """
    return monthly_figure_sql(MonthlyRiskCost, "amount", month, alias=alias, name=name)


def monthly_figure_sql(
    model: type[models.Model], column: str, month: date, *, alias: str, name: str
) -> MonthlyFigureSql:
    """``column`` of ``model`` (a table unique on tenant, month and customer) for ``month``,
    0 where a customer has no row, for a statement over customers ``alias``."""
    _identifiers(alias, name, column)
    return MonthlyFigureSql(
        join=MONTHLY_FIGURE_JOIN.format(
            table=connection.ops.quote_name(model._meta.db_table), alias=alias, name=name
        ),
        value=MONTHLY_FIGURE_VALUE.format(name=name, column=column),
        params={f"{name}_month": month},
    )
