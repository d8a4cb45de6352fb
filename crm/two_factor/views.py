"""The code step after the password, setting up an authenticator, and the reset."""

import segno
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from crm.domain import DomainError, add_to_form
from crm.http import StaffRequest
from crm.tenancy.models import Staff
from crm.two_factor import services
from crm.two_factor.forms import CodeForm, ResetForm
from crm.two_factor.middleware import second_factor_not_required

STAFF_PAGE_SIZE = 100


def _next_url(request: StaffRequest) -> str:
    """Where to go once the code is accepted: the page first asked for, if it is ours."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("home")


def _with_next(request: StaffRequest, url_name: str) -> HttpResponse:
    url = reverse(url_name)
    target = request.GET.get("next") or request.POST.get("next")
    if target:
        url += "?" + urlencode({"next": target})
    return redirect(url)


def _is_verified(request: StaffRequest) -> bool:
    return bool(request.user.is_verified())  # type: ignore[attr-defined]  # django-otp's


@never_cache
@sensitive_post_parameters("code")
@second_factor_not_required
def verify(request: StaffRequest) -> HttpResponse:
    """The second step of signing in: a code from the authenticator, or a recovery code."""
    staff = request.user
    if not staff.must_use_two_factor or _is_verified(request):
        return redirect(_next_url(request))
    if services.confirmed_authenticator(staff) is None:
        return _with_next(request, "two_factor:enrol")
    form = CodeForm(request.POST or None)
    if form.is_valid():
        try:
            services.two_factor_verify(request=request, staff=staff, code=form.cleaned_data["code"])
        except DomainError as error:
            add_to_form(form, error)
        else:
            return redirect(_next_url(request))
    context = {"form": form, "next": _next_url(request), "two_factor_pending": True}
    return render(request, "two_factor/verify.html", context)


@never_cache
@sensitive_post_parameters("code")
@second_factor_not_required
def enrol(request: StaffRequest) -> HttpResponse:
    """Set up an authenticator app: scan the code (or type the key), confirm with a code.

    The recovery codes are shown once, in the answer to the confirmation.
    """
    staff = request.user
    if not staff.must_use_two_factor:
        return redirect("two_factor:account")
    if services.confirmed_authenticator(staff) is not None:
        if _is_verified(request):
            return redirect("two_factor:account")
        return _with_next(request, "two_factor:verify")
    device = services.authenticator_pending(staff)
    form = CodeForm(request.POST or None)
    if form.is_valid():
        try:
            codes = services.two_factor_enrol(
                request=request, staff=staff, code=form.cleaned_data["code"]
            )
        except DomainError as error:
            add_to_form(form, error)
        else:
            return _show_recovery_codes(request, codes, _next_url(request))
    # segno draws the QR code as SVG markup of its own: the address is encoded in the
    # modules, and the title is our own text, escaped by segno.
    qr_svg = segno.make(services.authenticator_url(device, staff), error="m").svg_inline(
        scale=5, title=_("QR code for your authenticator app")
    )
    context = {
        "form": form,
        "qr_svg": mark_safe(qr_svg),  # noqa: S308
        "key": services.readable_key(device),
        "next": _next_url(request),
        "two_factor_pending": True,
    }
    return render(request, "two_factor/enrol.html", context)


def _show_recovery_codes(request: StaffRequest, codes: list[str], next_url: str) -> HttpResponse:
    readable = [f"{code[:4]}-{code[4:]}" for code in codes]
    return render(request, "two_factor/recovery_codes.html", {"codes": readable, "next": next_url})


@never_cache
def account(request: StaffRequest) -> HttpResponse:
    """This person's two-factor sign-in: whether it is set up, recovery codes left."""
    staff = request.user
    context = {
        "required": staff.must_use_two_factor,
        "authenticator": services.confirmed_authenticator(staff),
        "codes_left": services.recovery_codes_left(staff),
    }
    return render(request, "two_factor/account.html", context)


@never_cache
@require_POST
def recovery_codes(request: StaffRequest) -> HttpResponse:
    """New recovery codes, shown once; the old ones stop working."""
    try:
        codes = services.recovery_codes_renew(request=request, staff=request.user)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("two_factor:account")
    return _show_recovery_codes(request, codes, reverse("two_factor:account"))


def _staff_visible_to(request: StaffRequest) -> QuerySet[Staff]:
    """Staff whose two-factor sign-in this administrator may reset: their bank's, or every
    bank's for a platform administrator (the scoped manager decides which)."""
    return Staff.objects.select_related("tenant", "branch")


@permission_required("tenancy.reset_two_factor", raise_exception=True)
def staff_list(request: StaffRequest) -> HttpResponse:
    enrolled = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
    staff = (
        _staff_visible_to(request)
        .filter(is_active=True)
        .annotate(has_authenticator=Exists(enrolled))
        .order_by("tenant__code", "branch__path", "name", "pk")
    )
    page = Paginator(staff.prefetch_related("groups"), STAFF_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for person in page:
        # The rule of Staff.must_use_two_factor, on the prefetched roles (one query a page).
        roles = {group.name for group in person.groups.all()}
        chosen = set(person.tenant.two_factor_roles) if person.tenant else set()
        person.requires_two_factor = (  # type: ignore[attr-defined]  # for the template
            person.is_platform_admin or bool(roles & chosen)
        )
    return render(request, "two_factor/staff_list.html", {"page": page})


@permission_required("tenancy.reset_two_factor", raise_exception=True)
def staff_reset(request: StaffRequest, pk: int) -> HttpResponse:
    """Remove a staff member's authenticator and recovery codes, with a reason."""
    person = get_object_or_404(_staff_visible_to(request), pk=pk)
    form = ResetForm(request.POST or None)
    if form.is_valid():
        try:
            services.two_factor_reset(
                request=request,
                actor=request.user,
                staff=person,
                reason=form.cleaned_data["reason"],
            )
        except DomainError as error:
            add_to_form(form, error)
        else:
            messages.success(
                request,
                _("%(name)s sets up two-factor sign-in again at their next sign-in.")
                % {"name": person.name},
            )
            return redirect("two_factor:staff")
    context = {
        "person": person,
        "form": form,
        "authenticator": services.confirmed_authenticator(person),
    }
    return render(request, "two_factor/reset.html", context)
