"""What every page of the app shell needs: the layout to extend and the sidebar."""

from dataclasses import dataclass


@dataclass(frozen=True)
class NavItem:
    label: str
    icon: str
    url_name: str


NAVIGATION = (
    NavItem("Home", "house", "home"),
    NavItem("Clients", "building", "records:client_list"),
    NavItem("Pipeline", "kanban", "records:board"),
    NavItem("Tickets", "life-preserver", "records:ticket_list"),
    NavItem("Mail triage", "inbox", "mail:triage"),
    NavItem("Chat", "chat-dots", "chat:home"),
    NavItem("Tasks", "check2-square", "records:my_tasks"),
    NavItem("Handoffs", "arrow-left-right", "records:handoff_inbox"),
    NavItem("Calendar", "calendar3", "calendar:home"),
    NavItem("Marketing", "megaphone", "marketing:home"),
    NavItem("Reports", "bar-chart", "reports:home"),
    NavItem("Automation", "lightning-charge", "automation:rule_list"),
    NavItem("Team", "people", "team"),
)


def shell(request):
    htmx = getattr(request, "htmx", None)
    return {
        "base_template": "partial.html" if htmx and not htmx.boosted else "base.html",
        "navigation": NAVIGATION,
    }
