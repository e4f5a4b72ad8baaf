"""workspace/settings.py read from the environment, in fresh processes.

Each case imports the settings module in a subprocess with exactly the
environment under test, as `daphne` or `manage.py` would on start-up.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIG_VARS = {
    "DATABASE_URL",
    "REDIS_URL",
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "EMAIL_URL",
    "DEFAULT_FROM_EMAIL",
    "SITE_URL",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "STATIC_FROM_SOURCE",
    "SERVE_MEDIA",
    "MEDIA_ROOT",
    "BEHIND_TLS_PROXY",
    "INVITATION_LIFETIME_DAYS",
    "DB_CONN_MAX_AGE",
    "TASKS_BACKEND",
    "LOG_LEVEL",
    "DJANGO_SETTINGS_MODULE",
}
SECRET = "settings-test-" + "s" * 50
PRINT_SETTINGS = """
import json
from workspace import settings as s
names = [
    "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "DATABASES", "CACHES",
    "CHANNEL_LAYERS", "MAILERS", "DEFAULT_FROM_EMAIL", "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE", "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_CSP",
    "SECURE_PROXY_SSL_HEADER", "INVITATION_LIFETIME", "STORAGES",
]
print(json.dumps({name: getattr(s, name, None) for name in names}, default=str))
"""


def clean_env(**values) -> dict:
    env = {key: value for key, value in os.environ.items() if key not in CONFIG_VARS}
    return env | values


def run(args, **values) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own interpreter and fixed arguments
        [sys.executable, *args],
        cwd=ROOT,
        env=clean_env(**values),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def load_settings(**values) -> dict:
    result = run(["-c", PRINT_SETTINGS], **values)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


# --- refusing to start ----------------------------------------------------------


@pytest.mark.parametrize("debug", [None, "0", "false"])
def test_debug_off_without_a_secret_key_refuses_to_start(debug):
    values = {} if debug is None else {"DEBUG": debug}
    result = run(["-c", "import workspace.settings"], **values)
    assert result.returncode != 0
    assert "SECRET_KEY is not set and DEBUG is off, so Workspace refuses to start" in result.stderr
    assert "secrets.token_urlsafe" in result.stderr


def test_manage_py_refuses_too():
    result = run(["manage.py", "check"])
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_a_blank_secret_key_counts_as_unset():
    result = run(["-c", "import workspace.settings"], SECRET_KEY="   ")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_debug_on_without_a_secret_key_uses_a_development_key():
    values = load_settings(DEBUG="1")
    assert values["DEBUG"] is True
    assert values["SECRET_KEY"].startswith("development-only")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DEBUG", "maybe", "DEBUG='maybe' is not a yes/no value"),
        ("EMAIL_URL", "carrier-pigeon://coop", "EMAIL_URL scheme 'carrier-pigeon' is unknown"),
        ("INVITATION_LIFETIME_DAYS", "a week", "is not a whole number"),
    ],
)
def test_bad_values_stop_start_up_with_improperly_configured(name, value, message):
    result = run(["-c", "import workspace.settings"], SECRET_KEY=SECRET, **{name: value})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


# --- the embedded default -----------------------------------------------------------


def test_nothing_set_means_the_embedded_default():
    values = load_settings(SECRET_KEY=SECRET)
    assert values["DEBUG"] is False
    assert values["SECRET_KEY"] == SECRET
    database = values["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"].endswith("db.sqlite3")
    assert database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert values["CACHES"]["default"]["BACKEND"].endswith("LocMemCache")
    assert values["CHANNEL_LAYERS"]["default"]["BACKEND"] == "channels.layers.InMemoryChannelLayer"
    assert values["MAILERS"] == {
        "default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
    }
    assert values["ALLOWED_HOSTS"] == ["localhost", "127.0.0.1", "[::1]"]
    assert values["INVITATION_LIFETIME"] == "7 days, 0:00:00"


def test_production_defaults_are_secure():
    values = load_settings(SECRET_KEY=SECRET)
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert values["SECURE_PROXY_SSL_HEADER"] is None
    assert values["SECURE_CSP"]["script-src"] == ["'self'"]
    assert values["STORAGES"]["staticfiles"]["BACKEND"].startswith("whitenoise.")


def test_debug_relaxes_cookie_security():
    values = load_settings(DEBUG="1")
    assert values["SESSION_COOKIE_SECURE"] is False
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SECURE_HSTS_SECONDS"] == 0


# --- services from URLs --------------------------------------------------------------


def test_database_url_selects_postgresql():
    values = load_settings(
        SECRET_KEY=SECRET, DATABASE_URL="postgres://crm:s3cret@db.internal:6543/workspace_prod"
    )
    database = values["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["NAME"], database["USER"], database["PASSWORD"]) == (
        "workspace_prod",
        "crm",
        "s3cret",
    )
    assert (database["HOST"], database["PORT"]) == ("db.internal", 6543)
    assert "transaction_mode" not in database.get("OPTIONS", {})


def test_redis_url_selects_redis_for_the_channel_layer_and_the_cache():
    url = "redis://cache.internal:6380/2"
    values = load_settings(SECRET_KEY=SECRET, REDIS_URL=url)
    layer = values["CHANNEL_LAYERS"]["default"]
    assert layer["BACKEND"] == "channels_redis.pubsub.RedisPubSubChannelLayer"
    timeouts = {"socket_timeout": 0.25, "socket_connect_timeout": 0.25}
    assert layer["CONFIG"]["hosts"] == [{"address": url, **timeouts}]
    cache = values["CACHES"]["default"]
    assert cache["BACKEND"] == "workspace.cache.FallbackRedisCache"
    assert cache["LOCATION"] == url
    assert cache["OPTIONS"] == timeouts  # nothing on the request path waits long for Redis


def test_email_url_configures_the_default_mailer():
    values = load_settings(
        SECRET_KEY=SECRET, EMAIL_URL="smtp+tls://u:p@host:587?from=Acme <crm@acme.example>"
    )
    mailer = values["MAILERS"]["default"]
    assert mailer["BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert mailer["OPTIONS"] == {
        "host": "host",
        "port": 587,
        "username": "u",
        "password": "p",
        "use_tls": True,
        "use_ssl": False,
        "timeout": 20,
    }
    assert values["DEFAULT_FROM_EMAIL"] == "Acme <crm@acme.example>"


def test_hosts_origins_and_proxy():
    values = load_settings(
        SECRET_KEY=SECRET,
        ALLOWED_HOSTS="crm.acme.example, www.crm.acme.example",
        CSRF_TRUSTED_ORIGINS="https://crm.acme.example",
        BEHIND_TLS_PROXY="1",
        INVITATION_LIFETIME_DAYS="3",
    )
    assert values["ALLOWED_HOSTS"] == ["crm.acme.example", "www.crm.acme.example"]
    assert values["CSRF_TRUSTED_ORIGINS"] == ["https://crm.acme.example"]
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["INVITATION_LIFETIME"] == "3 days, 0:00:00"


PRODUCTION = {
    "SECRET_KEY": SECRET,
    "ALLOWED_HOSTS": "crm.acme.example",
    "DEBUG": "0",
    "EMAIL_URL": "smtp+tls://crm:secret@smtp.acme.example:587",
}


def test_production_settings_pass_the_deploy_check():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_the_deploy_check_insists_on_real_email_in_production():
    """Invitations and password resets are emailed: console email in production is an error."""
    without_email = {k: v for k, v in PRODUCTION.items() if k != "EMAIL_URL"}
    result = run(["manage.py", "check", "--deploy"], **without_email)
    assert result.returncode != 0
    assert "mail.E001" in result.stderr
