"""Stored XSS: every free-text column of every EduCRM table is filled with markup that would run
or break out of its element, then every page of the role x URL table is opened by someone it
allows; none may carry the markup unescaped (json_script data included: it escapes `<`).

The values are written straight into the rows, not through the forms: whatever a form lets in or
an import brings, escaping on output is what keeps it inert, and this reaches columns that no
form writes (history rows, import problems, notifications)."""

from __future__ import annotations

import json

import pytest
from django.apps import apps
from django.db import models
from django.urls import reverse
from django.utils import timezone

from tests.rbac.test_url_matrix import EXPECTED, Case
from tests.security.cases import case_request

PROJECT_APPS = ("accounts", "rbac", "crm", "enrollment", "classroom", "reports", "audit")
# Break out of an element, an attribute, a textarea and a script block.
PAYLOADS = (
    '<script>alert("xss1")</script>',
    '"><img src=x onerror=alert(2)>',
    "</textarea><svg onload=alert(3)>",
    "</script><b>xss4</b>",
)
SHORT_PAYLOAD = '"><b>x5</b>'  # for columns too narrow for the others
MARKERS = ("<script>alert(", "<img src=x onerror", "<svg onload", "<b>xss4</b>", "<b>x5</b>")
# Columns that are not text a person wrote: identifiers the code matches on, derived values.
SKIPPED_COLUMNS = {
    "password",
    "codename",
    "app_label",
    "url_name",
    "file_format",
    "content_type",
    "extension",
    "contract_hash",
}


def text_columns(model) -> list[models.Field]:
    return [
        field
        for field in model._meta.concrete_fields
        if isinstance(field, (models.CharField, models.TextField))
        and not isinstance(field, models.SlugField)
        and not field.choices
        and field.name not in SKIPPED_COLUMNS
    ]


def hostile_value(field: models.Field, index: int, pk) -> str | None:
    suffix = f"{pk}"  # unique columns stay unique
    for payload in (PAYLOADS[index % len(PAYLOADS)], SHORT_PAYLOAD):
        if field.max_length is None or len(payload) + len(suffix) <= field.max_length:
            return payload + suffix
    return None


def fill_every_text_column() -> int:
    """Overwrite every free-text value of every row; returns how many values were written."""
    written = 0
    for model in apps.get_models():
        if model._meta.app_label not in PROJECT_APPS or model._meta.proxy:
            continue
        columns = text_columns(model)
        if not columns:
            continue
        manager = model._base_manager
        for pk in manager.values_list("pk", flat=True):
            values = {
                field.attname: value
                for index, field in enumerate(columns)
                if (value := hostile_value(field, index + pk, pk)) is not None
            }
            written += manager.filter(pk=pk).update(**values) * len(values)
    return written


PAGES = [case for case in EXPECTED if case.method == "GET"]


@pytest.mark.parametrize("case", PAGES, ids=lambda case: case.id)
def test_no_page_carries_stored_markup_unescaped(world, case: Case):
    client, url, _data, role = case_request(world, case)
    assert fill_every_text_column() > 0
    response = client.get(url)
    assert response.status_code < 500
    if "html" not in response.get("Content-Type", ""):
        return
    html = response.content.decode()
    unescaped = [marker for marker in MARKERS if marker in html]
    assert not unescaped, f"{case.id} as {role} shows {unescaped}"


def test_the_filled_values_reach_the_pages(world, as_manager):
    """The crawl above looks at pages that do show the filled values (escaped): a filling that
    wrote nothing a page reads would make it pass for nothing."""
    fill_every_text_column()
    html = as_manager.get(reverse("crm:customer-detail", args=[world.sales_lead.pk])).content.decode()
    assert "&lt;script&gt;alert(" in html or "&lt;img src=x onerror" in html or "&lt;svg onload" in html


def test_the_report_charts_data_cannot_close_its_script_element(world, as_manager):
    """The sales report hands Chart.js its data through json_script; the source labels are the
    only stored text in it (consultants and classes are tables on the page, escaped above).
    Inside the element `<`, `>` and `&` must be escapes, so no label ends the script early."""
    label = '</script><script>alert("x6")</script>&amp;<!--'
    world.source.label = label
    world.source.save(update_fields=["label"])
    month = timezone.localdate().strftime("%Y-%m")
    html = as_manager.get(f"{reverse('reports:sales-report')}?month={month}").content.decode()

    opening = '<script id="report-charts" type="application/json">'
    start = html.index(opening) + len(opening)
    data = html[start : html.index("</script>", start)]
    assert not set("<>&") & set(data), data
    assert "\\u003C/script\\u003E" in data
    assert label in json.loads(data)["sources"]["labels"]
    assert html.count('alert("x6")') == 0
