"""Filters other apps add to a list at start-up (records.selectors.lists.add_filter):
records imports no higher app, so marketing's segment filter arrives this way."""

import pytest
from django.http import QueryDict

from records import services
from records.selectors import lists
from records.selectors.lists import state


@pytest.fixture
def added(monkeypatch):
    """A clean registry for the test (the apps' own registrations come back after it)."""
    monkeypatch.setattr(state, "_added_filters", {})
    only_beta = lists.Option("beta", "Beta only", lists.matches(name="Beta"))
    lists.add_filter("clients", lists.ChoiceFilter("extra", "Extra", (only_beta,)))


def test_an_added_filter_reads_filters_and_is_offered(added, member, defaults):
    services.create_client(actor=member, name="Alpha")
    services.create_client(actor=member, name="Beta")
    chosen = lists.read(lists.CLIENTS, QueryDict("extra=beta"), member)
    assert [client.name for client in lists.rows(chosen, member)] == ["Beta"]
    assert "extra" in lists.CLIENTS.keys  # a saved view keeps it
    assert [bound.filter.key for bound in lists.bound_filters(chosen)][-1] == "extra"
    assert "extra" not in lists.CONTACTS.keys  # only on the list it was added to

    bad = lists.read(lists.CLIENTS, QueryDict("extra=gamma"), member)
    assert bad.notes == ["Extra: “gamma” is not one of the choices."]


def test_adding_the_same_key_again_replaces_it(added):
    lists.add_filter("clients", lists.ChoiceFilter("extra", "Replaced", ()))
    assert [each.label for each in lists.CLIENTS.all_filters if each.key == "extra"] == ["Replaced"]
