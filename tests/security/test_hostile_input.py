"""The inputs the fuzzing found crashing a page, kept as plain examples so they stay fixed
whatever examples Hypothesis draws."""

from __future__ import annotations

from django.urls import reverse

from crm.models import ClassList, Customer
from enrollment.services import enrollment_create
from enrollment.tokens import enrollment_token

HUGE = str(2**70)


def test_an_id_past_64_bits_in_a_multiple_choice_is_refused_not_a_crash(world, as_admin):
    url = reverse("crm:class-update", args=[world.class_a.pk])
    response = as_admin.post(url, {"teachers": [HUGE], "semester": "1", "capacity": "10", "price": "1"})
    assert response.status_code == 200
    assert "teachers" in response.context["form"].errors
    assert ClassList.objects.get(pk=world.class_a.pk).teachers.count() == world.class_a.teachers.count()


def test_a_batch_naming_ids_past_64_bits_changes_nothing(world, as_sales):
    owners = dict(Customer.objects.values_list("pk", "consultant_id"))
    response = as_sales.post(reverse("crm:customer-batch"), {"action": "release", "ids": [HUGE, f"-{HUGE}"]})
    assert response.status_code == 302
    assert dict(Customer.objects.values_list("pk", "consultant_id")) == owners


def test_a_long_search_term_on_a_setup_list_is_refused_with_a_message(world, as_admin):
    response = as_admin.get(reverse("crm:course-list"), {"q": "长" * 60_000})
    assert response.status_code == 200
    assert response.context["filter"].form.errors["q"]


def test_an_empty_post_of_the_enrollment_form_shows_the_form_with_its_errors(world):
    from django.test import Client

    enrollment = enrollment_create(customer=world.sales_lead, class_list=world.class_a, by=world.sales)
    response = Client().post(reverse("enrollment:apply", args=[enrollment_token(enrollment)]), {})
    assert response.status_code == 200
    assert response.context["form"].errors


def test_a_login_with_a_huge_username_or_next_is_refused_not_a_crash(world):
    from django.test import Client

    client = Client()
    for data in (
        {"username": "长" * 300, "password": "x"},
        {"username": "sales1", "password": "x", "next": "长" * 20_000},
        {"username": "ﷺ" * 100, "password": "x"},  # NFKC makes each of these 18 characters
    ):
        response = client.post(reverse("accounts:login"), data)
        assert response.status_code == 200


def test_a_page_number_past_any_list_shows_the_last_page(world, as_admin, as_sales):
    for client, url in ((as_admin, reverse("crm:campus-list")), (as_sales, reverse("crm:customer-mine"))):
        response = client.get(url, {"page": "99999999999999999999999"})
        assert response.status_code == 200
        assert response.context["page_obj"].number == response.context["page_obj"].paginator.num_pages
