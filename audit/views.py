"""The access log page: read-only (the application never edits or deletes a record)."""

from django.shortcuts import render
from django.utils.translation import gettext as _

from audit import selectors
from audit.filters import AccessRecordFilter
from common.lists import filtered_page


def access_log(request):
    filterset = AccessRecordFilter(
        request.GET, queryset=selectors.access_records_for_list(), users=selectors.access_log_users()
    )
    context = filtered_page(request, filterset)
    selectors.attach_object_links(context["object_list"], allows=request.rbac.allows)
    context["title"] = _("Access log")
    return render(request, "audit/access_log.html", context)
