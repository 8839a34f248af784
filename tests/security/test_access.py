"""Access: nobody reaches someone else's data through any URL of the URLconf.

For every row of the role x URL table (tests/rbac/test_url_matrix.py, itself checked against the
URLconf, so a new view gets a row here too) the anonymous visitor and every role ask for the
stranger's version of the row: the objects of a party no world user is meant to reach
(tests/security/strangers.py), or for lists, searches, exports, reports and batch actions the
stranger's markers, ids and month. A role that legitimately reaches the stranger's data (finance
and admins review every enrollment, admins manage every account, the superuser's customer scope
is everything) gets the row's status. Everyone else gets the page they may open showing nothing
of the stranger's, or 404 (they hold the right, not the object) or 403 (they do not hold the
right); the body, streamed files and unpacked xlsx and zip downloads included, holds none of the
markers, and the database and the stored files are exactly as before, POSTs included.
A row whose URL names an object, or that lists, searches, exports, reports or acts in batch,
must have a stranger version (or a stated reason why there is nothing of anyone's to name):
`test_every_row_has_a_stranger_version_or_a_reason` fails for a new one until it gets one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.urls import reverse

from common.access import PUBLIC
from tests.conftest import World, make_client
from tests.rbac.matrix import (
    ANONYMOUS,
    ROLES,
    Case,
    enrollment_link,
    no_kwargs,
    team_targets,
)
from tests.rbac.test_url_matrix import EXPECTED
from tests.security import access_marketing, access_risk, access_tickets, snapshot
from tests.security.cases import with_params
from tests.security.strangers import (
    CHINESE_MARK,
    MARK,
    Stranger,
    build_stranger,
    leaks,
    response_body,
)
from tests.security.versions import (
    ADMINS,
    PHONE,
    QQ,
    REVIEWERS,
    SUPERUSER,
    Build,
    Version,
    class_b,
    ids,
    nothing,
    of,
    search,
    stranger_month,
)


def customer_searches(reach: frozenset[str] = frozenset()) -> tuple[Version, ...]:
    """Customer searches match a name's start, a phone or a QQ: the stranger's name starts with
    the Chinese marker."""
    return tuple(search(text, reach=reach) for text in (CHINESE_MARK, PHONE, QQ))


STRANGER_VERSIONS: dict[str, tuple[Version, ...]] = {
    "home": (Version(),),
    "accounts:notification-list": (Version(),),
    "accounts:notification-open": (of("notification"),),
    "accounts:notification-read-all": (Version(),),
    # Accounts and departments: the administrators' by design.
    "rbac:user-list": (search(MARK, reach=ADMINS),),
    "rbac:user-update": (of("consultant", reach=ADMINS),),
    "rbac:user-set-active": (of("consultant", reach=ADMINS),),
    # The stranger's account is active, not a registration awaiting approval: not found.
    "rbac:user-approve": (of("consultant", reach=ADMINS, reach_ok=404),),
    "rbac:user-password-link": (of("consultant", reach=ADMINS),),
    "rbac:department-list": (search(MARK, reach=ADMINS),),
    "rbac:department-update": (of("department", reach=ADMINS),),
    "rbac:department-set-active": (of("department", reach=ADMINS),),
    # The access log names whose data was opened: the administrators' page.
    "audit:access-log": (Version(reach=ADMINS),),
    "audit:access-log[filtered]": (Version(reach=ADMINS),),
    "audit:access-log[bad-filters]": (Version(reach=ADMINS),),
    "audit:access-log[post]": (Version(reach=SUPERUSER),),
    # Class B is the stranger's class: its setup pages show no student, lesson or question.
    "crm:class-list": (Version(),),
    "crm:class-detail[taught]": (Version(kwargs=class_b, hooked_out=frozenset({"teacher"})),),
    "crm:class-detail[not-taught]": (Version(kwargs=class_b),),
    # Customers: the stranger's are private to a consultant of another department.
    "crm:customer-pool": customer_searches(),
    "crm:customer-mine": customer_searches(),
    "crm:customer-list": customer_searches(SUPERUSER),
    "crm:customer-trash": (Version(reach=SUPERUSER),),
    # Naming a known phone notifies its owner (DESIGN.md 5, duplicates): a consultant's right.
    "crm:customer-notify-owner": (
        Version(
            data=lambda world, stranger: {"phone": PHONE}, reach=frozenset({"sales", "manager", "superuser"})
        ),
    ),
    "crm:customer-detail": (of("customer", reach=SUPERUSER),),
    "crm:customer-update": (of("customer", reach=SUPERUSER),),
    "crm:customer-delete": (of("customer", reach=SUPERUSER),),
    "crm:customer-restore": (of("deleted_customer", reach=SUPERUSER),),
    "crm:customer-claim": (of("customer", reach=SUPERUSER),),
    "crm:customer-release": (of("customer", reach=SUPERUSER),),
    "crm:customer-transfer": (
        of("customer", reach=SUPERUSER),
        # The world's lead handed to the stranger: outside the manager's team, refused.
        Version(
            kwargs=lambda world, stranger: {"pk": world.sales_lead.pk},
            method="POST",
            data=lambda world, stranger: {"to": stranger.consultant.pk, "reason": "x"},
            reach=SUPERUSER,
            reach_ok=302,
            open_ok=200,
        ),
    ),
    "crm:followup-create": (of("customer", reach=SUPERUSER),),
    "crm:customer-batch[claim]": (Version(data=ids("customer", action="claim")),),
    "crm:customer-batch[release]": (Version(data=ids("customer", action="release"), reach=SUPERUSER),),
    "crm:customer-batch[delete]": (Version(data=ids("customer", action="delete"), reach=SUPERUSER),),
    "crm:customer-batch[transfer]": (
        Version(
            data=lambda world, stranger: {
                "action": "transfer",
                "ids": [stranger.customer.pk],
                "to": world.sales2.pk,
            },
            reach=SUPERUSER,
        ),
        Version(
            data=lambda world, stranger: {
                "action": "transfer",
                "ids": [world.sales_lead.pk],
                "to": stranger.consultant.pk,
            },
            reach=SUPERUSER,
        ),
    ),
    "crm:customer-batch[unknown-action]": (Version(data=ids("customer", action="explode")),),
    "crm:customer-export[pool]": customer_searches(),
    "crm:customer-export[mine]": customer_searches(),
    "crm:customer-export[all]": customer_searches(SUPERUSER),
    "crm:customer-export[unknown-list]": (search(CHINESE_MARK),),
    "crm:customer-import": (Version(),),
    "crm:customer-import-detail": (of("customer_import"),),
    "crm:customer-import-report": (of("customer_import"),),
    "crm:allocation-update": (Version(reach=SUPERUSER),),
    # Enrollment: finance and admins review every enrollment; consultants their scope's.
    "enrollment:enrollment-create": (of("customer", reach=SUPERUSER),),
    "enrollment:enrollment-list": (Version(reach=REVIEWERS),),
    "enrollment:enrollment-detail": (of("enrollment", reach=REVIEWERS),),
    "enrollment:enrollment-link-regenerate": (of("enrollment", reach=SUPERUSER),),
    "enrollment:enrollment-delete": (of("enrollment", reach=SUPERUSER),),
    "enrollment:enrollment-trash": (Version(reach=SUPERUSER),),
    "enrollment:enrollment-restore": (of("deleted_enrollment", reach=SUPERUSER),),
    "enrollment:enrollment-document": (of("document", reach=REVIEWERS),),
    "enrollment:enrollment-review-list": (Version(reach=REVIEWERS),),
    "enrollment:payment-create": (of("enrollment", reach=SUPERUSER),),
    "enrollment:payment-queue": (Version(reach=REVIEWERS),),
    "enrollment:payment-confirm": (of("pending_payment", reach=REVIEWERS),),
    "enrollment:payment-reject": (of("pending_payment", reach=REVIEWERS),),
    "enrollment:enrollment-approve": (of("enrollment", reach=REVIEWERS),),
    "enrollment:enrollment-reject": (of("enrollment", reach=REVIEWERS),),
    "enrollment:my-enrollments": (Version(),),
    "enrollment:my-contract": (of("contract_enrollment"),),
    # The link pages under the world's token: nothing of the stranger's, and not their document.
    "enrollment:apply": (Version(kwargs=lambda world, stranger: enrollment_link(world, None)),),
    "enrollment:apply-document-upload": (
        Version(kwargs=lambda world, stranger: enrollment_link(world, None)),
    ),
    "enrollment:apply-document-delete": (
        Version(
            kwargs=lambda world, stranger: {
                **enrollment_link(world, None),
                "document_pk": stranger.document.pk,
            },
            names_object=True,
        ),
    ),
    # Classroom: scoped like anyone else, the superuser included (class B is not theirs).
    "classroom:class-list": (Version(),),
    "classroom:class-detail[taught]": (Version(kwargs=class_b, names_object=True),),
    "classroom:class-detail[not-taught]": (Version(kwargs=class_b, names_object=True),),
    "classroom:lesson-create": (Version(kwargs=class_b, names_object=True),),
    "classroom:lesson-detail": (of("lesson"),),
    "classroom:lesson-update": (of("lesson"),),
    "classroom:lesson-sync": (of("lesson"),),
    "classroom:roll-call": (of("lesson"),),
    "classroom:grading": (of("lesson"),),
    "classroom:homework-zip": (of("lesson"),),
    "classroom:question-list": (search(MARK),),
    "classroom:question-trash": (Version(),),
    "classroom:question-restore": (of("deleted_question"),),
    "classroom:question-delete": (of("question"),),
    "classroom:answer-create": (of("question"),),
    "classroom:homework-file": (of("homework"),),
    "classroom:question-detail": (of("question"),),
    "classroom:answer-accept": (of("answer"),),
    "classroom:my-classes": (Version(),),
    "classroom:my-class": (Version(kwargs=class_b, names_object=True),),
    "classroom:my-lesson": (of("lesson"),),
    "classroom:my-homework-delete": (of("homework"),),
    "classroom:my-grades": (Version(),),
    "classroom:my-questions": (search(MARK),),
    # Asking in the stranger's class and lesson: not one of the asker's, the form refuses.
    "classroom:question-create": (
        Version(
            method="POST",
            data=lambda world, stranger: {
                "class_list": world.class_b.pk,
                "lesson": stranger.lesson.pk,
                "title": "title",
                "body": "body",
            },
            open_ok=200,
        ),
    ),
    # Reports for the stranger's month: the whole school's figures are the administrators'.
    "reports:sales-report": (Version(query=stranger_month(), reach=ADMINS),),
    "reports:sales-report[export]": tuple(
        Version(query=stranger_month(export=table), reach=ADMINS) for table in ("consultants", "sources")
    ),
    "reports:sales-report[post]": (Version(query=stranger_month(), reach=SUPERUSER),),
    "reports:targets": (Version(reach=ADMINS),),
    "reports:targets[month]": (Version(query=stranger_month(), reach=ADMINS),),
    # Setting a target for the stranger: not in the manager's team, the page is refused.
    "reports:targets[save]": (
        Version(
            query=stranger_month(),
            data=lambda world, stranger: stranger_targets(world, stranger),
            reach=ADMINS,
            open_ok=200,
        ),
    ),
}

SETUP = "school-wide setup (no owner); the role x URL matrix says who may open it"
NOTHING_TO_NAME: dict[str, str] = {
    "health": "a status probe that reads no one's data",
    "set_language": "sets the visitor's own language cookie",
    "accounts:login": "the sign-in form",
    "accounts:logout": "ends the visitor's own session",
    "accounts:register": "a blank registration form",
    "accounts:password-reset": "asks for an email; the answer never says whose it is (tests/accounts)",
    "accounts:password-reset-done": "a fixed message",
    "accounts:password-reset-confirm": "the link is its own credential; forged ones are refused",
    "accounts:password-reset-complete": "a fixed message",
    "accounts:profile": "the signed-in user's own account; the URL names no one",
    "accounts:password-change": "the signed-in user's own password",
    "accounts:password-change-done": "a fixed message",
    "rbac:role-list": SETUP,
    "rbac:role-create": SETUP,
    "rbac:role-update": SETUP,
    "rbac:role-delete": SETUP,
    "rbac:user-create": "a blank account form",
    "rbac:department-create": "a blank department form",
    "crm:campus-list": SETUP,
    "crm:campus-create": SETUP,
    "crm:campus-update": SETUP,
    "crm:campus-set-active": SETUP,
    "crm:course-list": SETUP,
    "crm:course-create": SETUP,
    "crm:course-update": SETUP,
    "crm:course-set-active": SETUP,
    "crm:class-create": SETUP,
    "crm:class-update": SETUP,
    "crm:class-set-active": SETUP,
    "crm:dictitem-list[no-kind]": SETUP,
    "crm:dictitem-list[kind=source]": SETUP,
    "crm:dictitem-list[kind=education]": SETUP,
    "crm:dictitem-create[no-kind]": SETUP,
    "crm:dictitem-create[kind=source]": SETUP,
    "crm:dictitem-create[kind=education]": SETUP,
    "crm:dictitem-update[source]": SETUP,
    "crm:dictitem-update[education]": SETUP,
    "crm:dictitem-set-active[source]": SETUP,
    "crm:dictitem-set-active[education]": SETUP,
    "crm:poolpolicy-update": SETUP,
    "crm:customer-create": "a blank form; a known phone is refused naming its customer and owner by design"
    " (DESIGN.md 5, duplicates)",
    "crm:customer-import-template": "a blank spreadsheet template",
}

# The newer apps keep their versions and reasons beside the others, one file each.
for _app in (access_tickets, access_marketing, access_risk):
    STRANGER_VERSIONS |= _app.VERSIONS
    NOTHING_TO_NAME |= _app.NOTHING_TO_NAME


def stranger_targets(world, stranger) -> dict:
    """The targets form of the world's consultants with the stranger added as a fourth row."""
    data = team_targets(world)
    data |= {
        "targets-TOTAL_FORMS": "4",
        "targets-INITIAL_FORMS": "4",
        "targets-MAX_NUM_FORMS": "4",
        "targets-3-consultant": str(stranger.consultant.pk),
        "targets-3-new_leads": "99",
        "targets-3-signings": "9",
        "targets-3-revenue": "99999",
    }
    return data


def test_every_row_has_a_stranger_version_or_a_reason():
    """A new row (a new URL, or a new variant) fails here until it says how to ask it for the
    stranger's data, or why there is nothing of anyone's to name."""
    rows = {case.id for case in EXPECTED}
    unclassified = rows - STRANGER_VERSIONS.keys() - NOTHING_TO_NAME.keys()
    assert not unclassified, (
        f"rows without a stranger version (add one to STRANGER_VERSIONS): {sorted(unclassified)}"
    )
    assert not STRANGER_VERSIONS.keys() & NOTHING_TO_NAME.keys()
    assert not (STRANGER_VERSIONS.keys() | NOTHING_TO_NAME.keys()) - rows, "entries for rows that are gone"


def test_rows_with_object_arguments_name_an_object():
    """A row whose URL takes an object is asked with URL arguments of the stranger's (or, for
    the enrollment link, the world's token): never left to the row's own objects."""
    missing = [
        case.id
        for case in EXPECTED
        if case.kwargs is not no_kwargs
        and any(version.kwargs is nothing for version in STRANGER_VERSIONS.get(case.id, ()))
    ]
    assert missing == []


def test_reaching_roles_hold_the_right():
    """A role listed as reaching the stranger's data may open the row at all (else the table
    would excuse a role from the checks for nothing)."""
    wrong = [
        (case.id, role)
        for case in EXPECTED
        for version in STRANGER_VERSIONS.get(case.id, ())
        for role in version.reach
        if not case.allows(role)
    ]
    assert wrong == []


def expected_status(case: Case, version: Version, role: str) -> int:
    if role == ANONYMOUS:
        if case.access != PUBLIC:
            return 302
        return 404 if version.names_object else case.anonymous
    if role in case.wrong_method:
        return 405
    if not case.allows(role) or role in version.hooked_out:
        return 403
    if role in version.reach:
        return version.reach_ok or case.expected_ok
    if version.names_object:
        return 404
    return version.open_ok or case.expected_ok


@dataclass(frozen=True)
class Request:
    url: str
    method: str
    data: dict
    echoed: str  # what the request itself sends, which a page may show back (a search box)


def request_for(world, stranger: Stranger, case: Case, version: Version) -> Request:
    url = reverse(case.url_name, kwargs=version.kwargs(world, stranger))
    if case.query:
        url = f"{url}?{case.query}"
    query = version.query(world, stranger)
    url = with_params(url, query)
    if version.data is not None:
        data = version.data(world, stranger)
    else:
        data = case.data(world) if callable(case.data) else case.data
    echoed = " ".join(str(value) for value in [*query.values(), *data.values()])
    return Request(url, version.method or case.method, data, echoed)


ROWS = [
    pytest.param(case, version, id=f"{case.id}#{number}" if len(versions) > 1 else case.id)
    for case in EXPECTED
    for versions in [STRANGER_VERSIONS.get(case.id, ())]
    for number, version in enumerate(versions, 1)
]


@pytest.mark.parametrize(("case", "version"), ROWS)
def test_no_one_reaches_the_strangers_data(world, case, version):
    stranger = build_stranger(world)
    request = request_for(world, stranger, case, version)
    login_prefix = f"{reverse(settings.LOGIN_URL)}?next="
    outsiders = [role for role in (ANONYMOUS, *ROLES) if role not in version.reach]
    reaching = [role for role in ROLES if role in version.reach]
    # Signing in writes the user's last login: done for every role before the snapshot.
    clients = {
        role: make_client(None if role == ANONYMOUS else world.users[role]) for role in outsiders + reaching
    }

    def ask(role: str):
        client = clients[role]
        return client.get(request.url) if request.method == "GET" else client.post(request.url, request.data)

    before = snapshot.take()
    for role in outsiders:
        response = ask(role)
        expected = expected_status(case, version, role)
        assert response.status_code == expected, (role, response.status_code, response.content[:300])
        if expected == 302 and role == ANONYMOUS:
            assert response["Location"].startswith(login_prefix)
        found = leaks(response_body(response), echoed=request.echoed)
        assert not found, f"{role} was shown the stranger's {found}"
        changes = before.differences(snapshot.take())
        assert not changes, f"{role}'s request changed {changes}"
    # Last, as their POSTs may legitimately change the stranger's data.
    for role in reaching:
        response = ask(role)
        assert response.status_code == expected_status(case, version, role), (role, response.content[:300])


def stranger_user(attribute: str) -> Callable[[World, Stranger], object]:
    return lambda world, stranger: getattr(stranger, attribute)


def world_user(role: str) -> Callable[[World, Stranger], object]:
    return lambda world, stranger: world.users[role]


def params(**values) -> Build:
    return lambda world, stranger: values


# (who, URL name, its arguments, its query): pages and downloads that do show the stranger's
# data, in each form a body can take (HTML, CSV streamed, xlsx, a stored file, a zip written
# while sent), and searches that do find the stranger's customer.
SEEN_BY_THOSE_WHO_REACH = [
    (stranger_user("consultant"), "crm:customer-detail", lambda w, s: {"pk": s.customer.pk}, nothing),
    (world_user("superuser"), "crm:customer-list", nothing, params(q=CHINESE_MARK)),
    (world_user("superuser"), "crm:customer-export", nothing, params(list="all", format="xlsx", q=PHONE)),
    (world_user("superuser"), "crm:customer-export", nothing, params(list="all", format="csv", q=QQ)),
    (
        stranger_user("consultant"),
        "crm:customer-import-report",
        lambda w, s: {"pk": s.customer_import.pk},
        nothing,
    ),
    (world_user("finance"), "enrollment:enrollment-document", lambda w, s: {"pk": s.document.pk}, nothing),
    (stranger_user("student_user"), "classroom:homework-file", lambda w, s: {"pk": s.homework.pk}, nothing),
    (stranger_user("teacher"), "classroom:homework-zip", lambda w, s: {"pk": s.lesson.pk}, nothing),
    (stranger_user("teacher"), "classroom:question-list", nothing, nothing),
    (world_user("admin"), "reports:sales-report", nothing, stranger_month(export="consultants")),
]


def test_the_markers_are_found_where_the_stranger_is_reached(world):
    """The control for the test above: the same detector finds the markers in every kind of body
    when the one asking does reach the stranger, so finding none elsewhere means something."""
    stranger = build_stranger(world)
    for who, url_name, kwargs, query in SEEN_BY_THOSE_WHO_REACH:
        sent = query(world, stranger)
        url = with_params(reverse(url_name, kwargs=kwargs(world, stranger)), sent)
        response = make_client(who(world, stranger)).get(url)
        assert response.status_code == 200, (url_name, response.status_code)
        assert leaks(response_body(response), echoed=" ".join(sent.values())), url_name
