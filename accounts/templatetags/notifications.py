from django import template

from accounts import selectors

register = template.Library()


@register.inclusion_tag("accounts/notifications.html#bell", takes_context=True)
def notification_bell(context):
    """The bell in the top bar: live unread count and a dropdown of the latest."""
    user = context["user"]
    counts = selectors.notification_bell(user) if user.is_authenticated else {}
    return {"user": user, "csrf_token": context.get("csrf_token"), **counts}
