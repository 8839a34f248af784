"""A form renderer that writes Django's plainest widgets in Python.

Django renders every widget, and every `<option>` of a select, through a template of its own.
A list page's filter bar spends more time in those few templates than in its database queries.
This renderer writes the same markup as Django's templates for text-like inputs, selects and
textareas, and leaves every other template (crispy's field wrappers, radio lists, files) to the
template engine. tests/test_renderers.py compares its output with Django's for each widget.
"""

import html

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

WIDGETS = "django/forms/widgets/"
# Each of these templates is only `{% include "django/forms/widgets/input.html" %}`.
INPUT_TEMPLATES = frozenset(
    f"{WIDGETS}{name}.html"
    for name in (
        "input",
        "text",
        "search",
        "number",
        "email",
        "url",
        "tel",
        "password",
        "hidden",
        "date",
        "datetime",
        "time",
        "color",
        "checkbox",
    )
)


def attributes(attrs: dict) -> str:
    """django/forms/widgets/attrs.html: False drops an attribute, True writes its bare name."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(f" {conditional_escape(name)}")
        else:
            parts.append(f' {conditional_escape(name)}="{conditional_escape(str(value))}"')
    return "".join(parts)


def render_input(widget: dict) -> SafeString:
    value = "" if widget["value"] is None else format_html(' value="{}"', str(widget["value"]))
    return format_html(
        '<input type="{}" name="{}"{}{}>',
        widget["type"],
        widget["name"],
        value,
        mark_safe(attributes(widget["attrs"])),
    )


def escape_text(text) -> str:
    """Django's conditional_escape, without its lazy-string wrapper: a select can offer a
    hundred consultants, and the wrapper costs more than the escaping."""
    if hasattr(text, "__html__"):
        return text.__html__()
    return html.escape(str(text))


def render_option(option: dict) -> str:
    attrs = option["attrs"]
    # Most options carry no attribute, the chosen one only `selected`.
    if not attrs:
        extra = ""
    elif attrs == SELECTED:
        extra = " selected"
    else:
        extra = attributes(attrs)
    return (
        f'<option value="{html.escape(str(option["value"]))}"{extra}>{escape_text(option["label"])}</option>'
    )


def render_select(widget: dict) -> SafeString:
    parts = [format_html('<select name="{}"{}>', widget["name"], mark_safe(attributes(widget["attrs"])))]
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(format_html('\n  <optgroup label="{}">', group_name))
        # Django's option template ends with a newline, which it keeps.
        parts.extend(f"\n  {render_option(option)}\n" for option in options)
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return mark_safe("".join(parts))


def render_textarea(widget: dict) -> SafeString:
    return format_html(
        '<textarea name="{}"{}>\n{}</textarea>',
        widget["name"],
        mark_safe(attributes(widget["attrs"])),
        widget["value"] or "",
    )


def plain_options(widget: dict) -> bool:
    """Whether every option of a select uses Django's own option template."""
    return all(
        option["template_name"] == SELECT_OPTION
        for _name, options, _index in widget["optgroups"]
        for option in options
    )


SELECT_OPTION = f"{WIDGETS}select_option.html"
SELECTED = {"selected": True}
PYTHON_WIDGETS = {
    **dict.fromkeys(INPUT_TEMPLATES, render_input),
    f"{WIDGETS}select.html": render_select,
    f"{WIDGETS}textarea.html": render_textarea,
}


class PythonWidgetsRenderer(DjangoTemplates):
    """Django's default renderer, with the widgets above written in Python."""

    def render(self, template_name, context, request=None):
        render_widget = PYTHON_WIDGETS.get(template_name)
        widget = context.get("widget")
        if render_widget is None or (render_widget is render_select and not plain_options(widget)):
            return super().render(template_name, context, request=request)
        return render_widget(widget)
