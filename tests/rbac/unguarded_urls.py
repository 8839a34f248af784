"""A URLconf for the rbac.E001 system-check test: the real one plus one view nobody guarded."""

from django.http import HttpResponse
from django.urls import include, path

from common.access import public


def forgotten_view(request):
    return HttpResponse("no marker and no permission entry")


@public
def marked_public_view(request):
    return HttpResponse("marked public")


urlpatterns = [
    path("forgotten/", forgotten_view, name="forgotten"),
    path("open/", marked_public_view, name="open"),
    path("", include("config.urls")),
]
