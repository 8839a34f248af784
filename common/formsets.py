"""One form per row of a fixed list (a lesson's study records, a team's consultants), posted at
once. Each form names its row in a hidden field; a row that is not in the list, one named twice or
one left out makes the whole page invalid, so a tampered or outdated page writes nothing."""

from collections.abc import Callable, Iterable

from django import forms


class RowFormSet(forms.BaseFormSet):
    key = ""  # the hidden field naming the row
    changed_message = ""  # shown when the posted rows are not exactly the list's

    def __init__(self, *args, rows: dict, **kwargs):
        self.rows = rows
        super().__init__(*args, **kwargs)

    def clean(self):
        if any(self.errors):
            return
        posted = [form.cleaned_data.get(self.key) for form in self.forms]
        if len(set(posted)) != len(posted) or set(posted) != set(self.rows):
            raise forms.ValidationError(self.changed_message)

    def changes(self, *fields: str) -> dict:
        """{row id: value} (or a tuple of values) from the valid formset."""
        return {
            form.cleaned_data[self.key]: (
                form.cleaned_data[fields[0]]
                if len(fields) == 1
                else tuple(form.cleaned_data[name] for name in fields)
            )
            for form in self.forms
        }


def row_formset(
    form_class,
    rows: Iterable,
    *,
    key: str,
    changed_message: str,
    prefix: str,
    initial_of: Callable[[object], dict],
    data=None,
) -> RowFormSet:
    """A formset with exactly one form per row (at most that many accepted); each form keeps its
    row as `form.row` for the template."""
    rows = list(rows)
    formset_class = type("RowFormSet", (RowFormSet,), {"key": key, "changed_message": changed_message})
    factory = forms.formset_factory(
        form_class,
        formset=formset_class,
        extra=0,
        max_num=len(rows),
        absolute_max=len(rows),
        validate_max=True,
    )
    initial = [{key: row.pk, **initial_of(row)} for row in rows]
    formset = factory(data, initial=initial, rows={row.pk: row for row in rows}, prefix=prefix)
    for form, row in zip(formset.forms, rows, strict=False):
        form.row = row
    return formset
