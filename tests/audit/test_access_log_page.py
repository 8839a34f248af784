"""The access log page: the admin reads it newest first, filters it, follows a record to its object
and to the object's other records; bad filters are a message, never a 500; its queries are pinned
and do not grow with the page size. Who else may open it is the role x URL matrix's row."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import count

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone

from audit.models import AccessRecord
from audit.selectors import OBJECT_PAGES
from enrollment.models import Enrollment
from enrollment.services import enrollment_create
from tests.audit.conftest import client_of

Action = AccessRecord.Action
URL = reverse("audit:access-log")
serial = count(1)


def add_record(world, *, user=None, action=Action.CONTACTS_VIEW, target=None, at=None, **fields):
    target = target if target is not None else world.sales_lead
    user = user or world.manager
    return AccessRecord.objects.create(
        user=user,
        username=user.username,
        action=action,
        content_type=ContentType.objects.get_for_model(target),
        object_id=target.pk,
        label=f"{target} #{target.pk}",
        at=at or timezone.now(),
        ip="203.0.113.9",
        **fields,
    )


def shown(response) -> list[int]:
    """The ids of the records the page lists, in its order."""
    assert response.status_code == 200
    return [record.pk for record in response.context["object_list"]]


@pytest.fixture
def log(world):
    """Records of several kinds, by several people, over three days."""
    now = timezone.now()
    enrollment = enrollment_create(customer=world.sales2_lead, class_list=world.class_a, by=world.sales2)
    return {
        "old_view": add_record(world, at=now - timedelta(days=2)),
        "export": AccessRecord.objects.create(
            user=world.sales,
            username=world.sales.username,
            action=Action.CONTACTS_EXPORT,
            label="我的客户",
            detail={
                "list": "mine",
                "format": "csv",
                "filters": {"status": "unsigned"},
                "rows": 7,
                "unmasked": 7,
            },
            at=now - timedelta(days=1),
        ),
        "id_view": add_record(world, user=world.finance, action=Action.ID_NUMBER_VIEW, target=enrollment),
        "download": add_record(
            world,
            user=world.finance,
            action=Action.DOCUMENT_DOWNLOAD,
            target=enrollment,
            detail={"document": 1, "kind": "id_front", "file": "身份证正面.jpg"},
        ),
        "enrollment": enrollment,
    }


def test_the_admin_reads_the_log_newest_first(world, log):
    response = client_of(world.admin).get(URL)
    assert shown(response) == [log[key].pk for key in ("download", "id_view", "export", "old_view")]
    page = response.content.decode()
    for text in ("Document downloaded", "身份证正面.jpg", "Contact details exported", "7 rows, 7 with full"):
        assert text in page
    assert "status=unsigned" in page and "203.0.113.9" in page


def test_reading_the_log_writes_nothing_to_it(world, log):
    client_of(world.admin).get(URL)
    assert AccessRecord.objects.count() == 4


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("action=id_number_view", ["id_view"]),
        ("action=contacts_export", ["export"]),
        ("user={finance}", ["download", "id_view"]),
        ("user={sales}&action=contacts_export", ["export"]),
        ("user={sales}&action=document_download", []),
        ("q=萨尔", ["download", "id_view"]),  # the start of the label: the enrollment's customer
        ("q=萨", ["download", "id_view", "old_view"]),
        ("q=乐", []),  # not the start of any label
        ("q=我的", ["export"]),
        ("date_from={yesterday}", ["download", "id_view", "export"]),
        ("date_to={yesterday}", ["export", "old_view"]),
        ("date_from={yesterday}&date_to={yesterday}", ["export"]),
        ("date_from={tomorrow}", []),
    ],
)
def test_the_filters(world, log, query, expected):
    today = timezone.localdate()
    query = query.format(
        finance=world.finance.pk,
        sales=world.sales.pk,
        yesterday=today - timedelta(days=1),
        tomorrow=today + timedelta(days=1),
    )
    assert shown(client_of(world.admin).get(f"{URL}?{query}")) == [log[key].pk for key in expected]


def test_a_records_history_link_lists_every_record_of_its_object(world, log):
    page = client_of(world.admin).get(URL).content.decode()
    kind = ContentType.objects.get_for_model(Enrollment)
    history = f"?content_type={kind.pk}&amp;object_id={log['enrollment'].pk}"
    assert history in page
    response = client_of(world.admin).get(f"{URL}{history.replace('&amp;', '&')}")
    assert shown(response) == [log["download"].pk, log["id_view"].pk]


def test_a_record_links_to_its_object_where_the_viewer_may_open_it(world, log):
    enrollment_page = reverse("enrollment:enrollment-detail", args=[log["enrollment"].pk])
    customer_page = reverse("crm:customer-detail", args=[world.sales_lead.pk])
    admin_page = client_of(world.admin).get(URL).content.decode()
    # Administrators review enrollments; by default they do not open customers.
    assert f'href="{enrollment_page}"' in admin_page and f'href="{customer_page}"' not in admin_page
    superuser_page = client_of(world.superuser).get(URL).content.decode()
    assert f'href="{enrollment_page}"' in superuser_page and f'href="{customer_page}"' in superuser_page


def test_every_object_page_the_log_links_to_exists():
    for url_name in OBJECT_PAGES.values():
        assert reverse(url_name, args=[1])


def test_a_deleted_account_is_still_named(world, log):
    AccessRecord.objects.filter(pk=log["export"].pk).update(user=None, username="departed")
    page = client_of(world.admin).get(URL).content.decode()
    assert "departed" in page and "account deleted" in page


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("date_from=2026-13-45", "date_from"),
        ("date_to=99999-01-01", "date_to"),
        ("date_from=0001-01-01", "date_from"),
        ("date_to=9999-12-31", "date_to"),
        ("user=99999999999999999999999", "user"),
        ("user=abc", "user"),
        ("user=-1", "user"),
        ("action=delete_everything", "action"),
        ("object_id=99999999999999999999999", "object_id"),
        ("object_id=1.5", "object_id"),
        ("content_type=0", "content_type"),
        ("q=%00", "q"),
        ("q=" + "长" * 101, "q"),
    ],
)
def test_bad_filter_input_is_a_message_and_an_empty_page(world, log, query, field):
    response = client_of(world.admin).get(f"{URL}?{query}")
    assert shown(response) == []
    errors = response.context["filter"].form.errors
    assert field in errors, errors
    page = response.content.decode()
    for message in errors[field]:
        assert message.replace("'", "&#x27;").replace('"', "&quot;") in page


# --- Query counts --------------------------------------------------------------------------------
# Session, user, the roles' codenames, notifications, then the page's own: the "who" choices, the
# capped count and the rows (who and the kind of record joined).
ACCESS_LOG_QUERIES = 7


def add_records(world, n: int) -> None:
    people = [world.manager, world.finance, world.sales, world.admin]
    start = next(serial) * 1000
    AccessRecord.objects.bulk_create(
        AccessRecord(
            user=people[i % len(people)],
            username=people[i % len(people)].username,
            action=Action.values[i % len(Action.values)],
            content_type=ContentType.objects.get_for_model(world.sales_lead),
            object_id=world.sales_lead.pk,
            label=f"客户{i} #{i}",
            at=timezone.make_aware(datetime(2026, 11, 1)) + timedelta(minutes=i),
            ip="198.51.100.1",
        )
        for i in range(start, start + n)
    )


def test_the_page_runs_the_same_queries_for_20_and_100_rows(world, django_assert_num_queries):
    client = client_of(world.admin)
    add_records(world, 3)
    assert client.get(URL).status_code == 200  # warm-up
    add_records(world, 2 * max(settings.LIST_PAGE_SIZES) + 5)
    for size in settings.LIST_PAGE_SIZES:
        for query in (f"?size={size}", f"?size={size}&page=2", f"?size={size}&q=客户"):
            with django_assert_num_queries(ACCESS_LOG_QUERIES):
                response = client.get(URL + query)
            assert len(response.context["object_list"]) == size
    # Choosing a person adds one: the choice is looked up to validate it.
    with django_assert_num_queries(ACCESS_LOG_QUERIES + 1):
        response = client.get(f"{URL}?size=100&user={world.finance.pk}&date_from=2026-11-01&q=客户")
    assert len(response.context["object_list"]) == 52  # every fourth of 208
