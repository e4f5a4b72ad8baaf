"""Calls: the phone system's signed webhook and the pages behind the call pop-up."""

app_name = "telephony"

urlpatterns = []
