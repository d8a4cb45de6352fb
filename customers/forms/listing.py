"""The customer list and the public pool: search box, filters, sort order and pages."""

from __future__ import annotations

from decimal import Decimal

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from crm.forms import ManyOptionsSelect, bootstrap, branch_label
from customers import list_columns, selectors
from customers.forms.managers import POOL, ManagerLookupForm, RelationshipManagerField
from customers.models import Customer, to_fen

MAX_AUM = Decimal("999999999999.99")


class CustomerFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("aum_min"), cleaned.get("aum_max")
        if low is not None and high is not None and low > high:
            raise ValidationError(_("The lowest AUM is above the highest."))
        return cleaned


class RelationshipManagerFilter(django_filters.Filter):
    field_class = RelationshipManagerField

    def filter(self, queryset, value):
        if value is None:
            return queryset
        if value == POOL:
            return queryset.filter(relationship_manager__isnull=True)
        return queryset.filter(relationship_manager=value)


class CustomerFilter(django_filters.FilterSet):
    """The list's search box and filters; validates the query string like any form."""

    q = django_filters.CharFilter(label=_("Search"), method="filter_search", max_length=100)
    kind = django_filters.ChoiceFilter(
        label=_("Type"), choices=Customer.Kind.choices, empty_label=_("All types")
    )
    branch = django_filters.ChoiceFilter(
        label=_("Branch"),
        method="filter_branch",
        empty_label=_("All my branches"),
        widget=ManyOptionsSelect,
    )
    # Departed managers stay findable: their book is what one looks for then.
    relationship_manager = RelationshipManagerFilter(
        label=_("Relationship manager"), purpose=ManagerLookupForm.FILTER
    )
    tier = django_filters.ChoiceFilter(
        label=_("Tier"), choices=Customer.Tier.choices, empty_label=_("All tiers")
    )
    risk_grade = django_filters.ChoiceFilter(
        label=_("Risk grade"), choices=Customer.RiskGrade.choices, empty_label=_("All grades")
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=Customer.Status.choices, empty_label=_("All statuses")
    )
    aum_min = django_filters.NumberFilter(
        label=_("AUM from (CNY)"),
        method="filter_aum",
        min_value=0,
        max_value=MAX_AUM,
        decimal_places=2,
    )
    aum_max = django_filters.NumberFilter(
        label=_("AUM up to (CNY)"),
        method="filter_aum",
        min_value=0,
        max_value=MAX_AUM,
        decimal_places=2,
    )

    class Meta:
        model = Customer
        fields: list[str] = []
        form = CustomerFilterForm

    def __init__(self, data, *, request, branches):
        # The customers to filter are read in filter_queryset, once the branch is known.
        super().__init__(data, Customer.objects.none(), request=request)
        self.branches = branches
        top = min((branch.depth for branch in branches), default=0)
        self.filters["branch"].extra["choices"] = [
            (str(branch.pk), branch_label(branch, top)) for branch in branches
        ]
        self.filters["relationship_manager"].extra["staff"] = request.user
        # Filters other apps add to the list (customers.list_columns).
        for name, extra in list_columns.filters_for(request.user).items():
            extra.field_name, extra.parent = name, self
            self.filters[name] = extra

    @property
    def form(self):
        form = super().form
        if not getattr(form, "_bootstrapped", False):
            bootstrap(form)
            form.fields["q"].widget.attrs.update(
                placeholder=_("Name, customer number, mobile or ID number"),
                autocomplete="off",
                type="search",
            )
            form._bootstrapped = True
        return form

    def filter_queryset(self, queryset):
        """Filter the customers in the staff member's scope, narrowed to the chosen branch.

        The branch narrows the scope's own ``home_branch_id IN (...)`` rather than adding a
        second one, which would make PostgreSQL expect a few hundred rows where there are
        thousands and read a whole subtree through the wrong index.
        """
        branch = self.form.cleaned_data.get("branch")
        # The subtree's ids come from the branches already loaded for the choices.
        branch_ids = selectors.subtree_ids(self.branches, int(branch)) if branch else None
        customers = selectors.customers_for_list(self.request.user, branch_ids=branch_ids)
        return super().filter_queryset(customers)

    def filter_search(self, queryset, name, value):
        return selectors.search_customers(queryset, value, tenant_id=self.request.user.tenant_id)

    def filter_branch(self, queryset, name, value):
        return queryset  # narrows the scope in filter_queryset

    def filter_aum(self, queryset, name, value):
        lookup = "gte" if name == "aum_min" else "lte"
        return queryset.filter(**{f"aum_fen__{lookup}": to_fen(value)})


class ListOrderForm(forms.Form):
    """Sort order and position of the list (cursors of keyset pages)."""

    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("", _("Automatic")),
            *((key, order.label) for key, order in selectors.SORTS.items()),
        ],
    )
    # A name cursor carries the name: up to 200 characters, 600 bytes, 800 in base64.
    after = forms.CharField(required=False, max_length=1200, widget=forms.HiddenInput)
    before = forms.CharField(required=False, max_length=1200, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)

    def clean(self):
        cleaned = super().clean()
        sort = cleaned.get("sort") or selectors.default_sort(self.data.get("q", ""))
        cleaned["sort"] = sort
        for name in ("after", "before"):
            if cleaned.get(name):
                try:
                    selectors.decode_cursor(sort, cleaned[name])
                except selectors.InvalidCursor:
                    raise ValidationError(
                        _("This page link is out of date: start again from the first page."),
                        code="cursor",
                    ) from None
        return cleaned


class PoolForm(ListOrderForm):
    """The pool's search box, sort and page."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs.update(
            type="search",
            autocomplete="off",
            placeholder=_("Name, customer number, mobile or ID number"),
        )
