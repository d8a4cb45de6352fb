from tests.factories.channels import (
    ChannelFactory,
    InteractionFactory,
    OutletFactory,
    ServiceRequestFactory,
    ServiceRequestTypeFactory,
)
from tests.factories.customers import (
    RESIDENT_IDS,
    AssignmentFactory,
    BalanceSnapshotFactory,
    ConsentFactory,
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
    "AssignmentFactory",
    "BalanceSnapshotFactory",
    "BranchFactory",
    "ChannelFactory",
    "ConsentFactory",
    "CustomerFactory",
    "HoldingFactory",
    "InteractionFactory",
    "OutletFactory",
    "PartnerApplicationFactory",
    "PlatformAdminFactory",
    "ProductFactory",
    "ServiceRequestFactory",
    "ServiceRequestTypeFactory",
    "StaffFactory",
    "TenantFactory",
    "access_token_for",
]
