from django.apps import AppConfig


class TelephonyConfig(AppConfig):
    name = "integrations.telephony"
    label = "telephony"
    verbose_name = "Calls"

    def ready(self):
        """A logged phone call's part of records' timeline: duration and recording link."""
        from records.timeline import register_entry_template

        register_entry_template(
            lambda entry: entry.kind == "call" and "call" in entry.data,
            "telephony/timeline_call.html",
        )
