"""Forms of email on the client: composing a mail, and snippets.

The compose form only gathers what was typed; whether an address is one of the
client's contacts, the sizes of the files and the merge fields are the
service's to judge (integrations/mail/services/outgoing.py), so the page and
any other caller get the same readable refusals.
"""

from django import forms

from integrations.mail.models import SUBJECT_MAX_LENGTH, Snippet


class AnyChoices(forms.MultipleChoiceField):
    """Checked recipients, judged by the service (a stale page may offer an address a
    colleague has just removed: that deserves a clearer word than "not a valid choice")."""

    def valid_value(self, value) -> bool:
        return True


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Any number of files (sizes are checked by the service against the mail settings)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        one = super().clean
        files = data if isinstance(data, list | tuple) else [data]
        return [one(file, initial) for file in files if file]


class ComposeForm(forms.Form):
    to = AnyChoices(required=False, label="To")
    cc = forms.CharField(
        required=False,
        max_length=2000,
        label="Cc",
        help_text="Any addresses, separated by commas.",
    )
    subject = forms.CharField(required=False, max_length=SUBJECT_MAX_LENGTH, label="Subject")
    body = forms.CharField(
        required=False, max_length=50_000, widget=forms.Textarea, label="Message"
    )
    attachments = MultipleFileField(required=False, label="Attachments")


class SnippetForm(forms.ModelForm):
    shared = forms.BooleanField(
        required=False, label="Shared with everyone", help_text="Only admins share snippets."
    )

    class Meta:
        model = Snippet
        fields = ["name", "subject", "body"]
        help_texts = {
            "body": "Markdown. Merge fields such as {{ contact.first_name }} are filled when "
            "the mail is sent."
        }
        widgets = {"body": forms.Textarea(attrs={"rows": 8})}

    def __init__(self, *args, can_share: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_share or self.instance.pk is not None:
            del self.fields["shared"]
