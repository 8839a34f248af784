from django import forms
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from accounts.models import Department, User


class UniqueEmailMixin:
    """Refuse an email another account already uses (case-insensitively); blank stays allowed
    where the form does not require it."""

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        clash = User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk)
        if email and clash.exists():
            raise forms.ValidationError(_("An account with this email already exists."))
        return email


class LoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "awaiting_approval": _(
            "Your registration is waiting for an administrator's approval. "
            "You can log in once it is approved."
        ),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Django sets the username's max_length after building the field, so nothing checks it: a
        # longer name reached authenticate() and django-axes, whose column refuses it on PostgreSQL.
        username = self.fields["username"]
        username.validators.append(MaxLengthValidator(username.max_length))

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError:
            # Tell someone who registered why they cannot log in yet, but only when the password is
            # right, so the message reveals nothing to a stranger.
            username, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
            pending = User.objects.filter(username=username, awaiting_approval=True).first()
            if pending is not None and password and pending.check_password(password):
                raise forms.ValidationError(
                    self.error_messages["awaiting_approval"], code="awaiting_approval"
                ) from None
            raise


class RegistrationForm(UniqueEmailMixin, UserCreationForm):
    class Meta:
        model = User
        fields = ["username", "display_name", "email", "phone", "department"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
        self.fields["display_name"].required = True
        self.fields["department"].queryset = Department.objects.filter(is_active=True)


class ProfileForm(UniqueEmailMixin, forms.ModelForm):
    class Meta:
        model = User
        fields = ["display_name", "email", "phone"]
