"""The new-task form (full page and quick-add). It validates input; ``create_task`` decides.

The due time is entered as the assignee's wall-clock time (``datetime-local``,
naive) and handed to the service naive: the service reads it in the
assignee's time zone. A due time in the past is allowed (docs/ARCHITECTURE.md)
but only after the person saw a warning: the first submit comes back with it
and a "Save anyway" button that sends ``past_ok``.
"""

from datetime import datetime

from django import forms
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from records.models import Priority, Task
from records.selectors.tasks import REMINDER_CHOICES, assignable_people
from records.services.reminders import aware_due

QUICK_FIELDS = ("title", "assignee", "due", "past_ok")


class PersonSelect(forms.Select):
    """A people select whose options carry each person's time zone (``data-zone``), so the
    form can say in whose time the due time is read and warn about past times."""

    def create_option(self, name, value, *args, **kwargs):
        option = super().create_option(name, value, *args, **kwargs)
        person = getattr(value, "instance", None)
        if person is not None:
            option["attrs"]["data-zone"] = person.timezone
            option["attrs"]["data-name"] = person.full_name
        return option


class TaskForm(forms.Form):
    title = forms.CharField(
        max_length=200,
        error_messages={"required": "Give the task a title."},
        widget=forms.TextInput(attrs={"placeholder": "What needs doing?", "autofocus": True}),
    )
    description = forms.CharField(
        required=False,
        max_length=Task._meta.get_field("description").max_length,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "Details, links… (Markdown)"}),
    )
    assignee = forms.ModelChoiceField(
        queryset=None,
        empty_label=None,
        widget=PersonSelect,
        error_messages={"invalid_choice": "Pick one of the people you may assign tasks to."},
    )
    due = forms.CharField(
        required=False,
        label="Due",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    priority = forms.ChoiceField(choices=Priority.choices, initial=Priority.NORMAL)
    reminder = forms.ChoiceField(choices=REMINDER_CHOICES, required=False, label="Reminder")
    recurrence = forms.ChoiceField(
        choices=Task.Recurrence.choices, initial=Task.Recurrence.NONE, label="Repeat"
    )
    past_ok = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(
        self, *args, viewer, quick: bool = False, with_description: bool = False, **kwargs
    ):
        """``with_description`` keeps the description in the quick form (a task made from
        something else, ``records.task_sources``, carries its text)."""
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignable_people(viewer)
        self.fields["assignee"].initial = self.initial.get("assignee", viewer.pk)
        if quick:
            kept = (*QUICK_FIELDS, "description") if with_description else QUICK_FIELDS
            for name in [name for name in self.fields if name not in kept]:
                del self.fields[name]
        self.past_due = False

    def clean_due(self) -> datetime | None:
        text = self.cleaned_data["due"].strip()
        if not text:
            return None
        try:
            due = parse_datetime(text)
        except ValueError:
            due = None
        if due is None:
            raise forms.ValidationError("Enter a date and a time, e.g. 2026-11-24 15:00.")
        return due.replace(tzinfo=None)

    def clean(self):
        data = super().clean()
        due, assignee = data.get("due"), data.get("assignee")
        if due is not None and assignee is not None:
            self.past_due = aware_due(due, assignee) < timezone.now()
        return data

    @property
    def needs_past_confirmation(self) -> bool:
        """Valid, but due in the past and not yet confirmed: show the warning, save nothing."""
        return self.past_due and not self.cleaned_data.get("past_ok")

    def service_arguments(self) -> dict:
        """What ``services.create_task`` takes from this form (the link is the view's)."""
        data = self.cleaned_data
        reminder = data.get("reminder")
        return {
            "title": data["title"],
            "assignee": data["assignee"],
            "due_at": data.get("due"),
            "description": data.get("description", ""),
            "priority": data.get("priority") or Priority.NORMAL,
            "recurrence": data.get("recurrence") or Task.Recurrence.NONE,
            "reminder_minutes": int(reminder) if reminder else None,
        }
