"""Fuzzing every form and filter of the role x URL table with Hypothesis: huge strings, control
characters, mixed scripts, emoji, numbers out of range, malformed dates and decimals, missing and
repeated fields. No answer may be a 500; a GET writes nothing, and a form that is shown again
(refused) has written nothing either.

The field names come from the page itself (every `name="…"` of its forms), so a field added to
a form is fuzzed without touching this file."""

from __future__ import annotations

import os
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.rbac.test_url_matrix import EXPECTED, Case
from tests.security import snapshot
from tests.security.cases import case_request, with_params

EXAMPLES = 8
FIELD_NAME = re.compile(r'\sname="([^"]+)"')
# Names every page carries that are not the form's to fuzz.
NOT_FIELDS = {"csrfmiddlewaretoken", "language", "viewport"}

hostile_text = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "\x00",
            "a\x00b",
            "\r\n",
            "-1",
            "0",
            "99999999999999999999999",
            "-99999999999999999999999",
            "1e308",
            "1e-400",
            "NaN",
            "Infinity",
            "1,000.00",
            "12.345.678",
            "0.0000001",
            "2026-13-45",
            "0000-00-00",
            "9999-12-31",
            "2026-02-30",
            "１２３",
            "٣",
            "' OR 1=1 --",
            "%",
            "_",
            "\\",
            "true",
            "null",
            "[]",
            "{}",
            "../../etc/passwd",
            "张三\u200b",
            "👩‍🎓🎓",
            "\ufeff",
            "\u202e",
        ]
    ),
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=10),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.dates().map(str),
    st.just("长" * 20_000),
)


def field_names(html: str) -> list[str]:
    return sorted({name for name in FIELD_NAME.findall(html) if name not in NOT_FIELDS})


def hostile_params(names: list[str]):
    """Some of `names` (missing ones are the test too), each with one or two hostile values."""
    if not names:
        return st.just({})
    return st.dictionaries(st.sampled_from(names), st.lists(hostile_text, min_size=1, max_size=2), max_size=6)


# The same examples on every run, so CI is repeatable; FUZZ_RANDOM=1 explores new ones.
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=not os.environ.get("FUZZ_RANDOM"),
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
PAGES = [case for case in EXPECTED if case.method == "GET"]
ACTIONS = [case for case in EXPECTED if case.method == "POST"]


@pytest.mark.parametrize("case", PAGES, ids=lambda case: case.id)
def test_hostile_query_parameters_never_crash_a_page_or_write(world, case: Case):
    client, url, _data, role = case_request(world, case)
    page = client.get(url)
    names = (
        field_names(page.content.decode(errors="replace")) if "html" in page.get("Content-Type", "") else []
    )
    names = sorted({*names, "page", "size", "o", "q"})

    @FUZZ_SETTINGS
    @given(params=hostile_params(names))
    def fuzz(params):
        response = client.get(with_params(url, params))
        assert response.status_code < 500, f"{case.id} as {role} with {params!r}"

    before = snapshot.take()
    fuzz()
    assert before.differences(snapshot.take()) == [], f"a GET of {case.id} wrote"


def post_targets() -> list[Case]:
    """The actions, and the pages that show a form posting back to themselves."""
    return [*ACTIONS, *PAGES]


@pytest.mark.parametrize("case", post_targets(), ids=lambda case: f"{case.id}-{case.method}")
def test_hostile_form_posts_never_crash_and_a_refused_form_writes_nothing(world, case: Case):
    client, target, known, role = case_request(world, case)
    names = sorted(known)
    if case.method == "GET":
        page = client.get(target)
        if "html" not in page.get("Content-Type", "") or 'method="post"' not in page.content.decode():
            pytest.skip(f"{case.id} shows no form that posts")  # a page without a form: nothing to post
        names = sorted({*names, *field_names(page.content.decode())})

    @FUZZ_SETTINGS
    @given(params=hostile_params(names))
    def fuzz(params):
        before = snapshot.take()
        response = client.post(target, {**known, **params})
        assert response.status_code < 500, f"{case.id} as {role} with {params!r}"
        if response.status_code == 200 and "html" in response.get("Content-Type", ""):
            assert before.differences(snapshot.take()) == [], f"{case.id} showed its form again but wrote"

    fuzz()
