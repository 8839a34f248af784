"""Reads of the access log, for those who may read it (the permission entry says who)."""

from collections.abc import Callable

from django.db.models import QuerySet

from accounts.models import User
from audit.models import AccessRecord
from common.lists import row_url
from rbac.defaults import STUDENT

# The page each kind of record opens on, as URL names: strings, so this app imports none of the
# apps above it that record into it.
OBJECT_PAGES = {
    ("crm", "customer"): "crm:customer-detail",
    ("enrollment", "enrollment"): "enrollment:enrollment-detail",
}


def access_records_for_list() -> QuerySet[AccessRecord]:
    """Newest first, who and the kind of record joined: one query a page."""
    return AccessRecord.objects.select_related("user", "content_type").order_by("-at", "-id")


def access_log_users() -> QuerySet[User]:
    """The accounts the "who" filter offers: every staff account, deactivated ones included
    (students are shown nothing of others')."""
    return User.objects.exclude(roles__slug=STUDENT).order_by("username")


def attach_object_links(records, *, allows: Callable[[str], bool]) -> None:
    """Give each record an `object_url`, its object's page when the viewer's roles open that kind
    of page (the page still applies the viewer's data scope), else ""; and a `history_query`,
    the log filtered to every record of the same object ("" for an export)."""
    builders = {kind: row_url(url_name) for kind, url_name in OBJECT_PAGES.items() if allows(url_name)}
    for record in records:
        kind = record.content_type
        if kind is None or record.object_id is None:
            record.object_url = record.history_query = ""
            continue
        build = builders.get((kind.app_label, kind.model))
        record.object_url = build(record.object_id) if build else ""
        record.history_query = f"?content_type={kind.pk}&object_id={record.object_id}"
