import pytest

from crm.tenancy.roles import Role
from tests.factories import StaffFactory


@pytest.fixture
def second_admin(bank_a):
    """Another administrator at the head office: the checker of the first one's proposals."""
    return StaffFactory(branch=bank_a.head_office, name="AAA第二管理员", roles=[Role.TENANT_ADMIN])


@pytest.fixture
def second_marketing_manager(bank_a):
    return StaffFactory(
        branch=bank_a.head_office, name="AAA第二营销经理", roles=[Role.MARKETING_MANAGER]
    )
