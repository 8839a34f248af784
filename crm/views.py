"""School setup pages: campuses, courses, classes and the data dictionary."""

from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.views import form_page, list_page, set_active_and_redirect, setup_form_page
from crm import selectors
from crm.filters import CampusFilter, ClassListFilter, CourseFilter, DictItemFilter
from crm.forms import CampusForm, ClassListForm, CourseForm, DictItemForm
from crm.models import Campus, ClassList, Course, DictItem


def _set_active(request, model, pk: int, list_url_name: str):
    return set_active_and_redirect(
        request,
        record=get_object_or_404(model, pk=pk),
        success_url=reverse(list_url_name),
    )


# --- Campuses ---------------------------------------------------------------------------------
def campus_list(request):
    filterset = CampusFilter(request.GET, queryset=selectors.campuses_for_list())
    return list_page(request, filterset=filterset, template_name="crm/campus_list.html", title=_("Campuses"))


def campus_create(request):
    return setup_form_page(request, CampusForm(request.POST or None), _("New campus"), "crm:campus-list")


def campus_update(request, pk: int):
    campus = get_object_or_404(Campus, pk=pk)
    form = CampusForm(request.POST or None, instance=campus)
    return setup_form_page(request, form, _("Edit campus “%(name)s”") % {"name": campus}, "crm:campus-list")


@require_POST
def campus_set_active(request, pk: int):
    return _set_active(request, Campus, pk, "crm:campus-list")


# --- Courses ----------------------------------------------------------------------------------
def course_list(request):
    filterset = CourseFilter(request.GET, queryset=selectors.courses_for_list())
    return list_page(request, filterset=filterset, template_name="crm/course_list.html", title=_("Courses"))


def course_create(request):
    return setup_form_page(request, CourseForm(request.POST or None), _("New course"), "crm:course-list")


def course_update(request, pk: int):
    course = get_object_or_404(Course, pk=pk)
    form = CourseForm(request.POST or None, instance=course)
    return setup_form_page(request, form, _("Edit course “%(name)s”") % {"name": course}, "crm:course-list")


@require_POST
def course_set_active(request, pk: int):
    return _set_active(request, Course, pk, "crm:course-list")


# --- Classes ----------------------------------------------------------------------------------
def class_list(request):
    filterset = ClassListFilter(request.GET, queryset=selectors.classes_for_list())
    return list_page(request, filterset=filterset, template_name="crm/class_list.html", title=_("Classes"))


def class_detail(request, pk: int):
    class_list_ = get_object_or_404(selectors.classes_for_list(), pk=pk)
    return render(request, "crm/class_detail.html", {"class": class_list_})


def class_create(request):
    return setup_form_page(request, ClassListForm(request.POST or None), _("New class"), "crm:class-list")


def class_update(request, pk: int):
    class_list_ = get_object_or_404(ClassList, pk=pk)
    form = ClassListForm(request.POST or None, instance=class_list_)
    return setup_form_page(
        request, form, _("Edit class “%(name)s”") % {"name": class_list_}, "crm:class-list"
    )


@require_POST
def class_set_active(request, pk: int):
    return _set_active(request, ClassList, pk, "crm:class-list")


# --- Data dictionary --------------------------------------------------------------------------
def dictitem_list(request):
    filterset = DictItemFilter(request.GET, queryset=selectors.dict_items_for_list())
    return list_page(
        request, filterset=filterset, template_name="crm/dictitem_list.html", title=_("Data dictionary")
    )


def _dictitem_list_url(kind: str | None) -> str:
    """The dictionary list filtered to one kind: where a sales manager, who may open only the
    customer sources, can come back to."""
    url = reverse("crm:dictitem-list")
    return f"{url}?kind={kind}" if kind in DictItem.Kind.values else url


def _dictitem_form(request, form, title: str, kind: str | None):
    return form_page(
        request,
        form=form,
        title=title,
        success_url=lambda item: _dictitem_list_url(item.kind),
        cancel_url=_dictitem_list_url(kind),
    )


def dictitem_create(request):
    kind = request.GET.get("kind")
    initial = {"kind": kind} if kind in DictItem.Kind.values else {}
    form = DictItemForm(request.POST or None, initial=initial)
    return _dictitem_form(request, form, _("New dictionary item"), kind)


def dictitem_update(request, pk: int):
    item = get_object_or_404(DictItem, pk=pk)
    form = DictItemForm(request.POST or None, instance=item)
    return _dictitem_form(request, form, _("Edit dictionary item “%(name)s”") % {"name": item}, item.kind)


@require_POST
def dictitem_set_active(request, pk: int):
    item = get_object_or_404(DictItem, pk=pk)
    return set_active_and_redirect(request, record=item, success_url=_dictitem_list_url(item.kind))
