from django.apps import AppConfig


class MarketingConfig(AppConfig):
    name = "marketing"
    verbose_name = "Marketing"

    def ready(self):
        """Attribution's listeners on records' writes; each area's live topics and hooks."""
        from marketing import attribution, campaign_events, channels, panels, segments  # noqa: F401

        attribution.load()
        panels.load()
        segments.load()
        campaign_events.load()
