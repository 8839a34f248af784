from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.forms import UniqueEmailMixin
from accounts.models import Department, User
from rbac.models import PermissionEntry, Role


class RoleForm(forms.ModelForm):
    permissions = forms.ModelMultipleChoiceField(
        queryset=PermissionEntry.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Permissions"),
    )
    users = forms.ModelMultipleChoiceField(
        queryset=User.objects.filter(is_active=True).order_by("username"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 10}),
        label=_("Users"),
        help_text=_("Hold Ctrl (⌘ on a Mac) to pick several."),
    )

    class Meta:
        model = Role
        fields = ["name", "slug", "description", "data_scope", "permissions", "users"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["users"].initial = self.instance.users.all()
            # Keep deactivated members on offer, or saving the role would silently drop them.
            members = Q(is_active=True) | Q(roles=self.instance)
            self.fields["users"].queryset = User.objects.filter(members).distinct().order_by("username")

    def save(self, commit=True):
        role = super().save(commit=commit)
        if commit:
            role.users.set(self.cleaned_data["users"])
        return role


class DepartmentForm(forms.ModelForm):
    class Meta:
        model = Department
        fields = ["name", "code", "is_active"]


class UserForm(UniqueEmailMixin, forms.ModelForm):
    """Staff accounts created by an administrator. The password is chosen by the user through the
    emailed link, so an administrator never knows it."""

    roles = forms.ModelMultipleChoiceField(
        queryset=Role.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Roles"),
    )

    class Meta:
        model = User
        fields = ["username", "display_name", "email", "phone", "department", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        self.fields["display_name"].required = True
        # Active departments, plus the one the user is already in (even if deactivated since).
        self.fields["department"].queryset = Department.objects.filter(
            Q(is_active=True) | Q(pk=self.instance.department_id)
        )
        if self.instance.pk:
            self.fields["roles"].initial = self.instance.roles.all()

    def clean_username(self):
        # Like Django's UserCreationForm and our registration form: "Li" and "li" are one name.
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(_("A user with that username already exists."))
        return username

    def save(self, commit=True):
        user = super().save(commit=False)
        if not user.pk:
            user.set_unusable_password()
        if commit:
            user.save()
            user.roles.set(self.cleaned_data["roles"])
        return user
