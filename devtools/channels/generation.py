"""Channels' generation step (``generate_bank --interactions-per-customer N``).

Once the customers are loaded, in the same transaction, it gives the bank the standard
channel catalog, outlets (a counter and one or two ATMs per sub-branch, ``outlets``), N
contacts per customer over the last twelve months (``interactions``, in the mix of
``profiles``) and a few hundred service requests with their steps (``service_requests``).
After the commit it rolls those months up for the analytics with the roll-up's own
statements over the whole range, recording a job run per day (``channels.services``).
"""

from __future__ import annotations

import time
from datetime import date

from django.conf import settings
from django.utils import translation

from channels import services
from channels.models import Channel, Interaction, ServiceRequest, ServiceRequestStep
from devtools.channels.interactions import load_interactions, make_plan
from devtools.channels.outlets import create_outlets
from devtools.channels.service_requests import load_service_requests
from devtools.generation import GenerationContext


def generate_channels(context: GenerationContext) -> None:
    """The generation step: catalog, outlets, contacts and requests of the new bank."""
    if context.options["interactions_per_customer"] <= 0:
        return
    clock = time.perf_counter()
    tenant = context.tenant
    with translation.override(settings.LANGUAGE_CODE):
        services.standard_catalog_ensure(tenant=tenant)
    channels = {channel.code: channel for channel in Channel.objects.filter(tenant=tenant)}
    outlets = create_outlets(context, channels)
    context.rows["outlets"] = len(outlets)
    plan = make_plan(context, channels, outlets)
    context.seconds["channels: catalog and outlets"] = time.perf_counter() - clock

    with context.load_window(
        (Interaction, ServiceRequest, ServiceRequestStep), label="interactions"
    ):
        clock = time.perf_counter()
        requested = load_interactions(context, plan)
        context.seconds["interactions"] = time.perf_counter() - clock
        clock = time.perf_counter()
        load_service_requests(context, plan, channels, requested)
        context.seconds["service requests"] = time.perf_counter() - clock

    first_day, last_day = (date.fromisoformat(plan.days[i].strip()) for i in (0, -1))
    context.after_commit("channel roll-up", lambda: _roll_up(context, first_day, last_day))


def _roll_up(context: GenerationContext, first_day: date, last_day: date) -> None:
    """Fill the analytics' daily roll-up for the generated days."""
    context.progress(f"channel roll-up: {first_day} to {last_day}")
    context.rows["channel roll-up rows"] = services.rollup_backfill(
        first_day=first_day, last_day=last_day
    )
