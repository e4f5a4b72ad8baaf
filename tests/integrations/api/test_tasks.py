"""Tasks over the API: assigning follows the pages' rules; status and fields through services."""

import pytest

from records.models import Task
from tests.integrations.api.conftest import Api, token_for
from tests.live_helpers import capture_events

pytestmark = pytest.mark.django_db


def test_a_member_gives_themselves_a_task_on_a_deal(member, deal):
    api = Api(token_for(member, ["tasks:write"]))
    with capture_events() as events:
        response = api.post("/api/tasks/", {"title": "Send the offer", "deal": deal.pk})
    assert response.status_code == 201, response.json()
    assert response.json()["deal"] == deal.pk and response.json()["assignee"] == member.pk
    assert events


def test_a_member_cannot_assign_to_someone_else(member, support_member):
    response = Api(token_for(member)).post(
        "/api/tasks/", {"title": "Do it", "assignee": support_member.pk}
    )
    assert response.status_code == 403
    assert not Task.objects.exists()


def test_status_and_fields_change_through_the_services(member):
    api = Api(token_for(member))
    created = api.post("/api/tasks/", {"title": "Call Jo"})
    path = f"/api/tasks/{created.json()['id']}/"
    done = api.post(path + "status/", {"status": "done"})
    assert done.status_code == 200 and done.json()["completed_at"] is not None
    renamed = api.patch(path, {"title": "Call Jo back"}, headers={"If-Match": done["ETag"]})
    assert renamed.status_code == 200 and renamed.json()["title"] == "Call Jo back"


def test_someone_elses_private_task_is_404(member, support_member, django_assert_max_num_queries):
    theirs = Api(token_for(support_member)).post("/api/tasks/", {"title": "Private"}).json()
    api = Api(token_for(member))
    assert api.get(f"/api/tasks/{theirs['id']}/").status_code == 404
    with django_assert_max_num_queries(5):
        assert api.get("/api/tasks/", expand="assignee").json()["results"] == []
