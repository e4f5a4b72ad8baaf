"""The new-ticket form. It validates input; services decide (create_ticket, post_comment)."""

from django import forms
from django.urls import reverse_lazy

from accounts.models import User
from records.models import COMMENT_MAX_LENGTH, Client, Contact, Priority, Ticket
from records.selectors.tickets import client_choices, open_clients, sla_hours, support_people


class TicketForm(forms.Form):
    """A new ticket and its first message. ``client`` is fixed when opened from a client.

    The contact choices are the chosen client's contacts only, so a contact of
    another client is refused here already (the model checks it again).
    """

    subject = forms.CharField(
        max_length=200,
        error_messages={"required": "Give the ticket a subject."},
        widget=forms.TextInput(attrs={"placeholder": "What is the problem, in a few words?"}),
    )
    client = forms.ModelChoiceField(
        queryset=Client.objects.none(),
        empty_label="Pick a client",
        error_messages={
            "required": "Pick the client the ticket is for.",
            "invalid_choice": "Pick one of the listed clients.",
        },
    )
    contact = forms.ModelChoiceField(
        queryset=Contact.objects.none(),
        required=False,
        empty_label="No contact",
        error_messages={"invalid_choice": "Pick one of this client's contacts."},
    )
    priority = forms.ChoiceField(
        choices=Priority.choices,
        initial=Priority.NORMAL,
        help_text="With the hours to resolve it (SLA).",
        error_messages={"invalid_choice": "Pick one of the listed priorities."},
    )
    channel = forms.ChoiceField(
        choices=Ticket.Channel.choices,
        initial=Ticket.Channel.EMAIL,
        error_messages={"invalid_choice": "Pick one of the listed channels."},
    )
    assignee = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        empty_label="Unassigned",
        error_messages={"invalid_choice": "Pick a member of the support team."},
    )
    message = forms.CharField(
        max_length=COMMENT_MAX_LENGTH,
        label="First message",
        error_messages={"required": "Write the first message: what does the customer need?"},
        widget=forms.Textarea(
            attrs={
                "rows": 6,
                "placeholder": "What the customer wrote, or what you know so far.",
                "data-mentions": reverse_lazy("records:mention_people"),
            }
        ),
        help_text="Posted as the ticket's first comment. Markdown and @mentions work.",
    )

    def __init__(self, *args, client: Client | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = support_people()
        hours = sla_hours()
        self.fields["priority"].choices = [
            (value, f"{label} · {hours[value]} h") for value, label in Priority.choices
        ]
        self._set_clients(client)
        client_id = client.pk if client else self.data.get("client")
        self.fields["contact"].queryset = Contact.objects.filter(
            client_id=client_id if str(client_id or "").isdigit() else None
        ).order_by("name")

    def _set_clients(self, client: Client | None) -> None:
        field = self.fields["client"]
        if client is not None:
            field.queryset = open_clients().filter(pk=client.pk)
            field.initial = client.pk
            field.widget = forms.HiddenInput()
            return
        field.queryset = open_clients()
        field.choices = [("", "Pick a client"), *client_choices(keep=self.data.get("client"))]
        field.help_text = "Recently active clients; search above for any other."
        field.widget.attrs.update(
            {
                "hx-get": reverse_lazy("records:ticket_contacts"),
                "hx-target": "#id_contact",
                "hx-trigger": "change",
            }
        )
