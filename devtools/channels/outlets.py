"""The outlets of a generated bank: a counter and one or two ATMs per sub-branch."""

from __future__ import annotations

import random

from channels.models import Channel, Outlet
from crm.tenancy.models import Branch
from devtools.channels.profiles import OFF_SITE_ATM_PLACES, OUTLET_MODELS
from devtools.customers.generation import organisation_of
from devtools.generation import GenerationContext


def branches_with_outlets(context: GenerationContext) -> list[Branch]:
    """Where the outlets are: every sub-branch, or the branches of a bank without any."""
    organisation = organisation_of(context)
    return organisation.sub_branches or organisation.branches or [organisation.head_office]


def create_outlets(context: GenerationContext, channels: dict[str, Channel]) -> list[Outlet]:
    rng = random.Random(f"{context.spec.seed}:outlets")
    models, weights = zip(*OUTLET_MODELS, strict=True)
    outlets = []
    for branch in branches_with_outlets(context):
        model = rng.choices(models, weights)[0]
        outlets.append(
            Outlet(
                tenant=context.tenant,
                channel=channels["COUNTER"],
                branch=branch,
                code=f"{branch.code}-OUT",
                name=f"{branch.name}营业厅",
                kind=Outlet.Kind.BRANCH_OUTLET,
                outlet_model=model,
                location=branch.address,
            )
        )
        outlets.append(
            Outlet(
                tenant=context.tenant,
                channel=channels["ATM"],
                branch=branch,
                code=f"{branch.code}-ATM1",
                name=f"{branch.name}自助银行",
                kind=Outlet.Kind.ATM,
                outlet_model=model,
                location=branch.address,
            )
        )
        if rng.random() < 0.5:  # an off-site ATM where the outlet's customers are
            place = OFF_SITE_ATM_PLACES[rng.choices(models, weights)[0]]
            city = branch.name.removesuffix("支行")[:2]
            outlets.append(
                Outlet(
                    tenant=context.tenant,
                    channel=channels["ATM"],
                    branch=branch,
                    code=f"{branch.code}-ATM2",
                    name=f"{branch.name}离行式自助银行（{place}）",
                    kind=Outlet.Kind.ATM,
                    outlet_model=model,
                    location=f"{city}市{place}一层",
                )
            )
    return Outlet.objects.bulk_create(outlets)
