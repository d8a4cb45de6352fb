"""Columns and filters that other apps add to the customer list.

channels adds the last contact and open service requests; marketing and risk will add
theirs the same way, from their AppConfig.ready(), without customers knowing them. A
column brings the annotation it reads, added to the list's one query (a correlated subquery
or a join), so the list keeps its query count however many apps add columns; each
annotation must be cheap for the page of rows the list shows. A filter is a django-filter
``Filter`` made fresh for each request.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import django_filters
from django.db.models import QuerySet
from django.utils.functional import Promise


@dataclass(frozen=True)
class ListColumn:
    key: str
    title: str | Promise
    annotate: Callable[[QuerySet], QuerySet]  # adds ``attribute`` to each row of the query
    attribute: str
    display: Callable[[object], object] | None = None  # how a value reads; default: as is
    order: int = 100
    css_class: str = ""  # "num" for figures
    permission: str | None = None  # permission the viewer needs, if any

    def visible_to(self, staff) -> bool:
        return not self.permission or staff.has_perm(self.permission)

    def value_of(self, row):
        value = getattr(row, self.attribute, None)
        return self.display(value) if self.display is not None else value


@dataclass(frozen=True)
class ListFilter:
    key: str  # the query-string parameter
    make: Callable[[], django_filters.Filter]  # with ``method`` doing the filtering
    permission: str | None = None

    def visible_to(self, staff) -> bool:
        return not self.permission or staff.has_perm(self.permission)


_columns: dict[str, ListColumn] = {}
_filters: dict[str, ListFilter] = {}


def register_list_column(column: ListColumn) -> ListColumn:
    _columns[column.key] = column
    return column


def register_list_filter(list_filter: ListFilter) -> ListFilter:
    _filters[list_filter.key] = list_filter
    return list_filter


def unregister(key: str) -> None:
    _columns.pop(key, None)
    _filters.pop(key, None)


def columns_for(staff) -> list[ListColumn]:
    return sorted(
        (column for column in _columns.values() if column.visible_to(staff)),
        key=lambda column: (column.order, column.key),
    )


def filters_for(staff) -> dict[str, django_filters.Filter]:
    """Fresh filters for one request, by query-string name, in registration order."""
    return {key: item.make() for key, item in _filters.items() if item.visible_to(staff)}


def with_columns(queryset: QuerySet, columns: list[ListColumn]) -> QuerySet:
    for column in columns:
        queryset = column.annotate(queryset)
    return queryset
