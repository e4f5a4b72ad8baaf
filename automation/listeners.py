"""Hook automation onto the live bus (called from the app's ``ready``).

Owned by the engine (automation/engine.py); see its docstring.
"""


def load() -> None:
    """Register the bus listener for every kind some trigger is made of."""
