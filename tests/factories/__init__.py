from tests.factories.customers import (
    RESIDENT_IDS,
    BalanceSnapshotFactory,
    CustomerFactory,
    HoldingFactory,
    ProductFactory,
)
from tests.factories.tenancy import (
    BranchFactory,
    PartnerApplicationFactory,
    PlatformAdminFactory,
    StaffFactory,
    TenantFactory,
    access_token_for,
)

__all__ = [
    "RESIDENT_IDS",
    "BalanceSnapshotFactory",
    "BranchFactory",
    "CustomerFactory",
    "HoldingFactory",
    "PartnerApplicationFactory",
    "PlatformAdminFactory",
    "ProductFactory",
    "StaffFactory",
    "TenantFactory",
    "access_token_for",
]
