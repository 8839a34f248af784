from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from classroom.models import Attendance, Lesson, Question, Score
from classroom.services import LESSON_FIELDS
from common.formsets import row_formset
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


def record_formset(form_class, records, data=None, initial_of=None):
    """Roll call or grading: one form per study record of the lesson, all saved or none."""
    return row_formset(
        form_class,
        records,
        key="record",
        changed_message=_("The list of students changed; reload the page and try again."),
        prefix="records",
        initial_of=initial_of,
        data=data,
    )


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
