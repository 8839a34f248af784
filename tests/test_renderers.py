"""The Python widget renderer writes what Django's widget templates write."""

import datetime

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import SafeString, mark_safe

from common.renderers import PYTHON_WIDGETS, PythonWidgetsRenderer

HOSTILE = '"><script>alert(1)</script>&amp;'

WIDGETS = [
    (forms.TextInput(), "name", "张三"),
    (
        forms.TextInput(attrs={"class": "form-control", "placeholder": HOSTILE, "required": True}),
        "q",
        HOSTILE,
    ),
    (forms.TextInput(attrs={"type": "search", "disabled": False, "data-x": None}), "q", None),
    (forms.NumberInput(attrs={"min": 1, "max": 3650}), "days", 30),
    (forms.EmailInput(), "email", "a@example.com"),
    (forms.URLInput(), "site", "https://example.com/?a=1&b=2"),
    (forms.PasswordInput(), "password", "secret"),
    (forms.HiddenInput(), "next", "/sales/?a=1&b=<2>"),
    (forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), "day", datetime.date(2026, 12, 1)),
    (forms.DateTimeInput(), "at", datetime.datetime(2026, 12, 1, 9, 30)),
    (forms.TimeInput(), "time", datetime.time(9, 30)),
    (forms.CheckboxInput(), "agree", True),
    (forms.CheckboxInput(), "agree", False),
    (forms.Textarea(attrs={"rows": 3}), "note", "第一行\n<b>second</b> & third"),
    (forms.Textarea(), "note", ""),
    (forms.Select(choices=[("", "---------"), ("a", "A & B"), (1, HOSTILE)]), "pick", "a"),
    (forms.Select(choices=[("", "全部"), (1, "一"), (2, "二")], attrs={"class": "form-select"}), "n", 2),
    (forms.Select(choices=[("x", "X")]), "pick", None),
    (forms.Select(choices=[("Group <1>", [("a", "A"), ("b", "B")]), ("c", "C")]), "pick", "b"),
    (forms.SelectMultiple(choices=[("a", "A"), ("b", "B"), ("c", "C")]), "many", ["a", "c"]),
    (forms.NullBooleanSelect(), "flag", True),
    (forms.Select(choices=[("a", mark_safe("<b>A</b>")), ('"q"', "'quoted'")]), "pick", '"q"'),
]


@pytest.mark.parametrize(("widget", "name", "value"), WIDGETS, ids=lambda item: type(item).__name__)
def test_each_widget_is_written_as_djangos_template_writes_it(widget, name, value):
    attrs = {"id": f"id_{name}"}
    expected = widget.render(name, value, attrs=attrs, renderer=DjangoTemplates())
    written = widget.render(name, value, attrs=attrs, renderer=PythonWidgetsRenderer())
    assert written == expected
    assert isinstance(written, SafeString)


def test_the_python_renderer_writes_the_widgets_above():
    used = {widget.template_name for widget, _name, _value in WIDGETS}
    assert used <= set(PYTHON_WIDGETS)


def test_other_widgets_go_through_their_templates():
    widget = forms.RadioSelect(choices=[("a", "A"), ("b", "B")])
    expected = widget.render("pick", "a", renderer=DjangoTemplates())
    assert widget.render("pick", "a", renderer=PythonWidgetsRenderer()) == expected


def test_a_select_with_its_own_option_template_goes_through_its_templates():
    class StarredSelect(forms.Select):
        option_template_name = "django/forms/widgets/input_option.html"

    widget = StarredSelect(choices=[("a", "A")])
    expected = widget.render("pick", "a", renderer=DjangoTemplates())
    assert widget.render("pick", "a", renderer=PythonWidgetsRenderer()) == expected


def test_the_site_uses_it(settings):
    from django.forms.renderers import get_default_renderer

    assert isinstance(get_default_renderer(), PythonWidgetsRenderer)
