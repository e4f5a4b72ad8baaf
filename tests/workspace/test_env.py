"""workspace.env: the parsers that turn environment variables into settings."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from workspace.env import email_settings, env_bool, env_int, env_list, env_str

SMTP = "django.core.mail.backends.smtp.EmailBackend"


@pytest.mark.parametrize("raw", ["1", "true", "TRUE", " yes ", "On"])
def test_env_bool_true_words(monkeypatch, raw):
    monkeypatch.setenv("WS_FLAG", raw)
    assert env_bool("WS_FLAG", False) is True


@pytest.mark.parametrize("raw", ["0", "false", "No", "off", "", "  "])
def test_env_bool_false_words(monkeypatch, raw):
    monkeypatch.setenv("WS_FLAG", raw)
    assert env_bool("WS_FLAG", True) is False


@pytest.mark.parametrize("default", [True, False])
def test_env_bool_unset_gives_the_default(monkeypatch, default):
    monkeypatch.delenv("WS_FLAG", raising=False)
    assert env_bool("WS_FLAG", default) is default


@pytest.mark.parametrize("raw", ["maybe", "2", "tru", "yes please"])
def test_env_bool_refuses_other_values_naming_the_variable(monkeypatch, raw):
    monkeypatch.setenv("WS_FLAG", raw)
    with pytest.raises(ImproperlyConfigured, match=r"WS_FLAG=.* is not a yes/no value"):
        env_bool("WS_FLAG", False)


def test_env_int(monkeypatch):
    monkeypatch.delenv("WS_NUMBER", raising=False)
    assert env_int("WS_NUMBER", 7) == 7
    monkeypatch.setenv("WS_NUMBER", "  ")
    assert env_int("WS_NUMBER", 7) == 7
    monkeypatch.setenv("WS_NUMBER", " 42 ")
    assert env_int("WS_NUMBER", 7) == 42
    monkeypatch.setenv("WS_NUMBER", "-3")
    assert env_int("WS_NUMBER", 7) == -3


@pytest.mark.parametrize("raw", ["seven", "1.5", "10d"])
def test_env_int_refuses_non_numbers(monkeypatch, raw):
    monkeypatch.setenv("WS_NUMBER", raw)
    with pytest.raises(ImproperlyConfigured, match=r"WS_NUMBER=.* is not a whole number"):
        env_int("WS_NUMBER", 7)


def test_env_str_strips_and_defaults(monkeypatch):
    monkeypatch.delenv("WS_TEXT", raising=False)
    assert env_str("WS_TEXT") == ""
    assert env_str("WS_TEXT", "fallback") == "fallback"
    monkeypatch.setenv("WS_TEXT", "  value \n")
    assert env_str("WS_TEXT") == "value"


def test_env_list(monkeypatch):
    monkeypatch.delenv("WS_LIST", raising=False)
    assert env_list("WS_LIST", ["default"]) == ["default"]
    monkeypatch.setenv("WS_LIST", " a.example.com, ,b.example.com,")
    assert env_list("WS_LIST", ["default"]) == ["a.example.com", "b.example.com"]
    monkeypatch.setenv("WS_LIST", "")
    assert env_list("WS_LIST", ["default"]) == []


@pytest.mark.parametrize(
    ("url", "backend"),
    [
        ("console://", "django.core.mail.backends.console.EmailBackend"),
        ("locmem://", "django.core.mail.backends.locmem.EmailBackend"),
        ("dummy://", "django.core.mail.backends.dummy.EmailBackend"),
    ],
)
def test_email_settings_local_backends(url, backend):
    assert email_settings(url) == {"MAILERS": {"default": {"BACKEND": backend}}}


def test_email_settings_smtp_with_starttls():
    mailer = email_settings("smtp+tls://u:p@host:587")["MAILERS"]["default"]
    assert mailer == {
        "BACKEND": SMTP,
        "OPTIONS": {
            "host": "host",
            "port": 587,
            "username": "u",
            "password": "p",
            "use_tls": True,
            "use_ssl": False,
            "timeout": 20,
        },
    }


def test_email_settings_smtps_and_plain_smtp():
    smtps = email_settings("smtps://mailer@mail.example.com:465")["MAILERS"]["default"]
    assert (smtps["OPTIONS"]["use_ssl"], smtps["OPTIONS"]["use_tls"]) == (True, False)
    assert smtps["OPTIONS"]["username"] == "mailer"
    assert smtps["OPTIONS"]["password"] == ""

    plain = email_settings("smtp://relay")["MAILERS"]["default"]["OPTIONS"]
    assert (plain["host"], plain["port"], plain["use_tls"], plain["use_ssl"]) == (
        "relay",
        25,
        False,
        False,
    )


def test_email_settings_decodes_escaped_credentials_and_the_sender():
    values = email_settings(
        "smtp+tls://apikey%40example.com:p%40ss%3Aw%2Frd@smtp.example.com:587"
        "?from=Workspace%20%3Cnoreply%40example.com%3E"
    )
    options = values["MAILERS"]["default"]["OPTIONS"]
    assert options["username"] == "apikey@example.com"
    assert options["password"] == "p@ss:w/rd"
    assert values["DEFAULT_FROM_EMAIL"] == "Workspace <noreply@example.com>"


@pytest.mark.parametrize("url", ["smtpx://host", "http://host", "", "mailgun://key@domain"])
def test_email_settings_refuses_unknown_schemes_listing_the_known_ones(url):
    with pytest.raises(ImproperlyConfigured) as excinfo:
        email_settings(url)
    message = str(excinfo.value)
    assert "EMAIL_URL scheme" in message
    assert "smtp+tls://" in message
    assert "console://" in message
