"""Who opened a socket: the session cookie's user, looked up for many sockets at once.

Channels' ``AuthMiddlewareStack`` loads a socket's session, then its user, in
a thread hop of its own: two queries and a hop per socket, most of the ~8 ms a
tab cost when every tab reconnected after a restart. ``SessionAuthMiddleware``
answers the same question with the same rules as ``django.contrib.auth.get_user``
(the session must exist and be unexpired, name a configured backend, and carry
the user's current session hash; the backend must let the user authenticate:
ModelBackend refuses inactive accounts), but for every socket opening in the
same moment together: one hop, one query for the sessions, one for the users
(workspace/live/batch.py).

Nothing is cached between sockets, so signing out (the session row deleted),
a password change (the hash changes) or a deactivation refuses the very next
socket; the socket says so with close code 4401 (workspace/live/consumer.py).
Sockets only read sessions: a session whose hash matches only a fallback secret
is accepted without being rotated (the next page load rotates it), one that
does not match is refused without being flushed.
"""

from importlib import import_module
from itertools import chain

from django.conf import settings
from django.contrib.auth import (
    BACKEND_SESSION_KEY,
    HASH_SESSION_KEY,
    SESSION_KEY,
    get_user_model,
    load_backend,
)
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.http.cookie import parse_cookie
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from workspace.live.batch import Batched


def session_data(keys: list[str]) -> dict[str, dict]:
    """The decoded data of the live sessions among ``keys`` (a missing one is left out)."""
    store_class = import_module(settings.SESSION_ENGINE).SessionStore
    if not issubclass(store_class, DatabaseSessionStore):  # cache, signed cookies...
        return {key: data for key in keys if (data := store_class(key).load())}
    rows = store_class.get_model_class().objects.filter(
        session_key__in=keys, expire_date__gt=timezone.now()
    )
    decode = store_class().decode
    return {key: decode(data) for key, data in rows.values_list("session_key", "session_data")}


def _load_users(claims: dict[str, tuple]) -> dict[tuple, object]:
    """(backend path, user id) -> user, for each claim a backend lets in.

    ModelBackend (and subclasses keeping its ``get_user``) are asked in one
    query; any other backend, one user at a time as Django would.
    """
    users, bulk = {}, {}
    for backend_path, user_id in set(claims.values()):
        backend = load_backend(backend_path)
        if type(backend).get_user is ModelBackend.get_user:
            bulk.setdefault(backend_path, (backend, []))[1].append(user_id)
        else:
            users[backend_path, user_id] = backend.get_user(user_id)
    for backend_path, (backend, ids) in bulk.items():
        for user in get_user_model()._default_manager.filter(pk__in=ids):
            if backend.user_can_authenticate(user):
                users[backend_path, user.pk] = user
    return users


def _hash_matches(user, session_hash) -> bool:
    if not hasattr(user, "get_session_auth_hash"):
        return True
    if not session_hash:
        return False
    hashes = chain([user.get_session_auth_hash()], user.get_session_auth_fallback_hash())
    return any(constant_time_compare(session_hash, known) for known in hashes)


def users_for_sessions(keys: list[str]) -> list:
    """The signed-in user of each session key (None: signed out, expired, refused)."""
    sessions = session_data(list(set(keys)))
    id_field = get_user_model()._meta.pk
    claims = {}
    for key, data in sessions.items():
        try:
            backend_path, user_id = data[BACKEND_SESSION_KEY], id_field.to_python(data[SESSION_KEY])
        except (KeyError, ValueError, TypeError):  # an anonymous or damaged session
            continue
        if backend_path in settings.AUTHENTICATION_BACKENDS:
            claims[key] = (backend_path, user_id)
    users = _load_users(claims)
    found = []
    for key in keys:
        user = users.get(claims[key]) if key in claims else None
        found.append(
            user if user and _hash_matches(user, sessions[key].get(HASH_SESSION_KEY)) else None
        )
    return found


_user_of_session = Batched(users_for_sessions)


def session_key(scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == b"cookie":
            return parse_cookie(value.decode("latin1")).get(settings.SESSION_COOKIE_NAME) or None
    return None


class SessionAuthMiddleware:
    """Put the session's user (or ``AnonymousUser``) in the scope, as ``scope["user"]``."""

    def __init__(self, inner):
        self.inner = inner

    async def __call__(self, scope, receive, send):
        key = session_key(scope)
        user = await _user_of_session(key) if key else None
        return await self.inner(dict(scope, user=user or AnonymousUser()), receive, send)
