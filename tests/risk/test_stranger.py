"""The access suite's stranger has warnings of their own (tests/security/strangers_risk.py), so
the warning pages there have something to leak and the ticket URL a warning to name."""

from risk.selectors import customer_warnings, student_warnings
from tests.security.strangers import build_stranger


def test_the_stranger_has_warnings_only_a_scope_of_all_reaches(world):
    stranger = build_stranger(world)
    mine = {
        (w.kind, w.occurrence) for w in student_warnings(world.admin) if w.student_id == stranger.student.pk
    }
    assert mine == {("absence", 2), ("homework", 2), ("grades", 2)}
    assert stranger.extra["risk_customer"].pk in {w.customer.pk for w in customer_warnings(world.superuser)}
    for role in ("teacher", "manager", "sales"):
        assert not [w for w in student_warnings(world.users[role]) if w.student_id == stranger.student.pk]
        assert stranger.extra["risk_customer"].pk not in {
            w.customer.pk for w in customer_warnings(world.users[role])
        }
