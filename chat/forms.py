"""Chat forms: a new group room, a new direct message, adding people to a room.

Forms only read input; the services (chat/services/) decide and validate,
and ``workspace.forms.call_service`` puts their refusals on the form.
"""

from django import forms

from accounts.models import User
from chat.models import ROOM_NAME_MAX_LENGTH


class PeopleField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def label_from_instance(self, person) -> str:
        return person.full_name or person.email


def _people(exclude=()):
    return User.objects.filter(is_active=True).exclude(pk__in=exclude).order_by("full_name")


class RoomForm(forms.Form):
    name = forms.CharField(
        max_length=ROOM_NAME_MAX_LENGTH,
        label="Name",
        error_messages={"required": "Give the room a name."},
    )
    description = forms.CharField(
        max_length=300, required=False, label="What is it about?", widget=forms.TextInput
    )
    private = forms.BooleanField(
        required=False,
        label="Private: only the people in it can find and read it",
    )
    members = PeopleField(queryset=User.objects.none(), required=False, label="People")

    def __init__(self, *args, viewer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = _people(exclude=[viewer.pk])


class DirectForm(forms.Form):
    people = PeopleField(
        queryset=User.objects.none(),
        label="People",
        error_messages={"required": "Pick at least one person."},
    )

    def __init__(self, *args, viewer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["people"].queryset = _people(exclude=[viewer.pk])


class MembersForm(forms.Form):
    people = PeopleField(
        queryset=User.objects.none(),
        label="Add people",
        error_messages={"required": "Pick people to add."},
    )

    def __init__(self, *args, exclude=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["people"].queryset = _people(exclude=exclude)
