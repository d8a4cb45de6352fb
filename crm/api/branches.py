"""Branches for partner systems: ``GET /api/v1/branches/``."""

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, viewsets

from crm.api.fields import IdFilter
from crm.api.filters import PartnerFilterSet
from crm.api.views import PartnerAPIMixin
from crm.tenancy.models import Branch


class BranchFilter(PartnerFilterSet):
    kind = django_filters.ChoiceFilter(choices=Branch.Kind.choices)
    code = django_filters.CharFilter()
    parent = IdFilter(field_name="parent_id")
    is_active = django_filters.BooleanFilter()
    name_prefix = django_filters.CharFilter(
        method="filter_name_prefix", label=_("Name starts with")
    )
    within = IdFilter(method="filter_within", label=_("In the subtree of the branch with this id"))

    class Meta:
        model = Branch
        fields = ["kind", "code", "parent", "is_active"]

    def filter_name_prefix(
        self, queryset: QuerySet[Branch], name: str, value: str
    ) -> QuerySet[Branch]:
        return queryset.filter(name__prefix=value)

    def filter_within(self, queryset: QuerySet[Branch], name: str, value: Any) -> QuerySet[Branch]:
        root = Branch.objects.filter(pk=value).first()
        if root is None:
            return queryset.none()
        return queryset.filter(path__prefix=root.path)


class BranchOutput(serializers.ModelSerializer[Branch]):
    class Meta:
        model = Branch
        fields = ["id", "code", "name", "kind", "parent", "depth", "address", "is_active"]


@extend_schema_view(
    list=extend_schema(summary="List the bank's branches", tags=["branches"]),
    retrieve=extend_schema(summary="Read one branch", tags=["branches"]),
)
class BranchViewSet(PartnerAPIMixin, viewsets.ReadOnlyModelViewSet[Branch]):
    """The org tree of the partner's bank: head office, branches and sub-branches."""

    scope_resource = "branches"
    serializer_class = BranchOutput
    filterset_class = BranchFilter
    ordering_fields = ["id"]

    def get_queryset(self) -> QuerySet[Branch]:
        return Branch.objects.for_partner(self.partner)
