"""Several hosts behind a real load balancer: nginx (Debian's) configured by
deploy/nginx/workspace.conf.template, TLS ending at nginx, in front of two daphne
processes. Two people chat through it while each daphne in turn is restarted
mid-conversation: every message reaches both, once and in order; static files come
from nginx; a form post passes Django's CSRF check through the proxy."""

import re
import shutil
import ssl
import string
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.scripts import CLIENT_ROOM
from tests.servers import ROOT, free_port

pytestmark = pytest.mark.browser

TEMPLATE = ROOT / "deploy" / "nginx" / "workspace.conf.template"
RECONNECT_TIMEOUT_MS = 15_000

MAIN_CONF = """daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log info;
worker_processes 1;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    access_log {tmp}/access.log;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {tmp}/workspace.conf;
}}
"""


class Nginx:
    """nginx in the foreground on free loopback ports, with the deployment's site file
    rendered the way the nginx image renders templates (only WORKSPACE_ variables)."""

    def __init__(self, directory: Path, upstreams: list[int]):
        self.directory = directory
        self.http_port, self.https_port = free_port(), free_port()
        certificate, key = self._self_signed_certificate()
        site = string.Template(TEMPLATE.read_text()).safe_substitute(
            WORKSPACE_SERVER_NAME="localhost",
            WORKSPACE_UPSTREAM=" ".join(
                f"server 127.0.0.1:{port} max_fails=1 fail_timeout=2s;" for port in upstreams
            ),
            WORKSPACE_STATIC_ROOT=f"{ROOT / 'static'}/",
            WORKSPACE_TLS_CERTIFICATE=certificate,
            WORKSPACE_TLS_CERTIFICATE_KEY=key,
            WORKSPACE_HTTP_PORT=self.http_port,
            WORKSPACE_HTTPS_PORT=self.https_port,
        )
        unfilled = re.findall(r"\$\{WORKSPACE_[A-Z_]+\}", site)
        assert not unfilled, f"template variables the test does not fill: {unfilled}"
        (directory / "workspace.conf").write_text(site)
        (directory / "nginx.conf").write_text(MAIN_CONF.format(tmp=directory))
        self.process = None

    @property
    def url(self) -> str:
        return f"https://localhost:{self.https_port}"

    def _self_signed_certificate(self) -> tuple[str, str]:
        certificate, key = self.directory / "cert.pem", self.directory / "key.pem"
        subprocess.run(  # noqa: S603
            [
                *("openssl", "req", "-x509", "-newkey", "ec"),
                *("-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"),
                *("-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"),
                *("-keyout", str(key), "-out", str(certificate)),
            ],
            check=True,
            capture_output=True,
            timeout=30,
        )
        return str(certificate), str(key)

    def start(self, timeout: float = 10) -> "Nginx":
        command = [shutil.which("nginx") or "/usr/sbin/nginx", "-p", str(self.directory)]
        self.process = subprocess.Popen(  # noqa: S603
            [*command, "-c", str(self.directory / "nginx.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"nginx exited: {self.process.stderr.read().decode()}")
            if self.answers("/healthz") == 200:
                return self
            time.sleep(0.05)
        raise TimeoutError(f"nginx did not answer; see {self.directory / 'error.log'}")

    def answers(self, path: str, port: int | None = None) -> int | None:
        """The status of a GET through nginx (redirects not followed); None if refused."""
        scheme = "http" if port else "https"
        url = f"{scheme}://localhost:{port or self.https_port}{path}"
        opener = urllib.request.build_opener(
            NoRedirect, urllib.request.HTTPSHandler(context=TRUST_ANY)
        )
        try:
            with opener.open(url, timeout=2) as response:
                return response.status
        except urllib.error.HTTPError as error:
            self.last_location = error.headers.get("Location")
            return error.code
        except OSError:
            return None

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(5)
        self.process.stderr.close()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


TRUST_ANY = ssl.create_default_context()
TRUST_ANY.check_hostname = False
TRUST_ANY.verify_mode = ssl.CERT_NONE


@pytest.fixture
def two_hosts_behind_nginx(serve, tmp_path):
    """Two daphnes (told they are behind a TLS proxy) and nginx in front of them."""
    servers = [serve(BEHIND_TLS_PROXY="1"), serve(BEHIND_TLS_PROXY="1")]
    nginx = Nginx(tmp_path, [server.port for server in servers]).start()
    yield nginx, servers
    nginx.stop()


def open_page(new_context, nginx: Nginx, person: dict, path: str):
    context = new_context(ignore_https_errors=True, locale="en-US")
    session = person["cookie"].split("=", 1)[1]
    context.add_cookies([{"name": "sessionid", "value": session, "url": nginx.url, "secure": True}])
    page = context.new_page()
    page.goto(f"{nginx.url}{path}")
    expect(page.locator("body")).to_have_class(re.compile(r"\blive-online\b"))
    return page


def send(page, text: str) -> None:
    box = page.locator("form[data-chat-composer] [data-chat-input]").first
    box.press_sequentially(text)
    box.press("Enter")
    expect(box).to_have_value("")


def what_each_page_shows(pages: dict, room: int) -> str:
    """For a failure's message: each page's messages (pending ones with their status)."""
    lines = []
    for person, page in pages.items():
        articles = page.locator(f"#room-{room}-messages article.chat-message")
        lines.append(f"{person}: {articles.all_inner_texts()!r}")
    return "\n".join(lines)


def test_two_people_chat_through_nginx_while_each_daphne_restarts(
    two_hosts_behind_nginx, server_db, run_script, new_context
):
    nginx, servers = two_hosts_behind_nginx
    ada = server_db.run("user", "Ada Admin", "--role", "admin")
    ben = server_db.run("user", "Ben Member")
    room = run_script(CLIENT_ROOM, ada["id"], ben["id"])["room"]
    path = f"/chat/rooms/{room}/"
    ada_page, ben_page = (
        open_page(new_context, nginx, ada, path),
        open_page(new_context, nginx, ben, path),
    )
    pages = {"ada": ada_page, "ben": ben_page}
    said = {"ada": [], "ben": []}

    def say(person, text):
        send(pages[person], text)
        said[person].append(text)

    say("ada", "Hello Ben, through the balancer")
    say("ben", "Hi Ada, loud and clear")
    # Each daphne in turn goes away mid-conversation (one of them held each socket):
    # nginx sends the reconnecting tabs to the other, messages written meanwhile wait
    # in the composer and go once the socket is back; replay fills the gap.
    for server, writer in zip(servers, ("ada", "ben"), strict=True):
        server.stop()
        say(writer, f"Written while port {server.port} restarts")
        server.start()
    say("ada", "Everyone still here?")

    # Both see every message once, in the same (the room's) order; a message that
    # waited for its socket may come after one written later by the other person.
    everything = sorted(said["ada"] + said["ben"])
    shown = []
    for page in pages.values():
        messages = page.locator(f"#room-{room}-messages article.chat-message .chat-body")
        try:
            expect(messages).to_have_count(len(everything), timeout=RECONNECT_TIMEOUT_MS)
            expect(page.locator(f"#room-{room}-messages [data-pending]")).to_have_count(0)
        except AssertionError as missing:
            raise AssertionError(f"{missing}\n{what_each_page_shows(pages, room)}") from None
        shown.append([text.strip() for text in messages.all_inner_texts()])
    assert sorted(shown[0]) == everything and shown[0] == shown[1]
    for person, texts in said.items():
        assert [text for text in shown[0] if text in texts] == texts, person

    # nginx serves static files itself (a year's cache), and sends plain HTTP to HTTPS.
    static = ada_page.request.get(f"{nginx.url}/static/js/live.js")
    assert static.ok and "immutable" in static.headers["cache-control"]
    assert nginx.answers("/clients/", port=nginx.http_port) == 301
    assert nginx.last_location == "https://localhost/clients/"

    # A form post through the proxy passes Django's CSRF check (the browser's Origin
    # matches the forwarded host and scheme): signing out lands on the sign-in page.
    answer = ada_page.goto(f"{nginx.url}/tasks/")
    assert answer.ok, f"/tasks/ answered {answer.status}: {ada_page.content()[:500]}"
    ada_page.get_by_role("button", name="Your account").click()
    ada_page.get_by_role("button", name="Sign out").click()
    expect(ada_page).to_have_url(re.compile(r"/accounts/login/"))
