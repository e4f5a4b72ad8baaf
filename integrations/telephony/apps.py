from django.apps import AppConfig


class TelephonyConfig(AppConfig):
    name = "integrations.telephony"
    label = "telephony"
    verbose_name = "Calls"
