"""Authenticators for tests, and the codes they would show."""

import time

from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from crm.tenancy.models import Staff
from crm.tenancy.scoping import scope_of


def authenticator_for(staff: Staff) -> TOTPDevice:
    """Return ``staff``'s confirmed authenticator, set up now if they have none."""
    with scope_of(staff):
        device = TOTPDevice.objects.filter(user=staff, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=staff, name="authenticator", confirmed=True)
        return device


def code_of(key: bytes, *, steps_ahead: int = 0) -> str:
    """The code an app holding ``key`` shows now (or ``steps_ahead`` periods later).

    A device refuses a code of a period it has already accepted one for; a test that signs
    in twice within 30 seconds asks for the next period's code (the device's tolerance of
    one period lets it through).
    """
    return f"{totp(key, step=30, t0=0, digits=6, drift=steps_ahead):06d}"


def device_code(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    return code_of(device.bin_key, steps_ahead=steps_ahead)


def seconds_into_period() -> float:
    return time.time() % 30


def pass_second_factor(client: Client, staff: Staff) -> None:
    """Make the signed-in session of ``client`` count as having passed the second factor."""
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = authenticator_for(staff).persistent_id
    session.save()
