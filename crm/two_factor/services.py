"""Two-factor sign-in of staff: enrolment, the code step, recovery codes and the reset.

Devices are django-otp's: one TOTP device (an authenticator app) and one static device
holding the recovery codes. Both throttle wrong codes themselves (``OTP_*_THROTTLE_FACTOR``).
Every step is written to the audit trail as a login event.
"""

from base64 import b32encode
from urllib.parse import quote, urlencode

import django_otp
from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from crm.audit.models import LoginEvent
from crm.audit.services import login_event_record
from crm.domain import DomainError
from crm.tenancy.models import Staff

RECOVERY_CODE_COUNT = 10
AUTHENTICATOR_NAME = "authenticator"
RECOVERY_NAME = "recovery codes"


def confirmed_authenticator(staff: Staff) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=staff, confirmed=True).first()


def recovery_codes_left(staff: Staff) -> int:
    count: int = StaticToken.objects.filter(device__user=staff, device__confirmed=True).count()
    return count


def authenticator_pending(staff: Staff) -> TOTPDevice:
    """Return the unconfirmed authenticator this person is setting up (made on first call).

    The same key is shown again on reload until a code confirms it, so a person who scanned
    the QR code and then reloaded the page is not left with a useless entry in their app.
    """
    device = TOTPDevice.objects.filter(user=staff, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=staff, name=AUTHENTICATOR_NAME, confirmed=False)
    return device


def authenticator_url(device: TOTPDevice, staff: Staff) -> str:
    """The ``otpauth://`` address the QR code holds, named after the person's bank.

    django-otp's ``config_url`` takes one issuer for the whole site; a person who works for
    a bank sees that bank's name above the code in their app (one app may hold several).
    """
    issuer = f"{staff.tenant.short_name} CRM" if staff.tenant else settings.OTP_TOTP_ISSUER
    issuer = issuer.replace(":", "")
    secret = b32encode(device.bin_key).decode().rstrip("=")
    query = urlencode(
        {"secret": secret, "algorithm": "SHA1", "digits": device.digits, "period": device.step}
    )
    label = quote(f"{issuer}:{staff.get_username()}")
    return f"otpauth://totp/{label}?{query}&issuer={quote(issuer)}"


def readable_key(device: TOTPDevice) -> str:
    """The secret as typed into an app by hand: base32 in groups of four."""
    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def normalized_code(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def _throttled(device: Device) -> bool:
    """Whether ``device`` refuses every code for now, after recent wrong ones."""
    allowed, _details = device.verify_is_allowed()
    return not allowed


def _refusal(throttled: bool) -> DomainError:
    if throttled:
        return DomainError(
            _("Too many wrong codes. Wait a moment, then try a new code."), field="code"
        )
    return DomainError(_("This code is not valid."), field="code")


def _new_recovery_codes(staff: Staff) -> list[str]:
    StaticDevice.objects.filter(user=staff).delete()
    device = StaticDevice.objects.create(user=staff, name=RECOVERY_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def two_factor_enrol(*, request: HttpRequest, staff: Staff, code: str) -> list[str]:
    """Confirm the pending authenticator with a code from it; return new recovery codes.

    The session counts as having passed the second factor from here on. A wrong code is
    refused after its audit row and the device's throttle count are written: the refusal
    is raised outside the transaction, which would otherwise roll them back.
    """
    with transaction.atomic():
        pending = authenticator_pending(staff)
        device = TOTPDevice.objects.select_for_update().get(pk=pending.pk)
        throttled = _throttled(device)
        accepted = device.verify_token(normalized_code(code))
        if accepted:
            TOTPDevice.objects.filter(user=staff).exclude(pk=device.pk).delete()
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            codes = _new_recovery_codes(staff)
            _pass(request, device)
        _record(
            LoginEvent.Kind.TWO_FACTOR_ENROLLED
            if accepted
            else LoginEvent.Kind.SECOND_FACTOR_FAILED,
            staff,
            request,
        )
    if not accepted:
        raise _refusal(throttled)
    return codes


def two_factor_verify(*, request: HttpRequest, staff: Staff, code: str) -> Device:
    """Accept a code from the authenticator, or a recovery code (used up by this).

    Six digits are an authenticator's code; anything else is taken for a recovery code.
    Each device counts its own wrong codes and refuses any code while throttled; as in
    ``two_factor_enrol``, a refusal keeps its audit row and throttle count.
    """
    code = normalized_code(code)
    by_authenticator = code.isdigit() and len(code) == 6
    model: type[TOTPDevice] | type[StaticDevice] = TOTPDevice if by_authenticator else StaticDevice
    with transaction.atomic():
        devices: list[Device] = list(
            model.objects.filter(user=staff, confirmed=True).select_for_update()
        )
        throttled = bool(devices) and all(_throttled(device) for device in devices)
        accepted = next((device for device in devices if device.verify_token(code)), None)
        if accepted is not None:
            _pass(request, accepted)
            kind = (
                LoginEvent.Kind.SECOND_FACTOR if by_authenticator else LoginEvent.Kind.RECOVERY_CODE
            )
        else:
            kind = LoginEvent.Kind.SECOND_FACTOR_FAILED
        _record(kind, staff, request)
    if accepted is None:
        raise _refusal(throttled)
    return accepted


def _record(kind: str, staff: Staff, request: HttpRequest) -> None:
    login_event_record(kind=kind, staff=staff, request=request)


def _pass(request: HttpRequest, device: Device) -> None:
    # A new session key once the second factor is passed: a key learnt before (fixation)
    # is worth nothing afterwards.
    request.session.cycle_key()
    django_otp.login(request, device)


@transaction.atomic
def recovery_codes_renew(*, request: HttpRequest, staff: Staff) -> list[str]:
    """Replace this person's recovery codes (the old ones stop working)."""
    if confirmed_authenticator(staff) is None:
        raise DomainError(_("Set up two-factor sign-in first."))
    codes = _new_recovery_codes(staff)
    _record(LoginEvent.Kind.RECOVERY_CODES_RENEWED, staff, request)
    return codes


@transaction.atomic
def two_factor_reset(*, request: HttpRequest, actor: Staff, staff: Staff, reason: str) -> None:
    """Remove every device of ``staff``: they set up an authenticator at their next sign-in.

    The caller has found ``staff`` through the actor's scope (their bank, or every bank for
    a platform administrator); the devices are deleted under that scope too, so a row of
    another bank could not be touched even if it were asked for.
    """
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Give a reason."), field="reason")
    TOTPDevice.objects.filter(user=staff).delete()
    StaticDevice.objects.filter(user=staff).delete()
    login_event_record(
        kind=LoginEvent.Kind.TWO_FACTOR_RESET,
        staff=staff,
        request=request,
        actor=actor,
        reason=reason,
    )
