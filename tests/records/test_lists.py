"""The four list pages: filters, sort, search, pages, bad input, htmx, query budget, live rows."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from records import services
from records.models import Client, Ticket
from records.selectors import lists
from tests.factories import UserFactory
from tests.live_helpers import capture_events
from workspace import live

pytestmark = pytest.mark.backend

LIST_URLS = {
    "clients": "records:client_list",
    "contacts": "records:contact_list",
    "deals": "records:deal_list",
    "tickets": "records:ticket_list",
}
HTMX = {"HX-Request": "true", "HX-Target": "list-results"}


@pytest.fixture
def web(client, member):
    client.force_login(member)
    return client


def get(web, name, **params):
    return web.get(reverse(LIST_URLS[name]), params)


def row_ids(response, noun):
    """The pks of the rows shown, in order."""
    html = response.content.decode()
    marker = f'id="{noun}-row-'
    return [int(part.split('"', 1)[0]) for part in html.split(marker)[1:]]


def make_client(actor, name, **fields):
    return services.create_client(actor=actor, name=name, **fields)


# --- Pages ---------------------------------------------------------------------


@pytest.mark.parametrize("name", LIST_URLS)
def test_full_page_for_plain_requests_and_results_for_htmx(web, defaults, name):
    page = get(web, name)
    assert page.status_code == 200
    assert "<html" in page.content.decode()
    assert 'id="list-filters"' in page.content.decode()
    assert f'data-live-topic="list.{name}"' in page.content.decode()

    fragment = web.get(reverse(LIST_URLS[name]), headers=HTMX)
    html = fragment.content.decode()
    assert fragment.status_code == 200
    assert "<html" not in html and 'id="list-filters"' not in html
    assert html.lstrip().startswith('<section id="list-results"')
    assert 'id="saved-views" class="saved-views" hx-swap-oob="true"' in html


def test_htmx_results_push_a_clean_address(web, defaults):
    response = web.get(
        reverse("records:client_list"),
        {"q": "", "lifecycle": "lead", "owner": "", "sort": "name"},
        headers=HTMX,
    )
    assert response["HX-Push-Url"] == "/clients/?lifecycle=lead"


def test_history_restore_gets_the_whole_layout(web, defaults):
    response = web.get(
        reverse("records:client_list"),
        headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
    )
    assert 'class="sidebar' in response.content.decode()


def test_anonymous_is_sent_to_sign_in(client, defaults):
    response = client.get(reverse("records:client_list"))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_rows_link_to_record_pages(web, member, acme, contact, deal, ticket):
    assert f'href="/clients/{acme.pk}/"' in get(web, "clients").content.decode()
    assert (
        f'href="/clients/{acme.pk}/#contact-{contact.pk}"' in get(web, "contacts").content.decode()
    )
    assert f'href="/deals/{deal.pk}/"' in get(web, "deals").content.decode()
    assert f'href="/tickets/{ticket.pk}/"' in get(web, "tickets").content.decode()


def test_empty_states_offer_the_new_button(web, defaults):
    clients = get(web, "clients").content.decode()
    assert "No clients yet" in clients
    assert 'href="/clients/new/"' in clients
    assert 'href="/deals/new/"' in get(web, "deals").content.decode()
    assert "Add people from a client" in get(web, "contacts").content.decode()
    filtered = get(web, "clients", lifecycle="customer").content.decode()
    assert "No clients match these filters" in filtered


# --- Clients -------------------------------------------------------------------


def test_clients_filters(web, defaults, member, sales_manager, support_manager, support):
    lead = make_client(member, "Lead Co", lifecycle="lead", source="web_form", tags=["vip"])
    customer = make_client(member, "Customer Co", lifecycle="customer", source="referral")
    theirs = make_client(sales_manager, "Theirs Co", lifecycle="lead", tags=["vipish"])
    elsewhere = make_client(support_manager, "Support Co", lifecycle="prospect")

    def shown(**params):
        return set(row_ids(get(web, "clients", **params), "client"))

    assert shown(lifecycle="lead") == {lead.pk, theirs.pk}
    assert shown(owner="mine") == {lead.pk, customer.pk}
    assert shown(owner=str(sales_manager.pk)) == {theirs.pk}
    assert shown(department=str(support.pk)) == {elsewhere.pk}
    assert shown(source="referral") == {customer.pk}
    assert shown(tag="VIP") == {lead.pk}
    assert shown(lifecycle="lead", owner="mine") == {lead.pk}


def test_clients_created_period(web, defaults, member):
    new = make_client(member, "New Co")
    old = make_client(member, "Old Co")
    Client.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=400))
    assert row_ids(get(web, "clients", created="this_month"), "client") == [new.pk]
    assert row_ids(get(web, "clients", created="this_year"), "client") == [new.pk]


def test_archived_and_merged_clients_are_hidden_unless_asked_for(web, defaults, member):
    live_client = make_client(member, "Live Co")
    archived = make_client(member, "Archived Co")
    services.archive_client(actor=member, client=archived)
    merged = make_client(member, "Merged Co")
    Client.objects.filter(pk=merged.pk).update(merged_into=live_client)

    assert row_ids(get(web, "clients"), "client") == [live_client.pk]
    assert row_ids(get(web, "clients", archived="archived"), "client") == [archived.pk]
    assert row_ids(get(web, "clients", archived="merged"), "client") == [merged.pk]
    everything = get(web, "clients", archived="all")
    assert set(row_ids(everything, "client")) == {live_client.pk, archived.pk, merged.pk}
    assert "Archived</span>" in everything.content.decode()


def test_clients_show_open_deal_and_ticket_counts(web, member, acme, deal, ticket, stages):
    other = services.create_deal(actor=member, client=acme, title="Won one")
    services.win_deal(actor=member, deal=other)
    html = get(web, "clients").content.decode()
    row = html.split(f'id="client-row-{acme.pk}"')[1].split('role="row"')[0]
    assert '<i class="bi bi-cash-coin d-md-none" aria-hidden="true"></i> 1' in row
    assert '<i class="bi bi-life-preserver d-md-none" aria-hidden="true"></i> 1' in row


def test_clients_sort_by_open_deals_and_tickets(web, member, acme, stages):
    busy = make_client(member, "Busy")
    quiet = make_client(member, "Quiet")
    for title in ("One", "Two"):
        services.create_deal(actor=member, client=busy, title=title)
    services.create_deal(actor=member, client=acme, title="Three")
    services.create_ticket(actor=member, client=quiet, subject="Help")

    assert row_ids(get(web, "clients", sort="-deals"), "client") == [busy.pk, acme.pk, quiet.pk]
    assert row_ids(get(web, "clients", sort="deals"), "client") == [quiet.pk, acme.pk, busy.pk]
    assert row_ids(get(web, "clients", sort="-tickets"), "client")[0] == quiet.pk


def test_clients_search_name_and_domain(web, defaults, member):
    acme = make_client(member, "Acme", domain="acme.example")
    globex = make_client(member, "Globex", domain="globex.example")
    assert row_ids(get(web, "clients", q="GLOB"), "client") == [globex.pk]
    assert row_ids(get(web, "clients", q="acme.exa"), "client") == [acme.pk]
    assert "“acme.exa”" in get(web, "clients", q="acme.exa").content.decode()


def test_clients_sort_both_ways_with_a_stable_tiebreak(web, defaults, member):
    b = make_client(member, "Bravo")
    a1 = make_client(member, "Alpha")
    a2 = make_client(member, "Alpha")
    assert row_ids(get(web, "clients"), "client") == [a1.pk, a2.pk, b.pk]
    assert row_ids(get(web, "clients", sort="-name"), "client") == [b.pk, a2.pk, a1.pk]
    services.update_field(
        actor=member, obj=a1, field="lifecycle", value="customer", seen_value="lead"
    )
    assert row_ids(get(web, "clients", sort="-lifecycle"), "client")[0] == a1.pk


def test_sort_headers_flip_direction_and_keep_filters(web, defaults, member):
    make_client(member, "Bravo")
    html = get(web, "clients", lifecycle="lead").content.decode()
    assert 'href="/clients/?lifecycle=lead&amp;sort=-name"' in html  # sorted by name: flips
    assert 'href="/clients/?lifecycle=lead&amp;sort=owner"' in html
    assert 'aria-sort="ascending"' in html


def test_pagination_keeps_filters_and_survives_bad_pages(web, defaults, member):
    created = [make_client(member, f"Client {number:02}") for number in range(30)]
    first = get(web, "clients")
    assert len(row_ids(first, "client")) == 25
    assert 'href="/clients/?page=2"' in first.content.decode()
    second = get(web, "clients", page="2")
    assert row_ids(second, "client") == [client.pk for client in created[25:]]
    assert len(row_ids(get(web, "clients", page="abc"), "client")) == 25
    assert len(row_ids(get(web, "clients", page="999"), "client")) == 5
    filtered = get(web, "clients", q="Client", page="1").content.decode()
    assert 'href="/clients/?q=Client&amp;page=2"' in filtered


@pytest.mark.parametrize(
    ("name", "params", "note"),
    [
        ("clients", {"owner": "abc"}, "Owner: “abc” is not a person."),
        ("clients", {"lifecycle": "martian"}, "Lifecycle: “martian” is not one of the choices."),
        ("clients", {"department": "sales"}, "Department: “sales” is not a valid choice."),
        ("clients", {"sort": "password"}, "Sort: “password” is not a column"),
        ("contacts", {"client": "x"}, "Client: “x” is not a valid choice."),
        ("deals", {"amount_min": "-5"}, "Min amount: “-5” is not an amount."),
        ("deals", {"amount_max": "lots"}, "Max amount: “lots” is not an amount."),
        ("deals", {"close": "yesterday"}, "Expected close: “yesterday” is not one of the choices."),
        ("tickets", {"assignee": "nobody"}, "Assignee: “nobody” is not a person."),
        ("tickets", {"sla": "NaN"}, "SLA: “NaN” is not one of the choices."),
    ],
)
def test_bad_filter_values_are_ignored_with_a_note(web, acme, name, params, note):
    response = get(web, name, **params)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Some filters were ignored." in html
    assert note in html
    if name == "clients":
        assert row_ids(response, "client") == [acme.pk]  # the bad filter did not apply


# --- Contacts ------------------------------------------------------------------


def test_contacts_filters_and_search(web, member, acme):
    other = make_client(member, "Globex")
    jo = services.create_contact(actor=member, client=acme, name="Jo", emails=["jo@acme.example"])
    al = services.create_contact(actor=member, client=other, name="Al", preferred_channel="phone")

    def shown(**params):
        return row_ids(get(web, "contacts", **params), "contact")

    assert shown(client=str(acme.pk)) == [jo.pk]
    assert "Client: Acme GmbH" in get(web, "contacts", client=str(acme.pk)).content.decode()
    assert shown(email="yes") == [jo.pk]
    assert shown(email="no") == [al.pk]
    assert shown(channel="phone") == [al.pk]
    assert shown(q="jo@acme") == [jo.pk]
    assert shown(q="globex") == [al.pk]
    assert shown(sort="-name") == [jo.pk, al.pk]


# --- Deals ---------------------------------------------------------------------


def test_deals_filters(web, member, sales_manager, acme, stages, price):
    today = timezone.localdate()
    small = services.create_deal(
        actor=member, client=acme, title="Small", amount=Decimal(100), expected_close=today
    )
    big = services.create_deal(
        actor=member,
        client=acme,
        title="Big",
        amount=Decimal(50000),
        expected_close=today - timedelta(days=40),
    )
    theirs = services.create_deal(
        actor=sales_manager,
        client=acme,
        title="Theirs",
        amount=Decimal(900),
        stage=stages["Proposal"].pk,
    )
    lost = services.create_deal(actor=member, client=acme, title="Lost", amount=Decimal(5))
    services.lose_deal(actor=member, deal=lost, loss_reason=price)

    def shown(**params):
        return set(row_ids(get(web, "deals", **params), "deal"))

    assert shown(status="open") == {small.pk, big.pk, theirs.pk}
    assert shown(status="lost") == {lost.pk}
    assert shown(owner="mine", status="open") == {small.pk, big.pk}
    assert shown(stage=str(stages["Proposal"].pk)) == {theirs.pk}
    assert shown(pipeline=str(acme.deals.first().pipeline_id)) == {
        small.pk,
        big.pk,
        theirs.pk,
        lost.pk,
    }
    assert shown(close="this_month") == {small.pk}
    assert shown(close="overdue") == {big.pk}
    assert shown(amount_min="500") == {big.pk, theirs.pk}
    assert shown(amount_min="500", amount_max="1,000") == {theirs.pk}
    assert shown(q="thei") == {theirs.pk}
    assert row_ids(get(web, "deals", sort="-amount"), "deal") == [
        big.pk,
        theirs.pk,
        small.pk,
        lost.pk,
    ]


def test_empty_values_sort_last_both_ways(web, member, acme):
    dated = services.create_deal(
        actor=member, client=acme, title="Dated", expected_close=timezone.localdate()
    )
    undated = services.create_deal(actor=member, client=acme, title="Undated")
    assert row_ids(get(web, "deals", sort="close"), "deal") == [dated.pk, undated.pk]
    assert row_ids(get(web, "deals", sort="-close"), "deal") == [dated.pk, undated.pk]

    nobody = services.create_ticket(actor=member, client=acme, subject="Nobody")
    mine = services.create_ticket(actor=member, client=acme, subject="Mine", assignee=member)
    assert row_ids(get(web, "tickets", sort="assignee"), "ticket") == [mine.pk, nobody.pk]
    assert row_ids(get(web, "tickets", sort="-assignee"), "ticket") == [mine.pk, nobody.pk]


def test_pages_past_the_middle_keep_the_order(web, member, acme):
    """A page past the middle is ranked backwards and turned round: the same rows, in the
    same order, as the whole list, empty values last both ways."""
    today = timezone.localdate()
    for number in range(30):
        close = today + timedelta(days=number % 4) if number % 3 else None
        services.create_deal(
            actor=member, client=acme, title=f"Deal {number % 5}", expected_close=close
        )
    for sort in ("close", "-close", "title", "-updated"):
        state = lists.read(lists.DEALS, QueryDict(f"sort={sort}"), member)
        whole = list(lists.rows(state, member).values_list("pk", flat=True))
        first, second = (get(web, "deals", sort=sort, page=n) for n in (1, 2))
        assert row_ids(first, "deal") + row_ids(second, "deal") == whole, sort


# --- Tickets -------------------------------------------------------------------


def test_tickets_filters(web, member, support_member, acme):
    urgent = services.create_ticket(
        actor=member, client=acme, subject="Down", priority="urgent", assignee=member
    )
    mine_soon = services.create_ticket(
        actor=member, client=acme, subject="Slow", channel="phone", assignee=member
    )
    nobody = services.create_ticket(actor=member, client=acme, subject="Question", priority="low")
    solved = services.create_ticket(
        actor=member, client=acme, subject="Fixed", assignee=support_member
    )
    services.set_ticket_status(actor=support_member, ticket=solved, status="solved")
    now = timezone.now()
    Ticket.objects.filter(pk=urgent.pk).update(sla_due=now - timedelta(hours=1))
    Ticket.objects.filter(pk=mine_soon.pk).update(sla_due=now + timedelta(hours=1))
    Ticket.objects.filter(pk=solved.pk).update(sla_due=now - timedelta(hours=5))

    def shown(**params):
        return set(row_ids(get(web, "tickets", **params), "ticket"))

    assert shown(status="open") == {urgent.pk, mine_soon.pk, nobody.pk}
    assert shown(status="solved") == {solved.pk}
    # The one status named "open" can be chosen too (its value is not the group's).
    services.set_ticket_status(actor=support_member, ticket=nobody, status="open")
    assert shown(status="open-only") == {nobody.pk}
    options = re.findall(r'<option value="([^"]*)"', get(web, "tickets").content.decode())
    assert options.count("open") == 1 and "open-only" in options
    assert shown(priority="urgent") == {urgent.pk}
    assert shown(assignee="mine") == {urgent.pk, mine_soon.pk}
    assert shown(assignee="none") == {nobody.pk}
    assert shown(assignee=str(support_member.pk)) == {solved.pk}
    assert shown(sla="breached") == {urgent.pk}
    assert shown(sla="due_soon") == {mine_soon.pk}
    assert shown(channel="phone") == {mine_soon.pk}
    assert shown(q="slo") == {mine_soon.pk}
    by_priority = row_ids(get(web, "tickets", sort="-priority"), "ticket")
    assert by_priority[0] == urgent.pk and by_priority[-1] == nobody.pk

    html = get(web, "tickets").content.decode()
    assert "row-sla-breached" in html.split(f'id="ticket-row-{urgent.pk}"')[1].split(">")[0]
    assert "row-sla-due_soon" in html.split(f'id="ticket-row-{mine_soon.pk}"')[1].split(">")[0]


# --- Query budget --------------------------------------------------------------


def _fill(name: str, actor, count: int) -> None:
    """``count`` rows of list ``name`` (and whatever they hang off), made by the services."""
    owner = make_client(actor, f"Holder {count}")
    for number in range(count):
        match name:
            case "clients":
                client = make_client(actor, f"Client {number}", tags=["a", "b", "c"])
                services.create_deal(actor=actor, client=client, title="Deal")
                services.create_ticket(actor=actor, client=client, subject="Help", assignee=actor)
            case "contacts":
                services.create_contact(
                    actor=actor, client=owner, name=f"Person {number}", emails=["a@b.example"]
                )
            case "deals":
                services.create_deal(actor=actor, client=owner, title=f"Deal {number}")
            case "tickets":
                services.create_ticket(
                    actor=actor, client=owner, subject=f"Help {number}", assignee=actor
                )


def _queries(web, name: str, **params) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert get(web, name, **params).status_code == 200
    return len(queries)


# Session, user, the page's rows and count, filters' options, saved views, the layout's
# badges: what a list page costs, whatever its size. A page must not cost more.
QUERY_BUDGETS = {"clients": 10, "contacts": 8, "deals": 10, "tickets": 8}


@pytest.mark.parametrize("name", LIST_URLS)
def test_query_count_does_not_grow_with_rows(
    web, member, defaults, name, django_assert_max_num_queries
):
    _fill(name, member, 3)
    few = _queries(web, name)
    _fill(name, member, 60)
    many = _queries(web, name)
    assert many == few
    with django_assert_max_num_queries(QUERY_BUDGETS[name]):
        get(web, name, sort="-updated" if name in ("clients", "deals", "tickets") else "-name")


@pytest.mark.parametrize("name", LIST_URLS)
def test_every_sort_costs_what_the_default_order_does(web, member, defaults, name):
    """Both ways of every column (an annotation's too: a client's open deals), on page 2."""
    _fill(name, member, 30)
    get(web, name)  # caches warmed (content types, the session)
    default = _queries(web, name, page=2)
    for key in lists.LISTS[name].sorts:
        for sort in (key, f"-{key}"):
            assert _queries(web, name, sort=sort, page=2) == default, sort


# --- Live rows -----------------------------------------------------------------


def _list_event(events, name):
    (event,) = [event for event in events if event.topic == f"list.{name}"]
    return event


def test_new_client_is_prepended_live_and_a_change_replaces_its_row(member, defaults):
    with capture_events() as events:
        acme = make_client(member, "Acme")
    html = _list_event(events, "clients").html
    assert 'hx-swap-oob="afterbegin:#client-rows"' in html
    assert f'id="client-row-{acme.pk}"' in html and "is-fresh" in html

    with capture_events() as events:
        services.update_field(
            actor=member, obj=acme, field="name", value="Acme AG", seen_value="Acme"
        )
    html = _list_event(events, "clients").html
    assert f'<div role="row" id="client-row-{acme.pk}" class="list-row" hx-swap-oob="true">' in html
    assert "Acme AG" in html

    with capture_events() as events:
        services.archive_client(actor=member, client=acme)
    html = _list_event(events, "clients").html
    assert f'id="client-row-{acme.pk}"' in html and "is-archived" in html and "Archived" in html


def test_contact_deal_and_ticket_rows_are_live(member, support_member, acme, stages):
    with capture_events() as events:
        contact = services.create_contact(actor=member, client=acme, name="Jo")
    assert 'hx-swap-oob="afterbegin:#contact-rows"' in _list_event(events, "contacts").html
    with capture_events() as events:
        services.update_field(actor=member, obj=contact, field="title", value="CTO", seen_value="")
    assert f'id="contact-row-{contact.pk}"' in _list_event(events, "contacts").html

    with capture_events() as events:
        deal = services.create_deal(actor=member, client=acme, title="Rollout")
    assert f'id="deal-row-{deal.pk}"' in _list_event(events, "deals").html
    with capture_events() as events:
        services.move_deal(actor=member, deal=deal, stage=stages["Proposal"].pk)
    html = _list_event(events, "deals").html
    assert f'id="deal-row-{deal.pk}"' in html and "Proposal" in html
    with capture_events() as events:
        services.win_deal(actor=member, deal=deal)
    assert "deal-won" in _list_event(events, "deals").html

    with capture_events() as events:
        ticket = services.create_ticket(actor=member, client=acme, subject="Down")
    assert 'hx-swap-oob="afterbegin:#ticket-rows"' in _list_event(events, "tickets").html
    with capture_events() as events:
        services.set_ticket_status(actor=support_member, ticket=ticket, status="pending")
    html = _list_event(events, "tickets").html
    assert f'id="ticket-row-{ticket.pk}"' in html and "ticket-pending" in html


def test_a_deleted_deal_row_is_removed_live(member, deal):
    pk = deal.pk
    with capture_events() as events:
        services.delete_deal(actor=member, deal=deal)
    assert (
        f'<div id="deal-row-{pk}" hx-swap-oob="delete"></div>' in _list_event(events, "deals").html
    )


def test_a_merge_redraws_the_survivor_and_drops_the_merged_row(member, defaults):
    survivor = make_client(member, "Acme")
    loser = make_client(member, "ACME Inc")
    with capture_events() as events:
        services.merge_clients(actor=member, survivor=survivor, loser=loser)
    html = _list_event(events, "clients").html
    assert f'<div role="row" id="client-row-{survivor.pk}"' in html
    assert f'<div id="client-row-{loser.pk}" hx-swap-oob="delete"></div>' in html


def test_live_row_is_the_page_row(web, member, acme):
    """The event's row is the page's row, byte for byte (one partial)."""
    with capture_events() as events:
        services.update_field(
            actor=member, obj=acme, field="industry", value="Tools", seen_value=""
        )
    html = _list_event(events, "clients").html
    live_row = html[html.index(f'<div role="row" id="client-row-{acme.pk}"') :]
    page = get(web, "clients").content.decode()
    assert live_row.replace(' hx-swap-oob="true"', "").split("<time")[0] in page


# --- Topic policy --------------------------------------------------------------


def test_list_topics_are_for_active_staff_only(member, defaults):
    assert live.can_subscribe(member, "list.clients")
    assert live.can_subscribe(member, "list.tickets")
    assert not live.can_subscribe(AnonymousUser(), "list.clients")
    assert not live.can_subscribe(UserFactory(role=Role.MEMBER, is_active=False), "list.clients")
    assert not live.can_subscribe(member, "list.secrets")
