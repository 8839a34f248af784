from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from classroom.models import Attendance, Lesson, Question, Score
from classroom.services import LESSON_FIELDS
from crm.models import ClassList

SCORE_CHOICES = [("", _("Not graded")), *((value, f"{label} · {value}") for value, label in Score.choices)]


class LessonForm(forms.ModelForm):
    """A lesson of `class_list`; the teacher is one of the class's teachers or its adviser."""

    class Meta:
        model = Lesson
        fields = list(LESSON_FIELDS)
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "homework_deadline": forms.DateTimeInput(
                attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
            ),
            "content": forms.Textarea(attrs={"rows": 5}),
            "homework_requirement": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, class_list: ClassList, **kwargs):
        super().__init__(*args, **kwargs)
        self.class_list = class_list
        staff = User.objects.filter(pk__in=class_list.teachers.values("pk"))
        if class_list.adviser_id:
            staff = staff | User.objects.filter(pk=class_list.adviser_id)
        self.fields["teacher"].queryset = staff.order_by("username")
        self.fields["number"].widget.attrs["min"] = 1

    def clean_number(self) -> int:
        number = self.cleaned_data["number"]
        taken = self.class_list.lessons.filter(number=number).exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(
                _("Lesson %(number)s of this class exists already."), params={"number": number}
            )
        return number

    def clean(self):
        cleaned = super().clean()
        homework = cleaned.get("homework_title")
        if not homework and (cleaned.get("homework_requirement") or cleaned.get("homework_deadline")):
            self.add_error("homework_title", _("Give the homework a title, or leave its requirements empty."))
        return cleaned


class _RecordForm(forms.Form):
    record = forms.IntegerField(widget=forms.HiddenInput)


class RollCallForm(_RecordForm):
    attendance = forms.ChoiceField(
        choices=Attendance.choices,
        widget=forms.RadioSelect(attrs={"class": "btn-check", "autocomplete": "off"}),
        label=_("Attendance"),
    )


class GradeForm(_RecordForm):
    score = forms.TypedChoiceField(
        choices=SCORE_CHOICES, coerce=int, empty_value=None, required=False, label=_("Score")
    )
    comment = forms.CharField(max_length=500, required=False, label=_("Comment"))


class RecordFormSet(forms.BaseFormSet):
    """One form per study record of one lesson. Each form names its record; a record that is not
    this lesson's, one named twice or one left out makes the whole page invalid (nothing is
    written)."""

    def __init__(self, *args, records, **kwargs):
        self.records = {record.pk: record for record in records}
        super().__init__(*args, **kwargs)

    def clean(self):
        if any(self.errors):
            return
        changed = forms.ValidationError(_("The list of students changed; reload the page and try again."))
        seen = set()
        for form in self.forms:
            record_id = form.cleaned_data.get("record")
            if record_id not in self.records or record_id in seen:
                raise changed
            seen.add(record_id)
        if seen != set(self.records):
            # A page opened before a student joined, or forms left out: all or nothing.
            raise changed

    def changes(self, *fields: str) -> dict:
        """{record id: value} (or a tuple of values) from the valid formset."""
        return {
            form.cleaned_data["record"]: (
                form.cleaned_data[fields[0]]
                if len(fields) == 1
                else tuple(form.cleaned_data[name] for name in fields)
            )
            for form in self.forms
        }


def record_formset(form_class, records, data=None, initial_of=None):
    """A formset over `records` (exactly as many forms as records, at most that many accepted)."""
    records = list(records)
    factory = forms.formset_factory(
        form_class,
        formset=RecordFormSet,
        extra=0,
        max_num=len(records),
        absolute_max=len(records),
        validate_max=True,
    )
    initial = [{"record": record.pk, **initial_of(record)} for record in records]
    formset = factory(data, initial=initial, records=records, prefix="records")
    for form, record in zip(formset.forms, records, strict=False):
        form.study_record = record  # shown beside the form: the student, their files
    return formset


class HomeworkUploadForm(forms.Form):
    file = forms.FileField(label=_("Homework file"))


class QuestionForm(forms.ModelForm):
    class Meta:
        model = Question
        fields = ["class_list", "lesson", "title", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 6})}

    def __init__(self, *args, classes, lessons, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["class_list"].queryset = classes
        self.fields["class_list"].empty_label = None
        self.fields["lesson"].queryset = lessons
        self.fields["lesson"].empty_label = _("Not about one lesson")
        self.fields["lesson"].label_from_instance = lambda lesson: (
            f"{lesson.class_list.course.name} · {lesson}"
        )
        self.fields["title"].widget.attrs["placeholder"] = _("One line: what do you want to know?")

    def clean(self):
        cleaned = super().clean()
        lesson, class_list = cleaned.get("lesson"), cleaned.get("class_list")
        if lesson is not None and class_list is not None and lesson.class_list_id != class_list.pk:
            self.add_error("lesson", _("Pick a lesson of this class."))
        return cleaned


class AnswerForm(forms.Form):
    body = forms.CharField(label=_("Your answer"), max_length=5000, widget=forms.Textarea(attrs={"rows": 5}))


class QuestionSearchForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("All")),
            ("unanswered", _("Unanswered")),
            ("answered", _("Answered")),
            ("solved", _("Solved")),
        ],
    )
