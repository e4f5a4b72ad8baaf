"""records.policies: a matrix over roles, departments and actions, lookups and topics.

Cast (from tests/conftest.py and below): the client ``acme`` is owned by
``member`` (Sales) and belongs to Sales.
"""

import pytest
from django.http import Http404

from accounts.models import Role
from records import policies, services
from records.models import Pipeline
from tests.factories import DepartmentFactory, UserFactory
from workspace import live


@pytest.fixture
def people(admin, sales_manager, support_manager, member, support_member, sales):
    marketing = DepartmentFactory(name="Marketing", slug="marketing")
    return {
        "admin": admin,
        "owner": member,
        "sales_manager": sales_manager,
        "sales_member": UserFactory(role=Role.MEMBER, departments=[sales]),
        "support_manager": support_manager,
        "support_member": support_member,
        "marketing_member": UserFactory(role=Role.MEMBER, departments=[marketing]),
        "inactive_admin": UserFactory(role=Role.ADMIN, departments=[sales], is_active=False),
    }


# Who may do what to acme (owner: member of Sales), its deal and its ticket.
# fmt: off
MATRIX = {
    #                     view   edit   manage deal   money  ticket comment
    "admin":              (True , True , True , True , True , True , True ),
    "owner":              (True , True , True , True , True , False, True ),
    "sales_manager":      (True , True , True , True , True , False, True ),
    "sales_member":       (True , True , False, True , False, False, True ),
    "support_manager":    (True , False, False, False, False, True , True ),
    "support_member":     (True , False, False, False, False, True , True ),
    "marketing_member":   (True , False, False, False, False, False, True ),
    "inactive_admin":     (False, False, False, False, False, False, False),
}
# fmt: on


@pytest.mark.parametrize("who", list(MATRIX))
def test_permission_matrix(who, people, acme, member, support_member):
    deal = services.create_deal(actor=member, client=acme, title="D")
    ticket = services.create_ticket(actor=support_member, client=acme, subject="T")
    user = people[who]
    actual = (
        policies.can_view(user),
        policies.can_edit_client(user, acme),
        policies.can_manage_client(user, acme),
        policies.can_edit_deal(user, deal),
        policies.can_manage_deal(user, deal),
        policies.can_edit_ticket(user, ticket),
        policies.can_comment(user, acme),
    )
    assert actual == MATRIX[who]


@pytest.mark.parametrize(
    ("who", "field", "allowed"),
    [
        ("sales_member", "industry", True),
        ("sales_member", "owner", False),
        ("sales_member", "department", False),
        ("sales_manager", "owner", True),
        ("support_manager", "industry", False),
        ("marketing_member", "name", False),
        ("admin", "department", True),
    ],
)
def test_client_field_rights(people, acme, who, field, allowed):
    assert policies.can_edit_field(people[who], acme, field) is allowed


def test_deal_owner_outside_the_department_keeps_their_deal(people, acme, admin):
    marketer = people["marketing_member"]
    deal = services.create_deal(actor=admin, client=acme, title="Shared", owner=marketer)
    assert policies.can_edit_deal(marketer, deal)
    assert policies.can_manage_deal(marketer, deal)
    assert policies.can_edit_field(marketer, deal, "amount")
    assert not policies.can_edit_client(marketer, acme)


def test_ticket_assignee_outside_support_may_edit_it(people, acme, support_member):
    marketer = people["marketing_member"]
    ticket = services.create_ticket(
        actor=support_member, client=acme, subject="T", assignee=marketer
    )
    assert policies.can_edit_ticket(marketer, ticket)
    assert policies.can_edit_field(marketer, ticket, "priority")


def test_comment_rights(people, acme, member):
    comment = services.post_comment(actor=member, target=acme, body="mine")
    assert policies.can_edit_comment(member, comment)
    assert policies.can_delete_comment(member, comment)
    assert policies.can_delete_comment(people["admin"], comment)
    assert not policies.can_edit_comment(people["admin"], comment)
    assert not policies.can_delete_comment(people["sales_manager"], comment)
    deleted = services.delete_comment(actor=member, comment=comment)
    assert not policies.can_edit_comment(member, deleted)


def test_access_helpers_return_the_object_or_one_404(people, acme, contact, member):
    deal = services.create_deal(actor=member, client=acme, title="D")
    ticket = services.create_ticket(actor=member, client=acme, subject="T")
    comment = services.post_comment(actor=member, target=deal, body="c")
    viewer = people["marketing_member"]
    assert policies.access_client(viewer, acme.pk) == acme
    assert policies.access_contact(viewer, contact.pk) == contact
    assert policies.access_deal(viewer, deal.pk) == deal
    assert policies.access_ticket(viewer, str(ticket.pk)) == ticket
    assert policies.access_comment(viewer, comment.pk) == comment
    assert policies.access_pipeline(viewer, deal.pipeline_id) == deal.pipeline
    for helper in (policies.access_client, policies.access_deal, policies.access_ticket):
        for pk in (999999, "nope", None):
            with pytest.raises(Http404):
                helper(viewer, pk)
    with pytest.raises(Http404):
        policies.access_client(people["inactive_admin"], acme.pk)


def test_live_topics_are_registered_and_follow_the_policy(people, acme, member):
    deal = services.create_deal(actor=member, client=acme, title="D")
    ticket = services.create_ticket(actor=member, client=acme, subject="T")
    pipeline = Pipeline.objects.get(is_default=True)
    viewer = people["marketing_member"]
    for topic in (
        f"client.{acme.pk}",
        f"deal.{deal.pk}",
        f"ticket.{ticket.pk}",
        f"pipeline.{pipeline.pk}",
    ):
        assert live.can_subscribe(viewer, topic), topic
        assert not live.can_subscribe(people["inactive_admin"], topic), topic
    for topic in ("client.999999", "deal.abc", "ticket.0", "pipeline.-1"):
        assert not live.can_subscribe(viewer, topic), topic
