from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from accounts import services
from accounts.forms import LoginForm, ProfileForm, RegistrationForm
from accounts.models import Notification
from accounts.selectors import notifications_for
from common.access import authenticated, public
from common.lists import simple_page


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


def login_locked_out(request, original_response=None, credentials=None):
    """django-axes calls this instead of the login view once the failure limit is reached."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    context = {"minutes": minutes, "limit": settings.AXES_FAILURE_LIMIT}
    return render(request, "accounts/locked_out.html", context, status=429)


@public
def register(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.user_register(form=form)
        return render(request, "accounts/register_done.html")
    return render(request, "accounts/register.html", {"form": form})


@authenticated
def profile(request):
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your profile was saved."))
        return redirect("accounts:profile")
    roles = request.user.roles.order_by("name")  # reverse relation declared by rbac.Role
    return render(request, "accounts/profile.html", {"form": form, "roles": roles})


@authenticated
def notification_list(request):
    page = simple_page(request, notifications_for(request.user))
    return render(request, "accounts/notification_list.html", {"page_obj": page})


@authenticated
@require_POST
def notification_open(request, pk: int):
    notification = get_object_or_404(Notification, pk=pk, recipient=request.user)
    return redirect(services.notification_open(notification=notification))


@authenticated
@require_POST
def notification_read_all(request):
    count = services.notifications_mark_all_read(user=request.user)
    text = ngettext(
        "Marked %(count)d notification as read.", "Marked %(count)d notifications as read.", count
    )
    messages.success(request, text % {"count": count})
    return redirect("accounts:notification-list")


login = public(LoginView.as_view())
logout = public(auth_views.LogoutView.as_view())
password_change = authenticated(
    auth_views.PasswordChangeView.as_view(
        template_name="accounts/password_change.html",
        success_url=reverse_lazy("accounts:password-change-done"),
    )
)
password_change_done = authenticated(
    auth_views.PasswordChangeDoneView.as_view(template_name="accounts/password_change_done.html")
)
password_reset = public(
    auth_views.PasswordResetView.as_view(
        template_name="accounts/password_reset.html",
        email_template_name="accounts/email/password_reset.txt",
        subject_template_name="accounts/email/password_reset_subject.txt",
        success_url=reverse_lazy("accounts:password-reset-done"),
    )
)
password_reset_done = public(
    auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html")
)
password_reset_confirm = public(
    auth_views.PasswordResetConfirmView.as_view(
        template_name="accounts/password_reset_confirm.html",
        success_url=reverse_lazy("accounts:password-reset-complete"),
        extra_context={"title": gettext_lazy("Choose a new password")},
    )
)
password_reset_complete = public(
    auth_views.PasswordResetCompleteView.as_view(template_name="accounts/password_reset_complete.html")
)
