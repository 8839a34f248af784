"""The generator's row writer stores what the ORM would, and leaves the id sequences usable; the
import's batch writer stores the same, with ids no one else takes, and looks many keys up through
their index."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import DataError, connection, transaction

from common.bulk import (
    ArrayRowWriter,
    RowWriter,
    in_many,
    larger_page_cache,
    next_id,
    reserve_ids,
    sync_sequences,
)
from crm.models import Course, Customer, FollowUp
from enrollment.models import Enrollment, Payment

AT = datetime.datetime(2026, 11, 30, 16, 30, 15, 123456, tzinfo=datetime.UTC)


def test_rows_read_back_as_the_orm_wrote_them_with_defaults_filled(world):
    first = next_id(Customer)
    written = RowWriter(
        Customer, ("id", "name", "phone", "source", "consulted_on", "consultant", "created_at", "updated_at")
    ).write(
        [
            (
                first,
                "批量甲",
                "+8619900000001",
                world.source.pk,
                datetime.date(2026, 12, 1),
                world.sales.pk,
                AT,
                AT,
            ),
            (
                first + 1,
                "批量乙",
                "+8619900000002",
                world.source.pk,
                datetime.date(2026, 12, 1),
                None,
                AT,
                AT,
            ),
        ]
    )
    assert written == 2
    owned = Customer.objects.get(pk=first)
    assert (owned.name, owned.consultant_id, owned.created_at, owned.consulted_on) == (
        "批量甲",
        world.sales.pk,
        AT,
        datetime.date(2026, 12, 1),
    )
    # Every column not given takes its field's default, as Customer() would.
    assert (owned.email, owned.note, owned.is_deleted, owned.status, owned.deleted_at) == (
        "",
        "",
        False,
        Customer.Status.UNSIGNED,
        None,
    )
    assert Customer.objects.in_pool().filter(pk=first + 1).exists()
    assert Customer.objects.filter(created_at=AT).count() == 2  # comparable with the ORM's own values


def test_decimals_and_rows_without_ids(world):
    enrollment = Enrollment.objects.create(
        customer=world.sales_lead,
        class_list=world.class_a,
        consultant=world.sales,
        price=Decimal("19800"),
        link_expires_at=AT,
    )
    RowWriter(
        Payment,
        ("enrollment", "kind", "amount", "paid_at", "consultant", "status", "request_key", "created_at"),
    ).write(
        [
            (
                enrollment.pk,
                Payment.Kind.DEPOSIT,
                Decimal("2000.50"),
                datetime.date(2026, 11, 30),
                world.sales.pk,
                Payment.Status.CONFIRMED,
                "6f1c1a2e-0000-4000-8000-000000000001",
                AT,
            )
        ]
    )
    assert list(Payment.objects.values_list("amount", "paid_at")) == [
        (Decimal("2000.50"), datetime.date(2026, 11, 30))
    ]


def test_the_next_row_after_explicit_ids_gets_a_fresh_id(world):
    first = next_id(Customer)
    with larger_page_cache():
        RowWriter(Customer, ("id", "name", "source", "consulted_on", "created_at", "updated_at")).write(
            [(first + 10, "显式", world.source.pk, datetime.date(2026, 12, 1), AT, AT)]
        )
    sync_sequences(Customer)
    made = Customer.objects.create(name="之后", source=world.source, consulted_on=datetime.date(2026, 12, 1))
    assert made.pk > first + 10


def test_nothing_to_write_is_no_statement(world, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert RowWriter(FollowUp, ("customer", "consultant", "channel", "content", "at")).write([]) == 0


CUSTOMER_COLUMNS = (
    "id",
    "name",
    "phone",
    "qq",
    "source",
    "consulted_on",
    "salary",
    "consultant",
    "created_at",
    "updated_at",
)


def _customer_rows(ids: list[int], source_id: int, consultant_id: int) -> list[tuple]:
    first = datetime.date(2026, 12, 1)
    return [
        (ids[0], "数组甲", "+8619900000011", "", source_id, first, 8000, consultant_id, AT, AT),
        (ids[1], "数组乙" * 5, "", "5550011", source_id, first, None, None, AT, AT),
    ]


def _read_back(ids: list[int]) -> list[tuple]:
    columns = [f"{name}_id" if name in ("source", "consultant") else name for name in CUSTOMER_COLUMNS]
    extra = ("email", "status", "is_deleted", "deleted_at", "name_pinyin")
    return list(Customer.objects.filter(pk__in=ids).order_by("pk").values_list(*columns, *extra))


def test_the_array_writer_stores_what_the_row_writer_stores(world):
    with transaction.atomic():
        by_rows = reserve_ids(Customer, 2)
        RowWriter(Customer, CUSTOMER_COLUMNS).write(_customer_rows(by_rows, world.source.pk, world.sales.pk))
    written = _read_back(by_rows)
    Customer.objects.filter(pk__in=by_rows).delete()
    with transaction.atomic():
        by_arrays = reserve_ids(Customer, 2)
        writer = ArrayRowWriter(Customer, CUSTOMER_COLUMNS)
        assert writer.write(iter(_customer_rows(by_arrays, world.source.pk, world.sales.pk))) == 2

    assert [row[1:] for row in _read_back(by_arrays)] == [row[1:] for row in written]
    day, unsigned = datetime.date(2026, 12, 1), Customer.Status.UNSIGNED
    assert written[0][1:] == (
        *("数组甲", "+8619900000011", "", world.source.pk, day, 8000, world.sales.pk, AT, AT),
        *("", unsigned, False, None, ""),  # the defaults: email, status, is_deleted, deleted_at, pinyin
    )
    assert written[1][6:8] == (None, None)


def test_the_array_writer_sends_a_batch_as_one_statement(world, django_assert_num_queries):
    through = Customer.interested_courses.through
    pairs = [
        (customer.pk, course.pk) for customer in Customer.objects.all() for course in Course.objects.all()
    ]
    assert len(pairs) > 2
    through.objects.all().delete()
    with django_assert_num_queries(1):
        assert ArrayRowWriter(through, ("customer", "course")).write(pairs) == len(pairs)
    assert sorted(through.objects.values_list("customer_id", "course_id")) == sorted(pairs)
    with django_assert_num_queries(0):
        assert ArrayRowWriter(through, ("customer", "course")).write([]) == 0


@pytest.mark.skipif(connection.vendor != "postgresql", reason="only PostgreSQL checks the length")
def test_the_array_writer_does_not_cut_a_value_too_long_for_its_column(world):
    with pytest.raises(DataError), transaction.atomic():
        ids = reserve_ids(Customer, 1)
        ArrayRowWriter(Customer, ("id", "name", "source", "consulted_on", "created_at", "updated_at")).write(
            [(ids[0], "长" * 51, world.source.pk, datetime.date(2026, 12, 1), AT, AT)]
        )


def test_reserved_ids_are_new_and_the_next_saved_row_comes_after_them(world):
    newest = Customer.objects.create(
        name="最新", source=world.source, consulted_on=datetime.date(2026, 12, 1)
    )
    newest_id = newest.pk
    newest.delete()  # SQLite's AUTOINCREMENT never gives a deleted row's id again; neither may this
    with transaction.atomic():
        ids = reserve_ids(Customer, 3)
        RowWriter(Customer, ("id", "name", "source", "consulted_on", "created_at", "updated_at")).write(
            [(pk, f"预留{pk}", world.source.pk, datetime.date(2026, 12, 1), AT, AT) for pk in ids]
        )
    assert ids == sorted(set(ids)) and len(ids) == 3
    assert ids[0] > newest_id
    assert reserve_ids(Customer, 0) == []
    made = Customer.objects.create(name="之后", source=world.source, consulted_on=datetime.date(2026, 12, 1))
    assert made.pk > ids[-1]


def test_many_keys_are_looked_up_through_the_index(world):
    phones = [f"+86199{number:08d}" for number in range(2000)] + [world.sales_lead.phone]
    found = Customer.objects.filter(phone__in=in_many(phones))
    assert list(found.values_list("pk", flat=True)) == [world.sales_lead.pk]
    assert not Customer.objects.filter(phone__in=in_many([])).exists()
    if connection.vendor == "sqlite":
        # Statistics from when the table held 10,000 customers (an import then adds 100,000):
        # SQLite reads the whole table rather than look 2,001 keys up, unless they come as one
        # JSON array.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
            cursor.execute(
                "UPDATE sqlite_stat1 SET stat = '10000' || substr(stat, instr(stat, ' ')) "
                "WHERE tbl = 'crm_customer'"
            )
            cursor.execute("ANALYZE sqlite_schema")  # reloads the statistics
            try:
                assert "SCAN crm_customer" in Customer.objects.filter(phone__in=phones).explain()
                plan = found.explain()
                assert "SCAN crm_customer" not in plan
                assert "INDEX customer_phone_idx" in plan
            finally:
                # The connection outlives the test's transaction: no statistics for the next tests.
                cursor.execute("DELETE FROM sqlite_stat1")
                cursor.execute("ANALYZE sqlite_schema")
