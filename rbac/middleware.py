from django.contrib.auth.views import redirect_to_login
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
        if request.rbac.permits(request.resolver_match.view_name, view_kwargs):
            return None
        return render(request, "403.html", status=403)
