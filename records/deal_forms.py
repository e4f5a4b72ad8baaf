"""Forms of the deal pages: open a deal, lose a deal. They validate input; services decide."""

from decimal import Decimal

from django import forms

from records.models import DEFAULT_CURRENCY, Client, LossReason, Stage

CURRENCIES = sorted(
    {DEFAULT_CURRENCY, "EUR", "USD", "GBP", "CHF", "JPY", "CAD", "AUD", "SEK", "NOK", "DKK", "PLN"}
)
RECENT_CLIENTS = 100


class DealForm(forms.Form):
    """A new deal. ``client`` is fixed when the page was opened from a client (``?client=``)."""

    client = forms.ModelChoiceField(queryset=Client.objects.none(), empty_label="Pick a client")
    title = forms.CharField(max_length=200)
    amount = forms.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=Decimal(0),
        initial=Decimal(0),
        error_messages={
            "invalid": "Enter the amount as a number, e.g. 12500 or 12500.50.",
            "min_value": "An amount cannot be negative.",
        },
    )
    currency = forms.ChoiceField(
        choices=[(code, code) for code in CURRENCIES],
        initial=DEFAULT_CURRENCY,
        error_messages={"invalid_choice": "Pick one of the listed currencies."},
    )
    stage = forms.ModelChoiceField(
        queryset=Stage.objects.none(),
        empty_label=None,
        error_messages={"invalid_choice": "That stage does not exist in this pipeline."},
    )
    expected_close = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Expected close"
    )

    def __init__(self, *args, pipeline, client: Client | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = pipeline.stages.filter(is_won=False, is_lost=False)
        live_clients = Client.objects.filter(archived=False, merged_into__isnull=True)
        if client is not None:
            self.fields["client"].queryset = live_clients.filter(pk=client.pk)
            self.fields["client"].initial = client.pk
            self.fields["client"].widget = forms.HiddenInput()
        else:
            self.fields["client"].queryset = live_clients.order_by("name")
            recent = live_clients.order_by("-updated_at").values("pk")[:RECENT_CLIENTS]
            self.fields["client"].choices = [
                ("", "Pick a client"),
                *live_clients.filter(pk__in=recent).order_by("name").values_list("pk", "name"),
            ]
            self.fields[
                "client"
            ].help_text = (
                "Recently active clients. For any other, open its page and add the deal there."
            )


class LoseForm(forms.Form):
    """Why a deal was lost. ``seen_stage``: the stage the person saw it in (a move that
    someone else's move overtook is refused, services.MoveConflict); checked by the service."""

    loss_reason = forms.ModelChoiceField(
        queryset=LossReason.objects.filter(active=True),
        empty_label=None,
        widget=forms.RadioSelect,
        label="Why was it lost?",
        error_messages={
            "required": "Say why the deal was lost: pick a reason.",
            "invalid_choice": "Pick one of the listed loss reasons.",
        },
    )
    loss_note = forms.CharField(
        required=False,
        max_length=2000,
        label="Note (optional)",
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": "What would have changed the outcome?"}
        ),
    )
    seen_stage = forms.CharField(required=False, widget=forms.HiddenInput)

    def rebase(self, stage_id: int) -> None:
        """Make ``stage_id`` the seen stage of the redrawn form: submitting it again
        loses the deal anyway (as "Use mine" does for a field conflict)."""
        self.data = self.data.copy()
        self.data["seen_stage"] = str(stage_id)
