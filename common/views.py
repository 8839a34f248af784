"""Page helpers the setup views share, so each view stays a few lines: lookup, form, service, redirect."""

from collections.abc import Callable

from django.contrib import messages
from django.db import connection
from django.http import FileResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from common.access import public
from common.lists import filtered_page
from common.services import record_save, record_set_active


def list_page(request, *, filterset, template_name: str, title: str, extra: dict | None = None):
    context = {**filtered_page(request, filterset), "title": title, **(extra or {})}
    return render(request, template_name, context)


def form_page(
    request,
    *,
    form,
    title: str,
    success_url: str | Callable,
    cancel_url: str,
    save: Callable = record_save,
    template_name: str = "common/form_page.html",
    extra: dict | None = None,
):
    """Render `form`; on a valid POST call `save(form=form)`, flash a message and redirect."""
    if request.method == "POST" and form.is_valid():
        record = save(form=form)
        messages.success(request, _("Saved “%(record)s”.") % {"record": record})
        return redirect(success_url(record) if callable(success_url) else success_url)
    context = {"form": form, "title": title, "cancel_url": cancel_url, **(extra or {})}
    return render(request, template_name, context)


def file_attachment(field_file, *, filename: str, content_type: str) -> FileResponse:
    """An uploaded file sent as a download under its display name, with the content type it was
    checked to have (nosniff: browsers must not guess another)."""
    response = FileResponse(
        field_file.open("rb"), as_attachment=True, filename=filename, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def active_flag(request) -> bool | None:
    """The posted `active` field: "1" or "0". Anything else flashes a refusal and returns None;
    the caller then writes nothing."""
    active = {"1": True, "0": False}.get(request.POST.get("active", ""))
    if active is None:
        messages.error(request, _("Say whether to deactivate or reactivate; nothing was changed."))
    return active


def setup_form_page(request, form, title: str, list_url_name: str):
    """A setup record's create/edit page that returns to its list (and cancels to it)."""
    url = reverse(list_url_name)
    return form_page(request, form=form, title=title, success_url=url, cancel_url=url)


def set_active_and_redirect(request, *, record, success_url: str):
    active = active_flag(request)
    if active is None:
        return redirect(success_url)
    record_set_active(record=record, active=active)
    if active:
        messages.success(request, _("Reactivated “%(record)s”.") % {"record": record})
    else:
        messages.success(request, _("Deactivated “%(record)s”.") % {"record": record})
    return redirect(success_url)


@public
def health(request):
    """Liveness and database check for load balancers and monitoring."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
