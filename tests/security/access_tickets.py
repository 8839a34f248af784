"""The access suite's stranger versions (and reasons for rows with nothing of anyone's to name)
for the tickets app's rows; tests/security/test_access.py merges them into its tables.

The stranger's tickets (strangers_tickets.py) belong to a consultant of another department and
to the stranger student: finance and administrators reach every ticket (data scope "all"), and
so they may open one for any customer or student; everyone else gets 404 or a list without them."""

from tests.security.strangers import CHINESE_MARK, MARK
from tests.security.versions import ADMINS, PHONE, REVIEWERS, Version, search


def _ticket(name: str = "ticket", **options) -> Version:
    return Version(
        kwargs=lambda world, stranger: {"pk": stranger.extra[name].pk}, names_object=True, **options
    )


def _subject(kind: str, **options) -> Version:
    """Opening a ticket for the stranger's customer or student, named in the query string."""
    attribute = {"customer": "customer", "student": "student"}[kind]
    return Version(
        query=lambda world, stranger: {kind: getattr(stranger, attribute).pk},
        names_object=True,
        reach=REVIEWERS,
        **options,
    )


def _new_ticket_for_stranger(world, stranger) -> dict:
    from tests.rbac.rows_tickets import new_ticket

    return new_ticket(world) | {"customer": stranger.customer.pk}


STAFF_MOVES = ("assign", "take", "start", "resolve", "feedback", "archive", "reopen", "comment")
STUDENT_MOVES = ("feedback", "reopen", "comment")

VERSIONS: dict[str, tuple[Version, ...]] = {
    # The list: searched by the stranger's title marker, customer name and phone.
    "tickets:ticket-list": tuple(search(text, reach=REVIEWERS) for text in (MARK, CHINESE_MARK, PHONE)),
    # "Assigned to me" lists none of the stranger's tickets; the whole school's staff and queues
    # in the filter's choices are the "all" scope's.
    "tickets:ticket-list[filtered]": (Version(reach=REVIEWERS),),
    "tickets:ticket-export": (Version(reach=REVIEWERS), search(MARK, reach=REVIEWERS)),
    "tickets:ticket-export[xlsx]": (Version(), search(MARK)),
    "tickets:ticket-create": (_subject("customer"), _subject("student")),
    "tickets:ticket-create[post]": (
        Version(data=_new_ticket_for_stranger, names_object=True, reach=REVIEWERS),
    ),
    "tickets:ticket-detail": (_ticket(reach=REVIEWERS), _ticket("student_ticket", reach=REVIEWERS)),
    **{f"tickets:ticket-{move}": (_ticket(reach=REVIEWERS),) for move in STAFF_MOVES},
    # The report: a manager's covers their department, the administrators' the school.
    "tickets:report": (Version(reach=ADMINS),),
    "tickets:report[period]": (Version(reach=ADMINS),),
    # The portal: a student's own tickets only, whoever the other ticket's requester is.
    "tickets:my-ticket-list": (Version(),),
    "tickets:my-ticket-detail": (_ticket("student_ticket"), _ticket()),
    **{f"tickets:my-ticket-{move}": (_ticket("student_ticket"),) for move in STUDENT_MOVES},
}
SETTINGS = "school-wide settings (no owner); the role x URL matrix says who may use them"
OWN_ONLY = "opens a ticket of the signed-in student only: nothing of anyone's to name"
NOTHING_TO_NAME: dict[str, str] = {
    "tickets:deadlines": SETTINGS,
    "tickets:deadlines[save]": SETTINGS,
    "tickets:my-ticket-create": OWN_ONLY,
    "tickets:my-ticket-create[post]": OWN_ONLY,
}
