from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseNotAllowed
from django.shortcuts import render

from common.access import AUTHENTICATED, PUBLIC, access_marker
from rbac.policy import RequestAccess


class PermissionMiddleware:
    """The single choke point: every resolved view is public, for any signed-in user, or matched
    against the permission dictionary. A URL name without an entry is refused (fail closed)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.rbac = RequestAccess(request)
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        marker = access_marker(view_func)
        if marker == PUBLIC:
            return None
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if marker == AUTHENTICATED:
            return None
        url_name = request.resolver_match.view_name
        if request.rbac.permits(url_name, view_kwargs):
            return None
        methods = request.rbac.methods_held(url_name)
        if methods and request.method not in methods | ({"HEAD"} if "GET" in methods else set()):
            # The user may act here, only not with this method (a GET of a button's POST action):
            # 405 says so, where 403 would say they may not.
            return HttpResponseNotAllowed(sorted(methods))
        return render(request, "403.html", status=403)
