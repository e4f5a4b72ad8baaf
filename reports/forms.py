"""The weekly-email form on a report page (the filters form lives in reports/filters.py)."""

from django import forms

from reports.models import ReportSubscription

HOURS = [(hour, f"{hour:02d}:00") for hour in range(24)]


class SubscribeForm(forms.Form):
    weekday = forms.TypedChoiceField(
        choices=ReportSubscription.Weekday.choices, coerce=int, label="Every"
    )
    hour = forms.TypedChoiceField(choices=HOURS, coerce=int, initial=8, label="At")
    query = forms.CharField(required=False, max_length=500, widget=forms.HiddenInput)


def subscription_when(subscription: ReportSubscription) -> str:
    """“Monday at 08:00 (Europe/Berlin)”."""
    return (
        f"{subscription.get_weekday_display()} at {subscription.hour:02d}:00 "
        f"({subscription.user.timezone})"
    )
