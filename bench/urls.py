"""The site's URLconf plus the benchmark's own pages, used only by `manage.py bench` and by
gunicorn started with bench.settings: the real site (config.urls) never serves them.

The hello view is marked public. The peer admin needs no marker and no permission entry: like
the project's own Django admin, it relies on the permission middleware failing closed, so that
only superusers, who pass every check, reach it.
"""

from django.urls import path

from bench import views
from bench.peer_admin import peer_site
from config.urls import urlpatterns as site_urlpatterns

urlpatterns = [
    *site_urlpatterns,
    path("bench/hello/", views.hello, name="bench-hello"),
    path("bench/peer-admin/", peer_site.urls),
]
