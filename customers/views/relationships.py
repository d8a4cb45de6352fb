"""A customer's relationships: add one, correct it, end it (kept as history)."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from crm.domain import DomainError, add_to_form
from crm.tenancy.decorators import tenant_staff_required
from customers import rules, selectors, services
from customers.forms.relationships import (
    RelationshipAddForm,
    RelationshipCorrectForm,
    RelationshipEndForm,
)

# Form fields by service argument, for the service's refusals.
FIELDS = {"to_customer": "other", "from_customer": "role", "kind": "role", "ended_on": "ended_on"}


def _refused(form, error: DomainError) -> None:
    for each in error.errors:
        each.field = FIELDS.get(each.field or "", each.field)
    add_to_form(form, error)


def _back_to(customer) -> HttpResponse:
    return redirect(reverse("customers:detail", args=[customer.pk]) + "#panel-relationships")


@tenant_staff_required
@permission_required("customers.add_customerrelationship", raise_exception=True)
def relationship_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Relate another customer (found by number or by a search in scope) to this one."""
    staff = request.user
    customer = selectors.get_customer_or_404(staff, pk)
    initial = {"other": request.GET.get("other", "")}
    form = RelationshipAddForm(
        request.POST or None, staff=staff, customer=customer, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        source, target, kind = rules.read_role(
            form.cleaned_data["role"], customer=customer, other=form.cleaned_data["other"]
        )
        try:
            relationship = services.relationship_add(
                from_customer=source,
                to_customer=target,
                kind=kind,
                note=form.cleaned_data["note"],
                actor=staff,
            )
        except DomainError as error:
            _refused(form, error)
        else:
            messages.success(request, _("Relationship recorded: %(r)s.") % {"r": relationship})
            return _back_to(customer)
    search = request.GET.get("q", "")
    context = {
        "customer": customer,
        "form": form,
        "action": "add",
        "search": search,
        "candidates": selectors.related_candidates(staff, customer, search),
    }
    status = 400 if form.is_bound else 200
    return render(request, "customers/relationship_form.html", context, status=status)


@tenant_staff_required
@permission_required("customers.change_customerrelationship", raise_exception=True)
def relationship_correct(request: HttpRequest, pk: int, relationship_pk: int) -> HttpResponse:
    """Correct how two customers are related (the kind, or which side is which)."""
    staff = request.user
    customer = selectors.get_customer_or_404(staff, pk)
    relationship = selectors.relationship_of_or_404(customer, relationship_pk)
    other = relationship.other(customer)
    initial = {"role": relationship.role_of_other(customer), "note": relationship.note}
    form = RelationshipCorrectForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            source, _target, kind = rules.read_role(
                form.cleaned_data["role"], customer=customer, other=other
            )
            services.relationship_correct(
                relationship=relationship,
                kind=kind,
                from_customer=source,
                note=form.cleaned_data["note"],
                actor=staff,
            )
        except DomainError as error:
            _refused(form, error)
        else:
            messages.success(request, _("Relationship corrected: %(r)s.") % {"r": relationship})
            return _back_to(customer)
    context = {
        "customer": customer,
        "form": form,
        "action": "correct",
        "relationship": relationship,
        "other": other,
        "label": relationship.label_for(customer),
    }
    status = 400 if form.is_bound else 200
    return render(request, "customers/relationship_form.html", context, status=status)


@tenant_staff_required
@permission_required("customers.change_customerrelationship", raise_exception=True)
def relationship_end(request: HttpRequest, pk: int, relationship_pk: int) -> HttpResponse:
    """End a relationship on a date; it stays on the customer page as history."""
    staff = request.user
    customer = selectors.get_customer_or_404(staff, pk)
    relationship = selectors.relationship_of_or_404(customer, relationship_pk)
    form = RelationshipEndForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.relationship_end(
                relationship=relationship, ended_on=form.cleaned_data["ended_on"], actor=staff
            )
        except DomainError as error:
            _refused(form, error)
        else:
            messages.success(request, _("Relationship ended: %(r)s.") % {"r": relationship})
            return _back_to(customer)
    context = {
        "customer": customer,
        "form": form,
        "action": "end",
        "relationship": relationship,
        "other": relationship.other(customer),
        "label": relationship.label_for(customer),
    }
    status = 400 if form.is_bound else 200
    return render(request, "customers/relationship_form.html", context, status=status)
