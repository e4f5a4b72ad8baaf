"""Reports' card on the home page: the key numbers of the viewer's scope."""


def load() -> None:
    """Register the dashboard card (workspace/home.py)."""
