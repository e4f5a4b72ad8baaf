"""Reading configuration from the environment (12-factor).

Small, dependency-free parsers so that `workspace/settings.py` stays a list of
decisions rather than a list of string manipulations.
"""

import os
from urllib.parse import parse_qs, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a yes/no value; use 1 or 0.")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None


def env_list(name: str, default: list[str]) -> list[str]:
    """A comma-separated list; blank items are dropped."""
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


EMAIL_BACKENDS = {
    "console": "django.core.mail.backends.console.EmailBackend",
    "locmem": "django.core.mail.backends.locmem.EmailBackend",
    "dummy": "django.core.mail.backends.dummy.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "smtp+tls": "django.core.mail.backends.smtp.EmailBackend",
    "smtps": "django.core.mail.backends.smtp.EmailBackend",
}


def email_settings(url: str) -> dict:
    """Turn an EMAIL_URL into Django's MAILERS (and DEFAULT_FROM_EMAIL) settings.

    Accepted: ``console://``, ``locmem://``, ``dummy://``,
    ``smtp://user:password@host:25``, ``smtp+tls://…:587`` (STARTTLS) and
    ``smtps://…:465`` (implicit TLS). ``?from=Name <addr>`` sets the sender.
    """
    parts = urlsplit(url)
    backend = EMAIL_BACKENDS.get(parts.scheme)
    if backend is None:
        known = ", ".join(f"{scheme}://" for scheme in EMAIL_BACKENDS)
        raise ImproperlyConfigured(f"EMAIL_URL scheme {parts.scheme!r} is unknown; use {known}.")
    mailer = {"BACKEND": backend}
    if backend.endswith("smtp.EmailBackend"):
        mailer["OPTIONS"] = {
            "host": parts.hostname or "localhost",
            "port": parts.port or 25,
            "username": unquote(parts.username or ""),
            "password": unquote(parts.password or ""),
            "use_tls": parts.scheme == "smtp+tls",
            "use_ssl": parts.scheme == "smtps",
            "timeout": 20,
        }
    values = {"MAILERS": {"default": mailer}}
    sender = parse_qs(parts.query).get("from")
    if sender:
        values["DEFAULT_FROM_EMAIL"] = sender[0]
    return values


SENTINEL_SCHEME = "redis+sentinel"
SENTINEL_PORT = 26379
SENTINEL_QUERY = {"sentinel_password"}


def redis_host(url: str, **options) -> dict:
    """The connection settings for ``REDIS_URL``, as channels-redis takes one host.

    ``redis://`` (or ``rediss://``, ``unix://``) names one server: ``{"address": url}``.
    ``redis+sentinel://[:password@]host1[:26379][,host2[:26379]…]/<master name>[/<db>]``
    names Sentinels instead, which say which server is the master now: every new
    connection asks them, so after a failover the app reconnects to the promoted
    replica on its own. The password is the Redis servers'; the Sentinels' own,
    if they have one, is ``?sentinel_password=…``. ``options`` (the timeouts) apply
    to the servers and to the Sentinels alike, so a dead Sentinel costs one timeout.
    The cache (workspace/cache.py) and presence read the same dictionary.
    """
    parts = urlsplit(url)
    if parts.scheme != SENTINEL_SCHEME:
        return {"address": url, **options}
    master, db = _sentinel_path(url, parts.path)
    query = {name: values[-1] for name, values in parse_qs(parts.query).items()}
    if unknown := set(query) - SENTINEL_QUERY:
        raise ImproperlyConfigured(f"REDIS_URL: unknown option(s) {', '.join(sorted(unknown))}.")
    credentials = {"password": unquote(parts.password)} if parts.password else {}
    if parts.username:
        credentials["username"] = unquote(parts.username)
    sentinel_kwargs = dict(options)
    if "sentinel_password" in query:
        sentinel_kwargs["password"] = query["sentinel_password"]
    return {
        "sentinels": _sentinel_addresses(url, parts.netloc.rpartition("@")[2]),
        "master_name": master,
        "sentinel_kwargs": sentinel_kwargs,
        "db": db,
        **credentials,
        **options,
    }


def _sentinel_addresses(url: str, hosts: str) -> list[tuple[str, int]]:
    addresses = []
    for item in hosts.split(","):
        try:
            part = urlsplit(f"//{item.strip()}")
            host, port = part.hostname, part.port or SENTINEL_PORT
        except ValueError:
            host = None
        if not host:
            raise ImproperlyConfigured(f"REDIS_URL {url!r}: {item!r} is not a host[:port].")
        addresses.append((host, port))
    return addresses


def _sentinel_path(url: str, path: str) -> tuple[str, int]:
    """``/<master name>[/<db>]``."""
    master, _, db = path.strip("/").partition("/")
    if not master or not (db or "0").isdigit():
        raise ImproperlyConfigured(
            f"REDIS_URL {url!r} must end in /<master name> or /<master name>/<db number>, "
            "e.g. redis+sentinel://sentinel1:26379,sentinel2:26379/mymaster/0."
        )
    return master, int(db or 0)
