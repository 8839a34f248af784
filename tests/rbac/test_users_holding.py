"""users_holding: the active members of the roles that hold a permission, read from the roles."""

import pytest

from crm.selectors import OWNER_CODENAME
from rbac.models import Role
from rbac.selectors import users_holding


@pytest.mark.django_db
def test_the_active_members_of_roles_holding_the_permission_each_once(world):
    holders = list(users_holding(OWNER_CODENAME))
    assert world.sales in holders and world.manager in holders
    assert world.teacher not in holders and world.student not in holders
    assert len(holders) == len(set(holders))


@pytest.mark.django_db
def test_a_user_in_two_holding_roles_is_listed_once(world):
    Role.objects.get(slug="sales_manager").users.add(world.sales)
    assert list(users_holding(OWNER_CODENAME)).count(world.sales) == 1


@pytest.mark.django_db
def test_inactive_users_are_left_out(world):
    world.sales.is_active = False
    world.sales.save(update_fields=["is_active"])
    assert world.sales not in users_holding(OWNER_CODENAME)


@pytest.mark.django_db
def test_the_members_are_a_subquery_not_a_de_duplicated_join(world):
    sql = str(users_holding(OWNER_CODENAME).query).upper()
    assert "DISTINCT" not in sql and " IN (SELECT" in sql
