from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import services as account_services
from accounts.models import Department, User
from common.views import active_flag, form_page, list_page, set_active_and_redirect, setup_form_page
from rbac import selectors, services
from rbac.filters import DepartmentFilter, RoleFilter, UserFilter
from rbac.forms import DepartmentForm, RoleForm, UserForm
from rbac.models import Role
from rbac.permission_tree import permission_tree


def _base_url(request) -> str:
    return request.build_absolute_uri("/")


# --- Roles ------------------------------------------------------------------------------------
def role_list(request):
    filterset = RoleFilter(request.GET, queryset=selectors.roles_for_list())
    return list_page(
        request, filterset=filterset, template_name="rbac/role_list.html", title=_("Roles and permissions")
    )


def role_create(request):
    return _role_form(request, Role(), _("New role"))


def role_update(request, pk: int):
    role = get_object_or_404(Role, pk=pk)
    return _role_form(request, role, _("Edit role “%(name)s”") % {"name": role.name})


def _role_form(request, role: Role, title: str):
    form = RoleForm(request.POST or None, instance=role)
    return form_page(
        request,
        form=form,
        title=title,
        success_url=reverse("rbac:role-list"),
        cancel_url=reverse("rbac:role-list"),
        template_name="rbac/role_form.html",
        extra={"permission_tree": permission_tree(form)},
    )


@require_POST
def role_delete(request, pk: int):
    role = get_object_or_404(Role, pk=pk)
    if role.users.filter(pk=request.user.pk).exists():
        # Deleting a role one holds is the easiest way to lock every administrator out.
        messages.error(
            request, _("You hold the role “%(name)s”, so you cannot delete it.") % {"name": role.name}
        )
        return redirect("rbac:role-list")
    services.role_delete(role=role)
    messages.success(request, _("Deleted role “%(name)s”.") % {"name": role.name})
    return redirect("rbac:role-list")


# --- Users ------------------------------------------------------------------------------------
def user_list(request):
    filterset = UserFilter(request.GET, queryset=selectors.users_for_list(request.user))
    return list_page(request, filterset=filterset, template_name="rbac/user_list.html", title=_("Users"))


def user_create(request):
    form = UserForm(request.POST or None, instance=User(is_active=True))
    return _user_form(request, form, _("New user"))


def user_update(request, pk: int):
    user = get_object_or_404(selectors.users_manageable_by(request.user), pk=pk)
    form = UserForm(request.POST or None, instance=user)
    return _user_form(request, form, _("Edit user “%(name)s”") % {"name": user})


def _user_form(request, form, title: str):
    return form_page(
        request,
        form=form,
        title=title,
        save=lambda form: services.user_save(form=form, base_url=_base_url(request)),
        success_url=reverse("rbac:user-list"),
        cancel_url=reverse("rbac:user-list"),
        template_name="rbac/user_form.html",
    )


@require_POST
def user_set_active(request, pk: int):
    user = get_object_or_404(selectors.users_manageable_by(request.user), pk=pk)
    active = active_flag(request)
    if active is None:
        return redirect("rbac:user-list")
    if user.awaiting_approval:
        messages.error(
            request, _("“%(name)s” is awaiting approval: approve the registration instead.") % {"name": user}
        )
        return redirect("rbac:user-list")
    if user == request.user and not active:
        messages.error(request, _("You cannot deactivate your own account."))
        return redirect("rbac:user-list")
    account_services.user_set_active(user=user, active=active)
    if active:
        messages.success(request, _("Reactivated “%(name)s”.") % {"name": user})
    else:
        messages.success(
            request, _("Deactivated “%(name)s”; they are signed out on their next click.") % {"name": user}
        )
    return redirect("rbac:user-list")


@require_POST
def user_approve(request, pk: int):
    user = get_object_or_404(selectors.users_manageable_by(request.user), pk=pk, awaiting_approval=True)
    account_services.user_approve(user=user, by=request.user)
    messages.success(request, _("Approved “%(name)s”. Give them a role so they see a menu.") % {"name": user})
    return redirect("rbac:user-update", pk=user.pk)


@require_POST
def user_send_password_link(request, pk: int):
    user = get_object_or_404(selectors.users_manageable_by(request.user), pk=pk)
    if not user.email:
        messages.error(request, _("“%(name)s” has no email address; add one first.") % {"name": user})
    else:
        account_services.user_send_password_email(user=user, base_url=_base_url(request))
        messages.success(request, _("Sent a password link to %(email)s.") % {"email": user.email})
    return redirect("rbac:user-list")


# --- Departments ------------------------------------------------------------------------------
def department_list(request):
    filterset = DepartmentFilter(request.GET, queryset=selectors.departments_for_list())
    return list_page(
        request, filterset=filterset, template_name="rbac/department_list.html", title=_("Departments")
    )


def department_create(request):
    form = DepartmentForm(request.POST or None)
    return setup_form_page(request, form, _("New department"), "rbac:department-list")


def department_update(request, pk: int):
    department = get_object_or_404(Department, pk=pk)
    form = DepartmentForm(request.POST or None, instance=department)
    return setup_form_page(
        request, form, _("Edit department “%(name)s”") % {"name": department}, "rbac:department-list"
    )


@require_POST
def department_set_active(request, pk: int):
    department = get_object_or_404(Department, pk=pk)
    return set_active_and_redirect(
        request,
        record=department,
        success_url=reverse("rbac:department-list"),
    )
