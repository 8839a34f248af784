"""The access suite's stranger versions (and reasons for rows with nothing of anyone's to name)
for the risk app's rows; tests/security/test_access.py merges them into its tables.

The stranger student (class B, the stranger consultant's customer) has warnings of each lesson
kind and the stranger consultant a customer about to return to the pool (strangers_risk.py):
only a data scope of "all" reaches them (the administrator for students; the superuser, as no
other role with that scope holds the customer page)."""

from tests.security.versions import ADMINS, SUPERUSER, Version, of

SETUP = "school-wide setup (no owner); the role x URL matrix says who may open it"


def _ticket_for_the_strangers_warning(world, stranger) -> dict:
    return {"kind": "absence", "class_list": world.class_b.pk, "occurrence": 2}


VERSIONS: dict[str, tuple[Version, ...]] = {
    "risk:student-warnings": (
        Version(reach=ADMINS),
        Version(query=lambda world, stranger: {"class_list": world.class_b.pk}, reach=ADMINS),
        Version(query=lambda world, stranger: {"kind": "grades"}, reach=ADMINS),
    ),
    "risk:student-warnings[bad-filter]": (Version(reach=ADMINS),),
    "risk:customer-warnings": (Version(reach=SUPERUSER),),
    "risk:customer-warnings[kind]": (
        Version(query=lambda world, stranger: {"kind": "pool_return"}, reach=SUPERUSER),
    ),
    # Administrators reach the stranger student and open a ticket... which class B, without an
    # adviser, refuses: their POST writes nothing either.
    "risk:student-ticket": (of("student", data=_ticket_for_the_strangers_warning, reach=ADMINS),),
    "risk:student-ticket[get]": (of("student", reach=SUPERUSER, reach_ok=405),),
}
NOTHING_TO_NAME: dict[str, str] = {
    "risk:student-thresholds": SETUP,
    "risk:student-thresholds[save]": SETUP,
    "risk:customer-thresholds": SETUP,
    "risk:customer-thresholds[save]": SETUP,
}
