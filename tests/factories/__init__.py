from tests.factories.tenancy import (
    BranchFactory,
    PartnerApplicationFactory,
    PlatformAdminFactory,
    StaffFactory,
    TenantFactory,
    access_token_for,
)

__all__ = [
    "BranchFactory",
    "PartnerApplicationFactory",
    "PlatformAdminFactory",
    "StaffFactory",
    "TenantFactory",
    "access_token_for",
]
