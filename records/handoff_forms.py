"""The hand-off form: to which department (and person), why, about which ticket or deal."""

from django import forms

from accounts.models import Department, User
from records.models import HANDOFF_NOTE_MAX_LENGTH, Client
from records.selectors.handoff_pages import department_members

NOTE_PLACEHOLDER = "What the client needs, what was promised"


class HandoffForm(forms.Form):
    to_department = forms.ModelChoiceField(
        label="Department",
        queryset=Department.objects.order_by("name"),
        empty_label="Choose a department…",
        error_messages={"required": "Choose the department that should take over."},
    )
    to_user = forms.ModelChoiceField(
        label="Person",
        queryset=User.objects.none(),
        required=False,
        empty_label="Anyone in the department",
        help_text="Optional. Without a person, the department's managers are told.",
    )
    note = forms.CharField(
        label="Context note",
        max_length=HANDOFF_NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5, "placeholder": NOTE_PLACEHOLDER}),
        error_messages={"required": "Add a note: what the client needs and what was promised."},
        help_text="Markdown works.",
    )
    ticket = forms.ModelChoiceField(
        label="About the ticket", queryset=None, required=False, empty_label="No ticket"
    )
    deal = forms.ModelChoiceField(
        label="About the deal", queryset=None, required=False, empty_label="No deal"
    )

    def __init__(self, *args, client: Client, **kwargs):
        super().__init__(*args, **kwargs)
        self.client = client
        self.fields["ticket"].queryset = client.tickets.order_by("-created_at")
        self.fields["deal"].queryset = client.deals.order_by("-created_at")
        # Anyone active may be picked: the service says readably when they are not in the
        # department (a person can change the department after picking someone).
        department = self.data.get("to_department") or self.initial.get("to_department")
        picked = self.data.get("to_user")
        people = department_members(int(department) if str(department).isdigit() else None)
        if picked and str(picked).isdigit():
            people = people | User.objects.filter(pk=int(picked), is_active=True)
        self.fields["to_user"].queryset = people.distinct().order_by("full_name")
