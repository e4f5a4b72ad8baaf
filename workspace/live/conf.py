"""The bus's tunables, each overridable in settings (defaults suit one small server)."""

from datetime import timedelta

from django.conf import settings

DEFAULTS = {
    # How long the event log keeps events; a client further behind gets `resync`.
    "LIVE_RETENTION": timedelta(hours=24),
    # A client that missed more events than this on one topic gets `resync` instead.
    "LIVE_REPLAY_LIMIT": 500,
    # Replay also re-sends events this close before the client's last id: one
    # committed just before it may still have been on its way when the socket
    # dropped. (Late commits, whatever their length, are found by the horizon
    # rule: workspace/live/replay.py.) Applying twice is harmless.
    "LIVE_REPLAY_OVERLAP": timedelta(seconds=5),
    # Bad input bounds.
    "LIVE_MAX_TOPICS": 50,
    "LIVE_MAX_FRAME_BYTES": 64 * 1024,
    # Frames waiting for one slow socket before it is closed (it then replays).
    "LIVE_SEND_QUEUE": 512,
    # Every this many seconds a process looks in the event log for events of its
    # topics that the channel layer did not bring (over capacity, Redis restart,
    # a publisher in another process with the in-memory layer). 0 turns it off.
    "LIVE_SWEEP_SECONDS": 2.0,
    # A process keeps its subscription to a topic this long after its last socket
    # left, so page navigation does not churn subscriptions.
    "LIVE_LINGER_SECONDS": 30.0,
    # Under daphne, write event frames straight to the connection (workspace/live/wire.py);
    # False sends every frame through ASGI ``send`` instead (slower, no private APIs).
    "LIVE_DIRECT_WIRE": True,
    # Presence entries expire unless their process refreshes them (every third of this).
    "LIVE_PRESENCE_TTL": 60,
    # Every this many seconds each process re-checks every socket's topics against the
    # policies, in case an access change's re-check message was lost (a Redis restart,
    # another process with the in-memory layer). 0 turns it off.
    "LIVE_RECHECK_SECONDS": 60.0,
    # Lanes (threads, each with its database connection) for frames' database work,
    # such as chat sends: one room always in the same lane, so different rooms' sends
    # run at once and one room's keep their order (workspace/live/actions.py). 0: the
    # process's one database thread for everything; SQLite always works that way.
    "LIVE_DB_THREADS": 4,
}


def get(name: str):
    return getattr(settings, name, DEFAULTS[name])
