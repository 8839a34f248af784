"""The generator's row writer stores what the ORM would, and leaves the id sequences usable."""

from __future__ import annotations

import datetime
from decimal import Decimal

from common.bulk import RowWriter, larger_page_cache, next_id, sync_sequences
from crm.models import Customer, FollowUp
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
