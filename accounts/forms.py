import zoneinfo

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat

from accounts import policies, services
from accounts.models import WEEKDAYS, Department, Role, User, validate_timezone

AVATAR_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}
AVATAR_CONTENT_TYPES = "image/png,image/jpeg,image/gif,image/webp"


class InvitationForm(forms.Form):
    email = forms.EmailField(label="Email address")
    full_name = forms.CharField(label="Name (optional)", max_length=150, required=False)
    department = forms.ModelChoiceField(queryset=Department.objects.none(), empty_label=None)
    role = forms.ChoiceField(choices=[])

    def __init__(self, *args, actor: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = policies.managed_departments(actor)
        self.fields["role"].choices = policies.invitable_roles(actor)
        self.fields["role"].initial = Role.MEMBER


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(label="Your name", max_length=150)
    password = forms.CharField(
        label="Choose a password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_again = forms.CharField(
        label="Repeat the password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password") != cleaned.get("password_again"):
            self.add_error(
                "password_again", "The two passwords differ. Type the same password twice."
            )
        return cleaned


class TimezoneField(forms.CharField):
    """Free text with suggestions (a datalist), checked against the tz database."""

    default_validators = [validate_timezone]

    def __init__(self, **kwargs):
        super().__init__(max_length=64, **kwargs)
        self.widget.attrs.update({"list": "timezone-names", "autocomplete": "off"})


def timezone_names() -> list[str]:
    return sorted(zoneinfo.available_timezones())


class ProfileForm(forms.ModelForm):
    timezone = TimezoneField(
        label="Time zone", help_text="Used for your working hours and every time you see."
    )
    work_days = forms.TypedMultipleChoiceField(
        choices=WEEKDAYS, coerce=int, widget=forms.CheckboxSelectMultiple, label="Working days"
    )

    class Meta:
        model = User
        fields = list(services.PROFILE_FIELDS)
        widgets = {
            "avatar": forms.ClearableFileInput(attrs={"accept": AVATAR_CONTENT_TYPES}),
            "work_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "work_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "email_signature": forms.Textarea(attrs={"rows": 4}),
        }
        labels = {
            "email_notifications": "Email me about",
            "reminder_minutes": "Remind me before tasks are due (minutes)",
            "email_signature": "Email signature",
            "phone_extension": "Phone extension",
        }

    def clean_avatar(self):
        avatar = self.cleaned_data.get("avatar")
        if not avatar or not hasattr(avatar, "image"):
            return avatar
        if avatar.size > settings.AVATAR_MAX_BYTES:
            raise forms.ValidationError(
                f"That picture is {filesizeformat(avatar.size)}; the limit is "
                f"{filesizeformat(settings.AVATAR_MAX_BYTES)}. Choose a smaller one."
            )
        if avatar.image.format not in AVATAR_FORMATS:
            raise forms.ValidationError("Use a PNG, JPEG, GIF or WebP picture.")
        return avatar

    def changes(self) -> dict:
        """The fields the person changed, ready for `update_profile`."""
        changes = {field: self.cleaned_data[field] for field in self.changed_data}
        if changes.get("avatar") is False:
            changes["avatar"] = ""
        return changes


class PersonAccessForm(forms.Form):
    """What an admin or manager may change about someone else."""

    role = forms.ChoiceField(choices=Role.choices, required=False)
    departments = forms.ModelMultipleChoiceField(
        queryset=Department.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    is_active = forms.BooleanField(label="Can sign in", required=False)

    def __init__(self, *args, actor: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["departments"].queryset = policies.managed_departments(actor)
        if not policies.can_change_role(actor):
            del self.fields["role"]


class DepartmentForm(forms.ModelForm):
    timezone = TimezoneField(
        label="Time zone",
        required=False,
        initial="UTC",
        help_text="Where the department's schedules run (automation). Empty: UTC.",
    )

    class Meta:
        model = Department
        fields = ["name", "description", "timezone"]

    def clean_timezone(self):
        return self.cleaned_data["timezone"] or "UTC"
