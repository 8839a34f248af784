"""Each recorded event writes exactly one record (who, what, whose, from where); ordinary work and
refused requests write none; and when the record cannot be written, nothing is revealed."""

from __future__ import annotations

import csv
import io
from unittest import mock

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from audit.models import AccessRecord
from audit.services import access_record
from common.http import client_ip
from crm.models import Customer
from enrollment.models import Enrollment
from tests.audit.conftest import CLIENT_IP, MASKED_ID_NUMBER, client_of, records
from tests.enrollment.conftest import ID_NUMBER

Action = AccessRecord.Action
FULL_PHONE = "138 0000 0002"  # world.sales_lead's, as a page formats it


def detail_url(customer: Customer) -> str:
    return reverse("crm:customer-detail", args=[customer.pk])


def assert_one_record(*, user: User, action: str, target=None, **detail) -> AccessRecord:
    [record] = records()
    assert (record.user, record.username, record.action, record.ip) == (
        user,
        user.username,
        action,
        CLIENT_IP,
    )
    if target is not None:
        assert record.content_type == ContentType.objects.get_for_model(target)
        assert record.object_id == target.pk
    for key, value in detail.items():
        assert record.detail[key] == value, record.detail
    return record


# --- The customer's page and edit form -----------------------------------------------------------
def test_a_manager_shown_a_consultants_customer_in_full_is_recorded(world):
    page = client_of(world.manager).get(detail_url(world.sales_lead)).content.decode()
    assert FULL_PHONE in page
    record = assert_one_record(
        user=world.manager, action=Action.CONTACTS_VIEW, target=world.sales_lead, page="detail"
    )
    assert record.label == f"萨乐 #{world.sales_lead.pk}"


def test_each_view_is_a_record(world):
    client = client_of(world.manager)
    for _ in range(3):
        client.get(detail_url(world.sales_lead))
    assert [record.action for record in records()] == [Action.CONTACTS_VIEW] * 3


def test_the_owner_opening_their_own_customer_is_not_recorded(world):
    client = client_of(world.sales)
    page = client.get(detail_url(world.sales_lead)).content.decode()
    assert FULL_PHONE in page
    assert client.get(reverse("crm:customer-update", args=[world.sales_lead.pk])).status_code == 200
    assert records() == []


def test_a_masked_page_is_not_recorded(world):
    page = client_of(world.sales).get(detail_url(world.pool_lead)).content.decode()
    assert "138 0000 0001" not in page and 'data-testid="masked"' in page
    assert records() == []


@pytest.mark.parametrize(("role", "status"), [("sales", 404), ("teacher", 403), ("outsider", 403)])
def test_a_refused_customer_page_writes_nothing(world, role, status):
    client = client_of(world.users[role])
    assert client.get(detail_url(world.sales2_lead)).status_code == status
    assert client.get(reverse("crm:customer-update", args=[world.sales2_lead.pk])).status_code == status
    assert records() == []


def test_opening_the_edit_form_of_someone_elses_customer_is_recorded_and_saving_it_is_not(world):
    client = client_of(world.manager)
    url = reverse("crm:customer-update", args=[world.sales_lead.pk])
    assert 'value="+8613800000002"' in client.get(url).content.decode()
    assert_one_record(user=world.manager, action=Action.CONTACTS_VIEW, target=world.sales_lead, page="edit")
    client.post(url, {"name": "萨乐"})  # invalid (no source): the form comes back, not recorded again
    assert len(records()) == 1


# --- Exports --------------------------------------------------------------------------------------
def export(client, query: str):
    response = client.get(f"{reverse('crm:customer-export')}?{query}")
    assert response.status_code == 200, response.get("Location")
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_an_export_with_full_contacts_is_one_record_naming_the_list_filters_and_rows(world):
    rows = export(client_of(world.manager), "list=all&format=csv&status=unsigned&q=")
    # The header, the two consultants' customers and the pool's, every one in full for a manager.
    assert len(rows) == 4 and "138 0000 0001" in rows[3]
    record = assert_one_record(
        user=world.manager,
        action=Action.CONTACTS_EXPORT,
        list="all",
        format="csv",
        filters={"status": "unsigned"},
        rows=3,
        unmasked=3,
    )
    assert record.content_type is None and record.object_id is None
    assert record.label == "全部客户"  # the list's name in the school's language


def test_a_consultants_export_of_own_customers_is_recorded(world):
    export(client_of(world.sales), "list=mine&format=csv")
    assert_one_record(user=world.sales, action=Action.CONTACTS_EXPORT, list="mine", rows=1, unmasked=1)


def test_an_export_with_every_contact_masked_is_not_recorded(world):
    rows = export(client_of(world.sales), "list=pool&format=csv")
    assert len(rows) == 2 and "138 0000 0001" not in rows[1]
    assert records() == []


@pytest.mark.parametrize(
    ("role", "query"),
    [
        ("sales", "list=all&format=csv"),
        ("teacher", "list=mine&format=csv"),
        ("manager", "list=all&format=pdf"),
    ],
)
def test_a_refused_export_writes_nothing(world, role, query):
    response = client_of(world.users[role]).get(f"{reverse('crm:customer-export')}?{query}")
    assert response.status_code in (302, 403)
    assert records() == []


# --- The enrollment's ID card number ---------------------------------------------------------------
def enrollment_url(enrollment: Enrollment) -> str:
    return reverse("enrollment:enrollment-detail", args=[enrollment.pk])


@pytest.mark.parametrize("role", ["finance", "admin"])
def test_a_reviewer_shown_the_full_id_number_is_recorded(world, submitted, role):
    page = client_of(world.users[role]).get(enrollment_url(submitted)).content.decode()
    assert ID_NUMBER in page
    record = assert_one_record(user=world.users[role], action=Action.ID_NUMBER_VIEW, target=submitted)
    with translation.override("zh-hans"):  # the school's language, whoever looked
        assert record.label == f"萨乐 → {world.class_a} #{submitted.pk}"


def test_a_consultant_sees_the_number_masked_and_nothing_is_recorded(world, submitted):
    page = client_of(world.sales).get(enrollment_url(submitted)).content.decode()
    assert ID_NUMBER not in page and MASKED_ID_NUMBER in page
    assert records() == []


@pytest.mark.parametrize("status", [Enrollment.Status.APPROVED, Enrollment.Status.REJECTED])
def test_once_reviewed_the_number_is_masked_for_reviewers_too(world, submitted, status):
    Enrollment.objects.filter(pk=submitted.pk).update(status=status)
    page = client_of(world.finance).get(enrollment_url(submitted)).content.decode()
    assert ID_NUMBER not in page and MASKED_ID_NUMBER in page
    assert records() == []


def test_an_enrollment_without_a_number_yet_is_not_recorded(world, enrollment):
    assert client_of(world.finance).get(enrollment_url(enrollment)).status_code == 200
    assert records() == []


@pytest.mark.parametrize(("role", "status"), [("sales2", 404), ("teacher", 403), ("student", 403)])
def test_a_refused_enrollment_page_writes_nothing(world, submitted, role, status):
    assert client_of(world.users[role]).get(enrollment_url(submitted)).status_code == status
    assert records() == []


# --- Documents ------------------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["sales", "manager", "finance", "admin"])
def test_every_document_download_is_recorded(world, documented, role):
    document = documented.documents.get(kind="id_front")
    response = client_of(world.users[role]).get(reverse("enrollment:enrollment-document", args=[document.pk]))
    assert response.status_code == 200 and response["Content-Disposition"].startswith("attachment")
    assert_one_record(
        user=world.users[role],
        action=Action.DOCUMENT_DOWNLOAD,
        target=documented,  # the enrollment: one place for "who looked at this student's ID card?"
        document=document.pk,
        kind="id_front",
        file="id_front.png",
    )


@pytest.mark.parametrize(("role", "status"), [("sales2", 404), ("teacher", 403), ("outsider", 403)])
def test_a_refused_download_writes_nothing(world, documented, role, status):
    url = reverse("enrollment:enrollment-document", args=[documented.documents.first().pk])
    assert client_of(world.users[role]).get(url).status_code == status
    assert records() == []


# --- No record, no reveal -------------------------------------------------------------------------
@pytest.fixture
def log_unwritable():
    """Every INSERT into the log fails in the database itself (a missing table), as a full disk or
    a lost connection would make it: a real error, inside the test's transaction."""
    with mock.patch.object(AccessRecord._meta, "db_table", "audit_accessrecord_missing"):
        yield


NOT_RECORDED = "The access log could not record this"


def test_unrecorded_contacts_are_shown_masked_with_a_message(world, log_unwritable):
    response = client_of(world.manager).get(detail_url(world.sales_lead))
    page = response.content.decode()
    assert response.status_code == 200
    assert FULL_PHONE not in page and 'data-testid="masked"' in page and NOT_RECORDED in page


def test_an_unrecorded_edit_form_is_refused_with_a_message(world, log_unwritable):
    client = client_of(world.manager)
    response = client.get(reverse("crm:customer-update", args=[world.sales_lead.pk]), follow=True)
    assert response.redirect_chain[-1][0] == detail_url(world.sales_lead)
    page = response.content.decode()
    assert NOT_RECORDED in page and FULL_PHONE not in page


def test_an_unrecorded_id_number_is_shown_masked_with_a_message(world, submitted, log_unwritable):
    page = client_of(world.finance).get(enrollment_url(submitted)).content.decode()
    assert ID_NUMBER not in page and MASKED_ID_NUMBER in page and NOT_RECORDED in page


def test_an_unrecorded_download_is_refused(world, documented, log_unwritable):
    url = reverse("enrollment:enrollment-document", args=[documented.documents.first().pk])
    response = client_of(world.finance).get(url, follow=True)
    assert response.redirect_chain == [(enrollment_url(documented), 302)]
    assert "Content-Disposition" not in response and NOT_RECORDED in response.content.decode()


def test_an_unrecorded_export_is_refused(world, log_unwritable):
    response = client_of(world.manager).get(
        f"{reverse('crm:customer-export')}?list=all&format=xlsx", follow=True
    )
    assert "Content-Disposition" not in response and NOT_RECORDED in response.content.decode()


def test_a_failed_record_leaves_the_transaction_usable(world, log_unwritable):
    """On PostgreSQL an error aborts the whole transaction; the savepoint keeps it to the INSERT."""
    request = RequestFactory().get("/", REMOTE_ADDR=CLIENT_IP)
    request.user = world.manager
    assert connection.in_atomic_block  # the test's transaction, as a request's could be
    assert not access_record(request=request, action=Action.CONTACTS_VIEW, target=world.sales_lead)
    assert Customer.objects.filter(pk=world.sales_lead.pk).exists()


# --- The record itself ----------------------------------------------------------------------------
def test_a_record_outlives_its_users_account(world):
    leaver = User.objects.create_user(username="leaver")
    request = RequestFactory().get("/", REMOTE_ADDR="2001:db8::1")
    request.user = leaver
    assert access_record(request=request, action=Action.CONTACTS_VIEW, target=world.sales_lead)
    leaver.delete()
    [record] = records()
    assert (record.user, record.username, record.ip, record.object_id) == (
        None,
        "leaver",
        "2001:db8::1",
        world.sales_lead.pk,
    )


@pytest.mark.parametrize(
    ("address", "stored"), [("198.51.100.4", "198.51.100.4"), ("not-an-ip", None), ("", None)]
)
def test_the_address_is_stored_only_when_it_is_one(address, stored):
    assert client_ip(RequestFactory().get("/", REMOTE_ADDR=address)) == stored


def test_a_long_label_is_cut_to_fit(world):
    request = RequestFactory().get("/")
    request.user = world.manager
    assert access_record(request=request, action=Action.CONTACTS_EXPORT, label="名" * 500)
    assert records()[0].label == "名" * 200


def test_a_database_error_is_answered_as_not_recorded_never_raised(world):
    with mock.patch.object(AccessRecord, "save", side_effect=DatabaseError("disk full")):
        request = RequestFactory().get("/")
        request.user = world.manager
        assert access_record(request=request, action=Action.CONTACTS_VIEW, target=world.sales_lead) is False
    assert records() == []
