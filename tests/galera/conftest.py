"""Fixtures of the Galera suite: a 3-node cluster and the binary on it.

The cluster is scripts/galera.sh's (var/galera/, nodes on loopback, unix
sockets var/galera/nN/mysql.sock, one configuration per node
var/galera/nN/oauth.conf with db_sync_wait = 1). The session fixture
`cluster` runs `scripts/galera.sh up` and, at the end, `down` -- unless the
cluster was up already when the suite started (tests/run.sh brings it up
and down itself; a developer may keep one running), or GALERA_KEEP=1.

The binary is exercised through two real faces, without Apache: plain CGI
(run_cgi: CGI variables in the environment, the body on stdin, as
tests/integration/test_dialect_switch.py does it) and the admin CLI. Each
node is one configuration, so "a request through node 2" is the binary run
with OAUTH_CONFIG=var/galera/n2/oauth.conf.

Environment: OAUTH_TEST_ROOT (the repository), OAUTH_TEST_BINARY
(cgi/oauth.fcgi), GALERA_KEEP=1 (leave the cluster running).

Fixtures: cluster (a Cluster), timings (record a measured duration).
"""

import json
import os
import secrets
import subprocess
import time
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit

import pytest
from requests.structures import CaseInsensitiveDict

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def _env(name, default):
    value = os.environ.get(name)
    return value if value not in (None, "") else default


ROOT = _env("OAUTH_TEST_ROOT", ROOT)
GALERA = os.path.join(ROOT, "scripts", "galera.sh")
VAR = os.path.join(ROOT, "var", "galera")
BINARY = _env("OAUTH_TEST_BINARY", os.path.join(ROOT, "cgi", "oauth.fcgi"))
BASE_PORT = int(_env("GALERA_PORT", "4567"))
TIMINGS = os.path.join(VAR, "timings.txt")


def galera(*args, timeout=300):
    """Run scripts/galera.sh; returns (seconds it took, its output)."""
    t0 = time.monotonic()
    proc = subprocess.run([GALERA] + [str(a) for a in args],
                          capture_output=True, text=True, timeout=timeout)
    took = time.monotonic() - t0
    out = proc.stdout + proc.stderr
    if proc.returncode != 0:
        raise RuntimeError("galera.sh %s failed (%d): %s" % (
            " ".join(map(str, args)), proc.returncode, out))
    return took, out


# --- the CGI face (after tests/integration/test_dialect_switch.py) ----------
class CgiResponse:
    """What the binary wrote to stdout, parsed like Apache parses it."""

    def __init__(self, raw, stderr):
        self.raw = raw
        self.stderr = stderr.decode("utf-8", errors="replace")
        head, sep, body = raw.partition(b"\r\n\r\n")
        assert sep, "no end of headers in CGI output: %r" % raw[:300]
        self.headers = CaseInsensitiveDict()
        self.header_lines = []
        for line in head.split(b"\r\n"):
            k, colon, v = line.decode("latin-1").partition(":")
            assert colon, "malformed CGI header line %r" % line
            self.header_lines.append((k, v.strip()))
            if k in self.headers:
                self.headers[k] += ", " + v.strip()
            else:
                self.headers[k] = v.strip()
        status = self.headers.get("Status", "200 OK")
        self.status_code = int(status.split()[0])
        self.content = body

    @property
    def text(self):
        return self.content.decode("utf-8")

    def json(self):
        return json.loads(self.text)

    def __repr__(self):
        return "<CGI %d %r stderr=%r>" % (self.status_code, self.raw[:400],
                                          self.stderr[-400:])


class Node:
    """One Galera node, seen through the binary configured for it.

    Attributes: n (1..3), config, socket, var, binary, port (only for the
    CGI Host header; nothing listens there for HTTP).
    """

    def __init__(self, n):
        self.n = n
        self.var = os.path.join(VAR, "n%d" % n)
        self.config = os.path.join(self.var, "oauth.conf")
        self.socket = os.path.join(self.var, "mysql.sock")
        self.binary = BINARY
        self.port = BASE_PORT + 10 * (n - 1) + 3
        self.sanitized = False

    def __repr__(self):
        return "<node %d>" % self.n

    def cgi(self, method, path, query="", body=b"", content_type=None,
            headers=None, env=None, remote_addr="127.0.0.1", timeout=120):
        """Run the binary once as plain CGI through this node."""
        if isinstance(body, str):
            body = body.encode("utf-8")
        e = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "GATEWAY_INTERFACE": "CGI/1.1",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "SERVER_SOFTWARE": "pytest-cgi",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": str(self.port),
            "HTTP_HOST": "127.0.0.1:%d" % self.port,
            "REQUEST_METHOD": method,
            "SCRIPT_NAME": "",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "REQUEST_URI": path + ("?" + query if query else ""),
            "REMOTE_ADDR": remote_addr,
            "OAUTH_CONFIG": self.config,
        }
        if body or method == "POST":
            e["CONTENT_LENGTH"] = str(len(body))
        if content_type is not None:
            e["CONTENT_TYPE"] = content_type
        for k, v in (headers or {}).items():
            e["HTTP_" + k.upper().replace("-", "_")] = v
        e.update(env or {})
        proc = subprocess.run([self.binary], input=body, env=e,
                              capture_output=True, timeout=timeout)
        assert proc.returncode == 0, (self.n, proc.returncode,
                                      proc.stderr[-500:])
        r = CgiResponse(proc.stdout, proc.stderr)
        # db_sync_wait = 1 must reach the server on every connection.
        assert "wsrep_sync_wait not set" not in r.stderr, r
        return r

    def post_form(self, path, data, **kw):
        return self.cgi("POST", path, body=urlencode(data).encode(),
                        content_type="application/x-www-form-urlencoded",
                        **kw)

    def cli(self, *args, input=None, timeout=120):
        """Run the binary as the admin CLI against this node."""
        env = dict(os.environ)
        env["OAUTH_CONFIG"] = self.config
        return subprocess.run([self.binary] + [str(a) for a in args],
                              input=input, capture_output=True, text=True,
                              env=env, timeout=timeout)

    def sql(self, query, database="oauth", causal=True):
        """SQL as MariaDB root on this node; rows as tuples of str. With
        causal, the session waits for every write the cluster committed
        before it reads (wsrep_sync_wait = 1), like the binary does."""
        text = query.strip().rstrip(";") + ";\n"
        if causal:
            text = "SET SESSION wsrep_sync_wait = 1;\n" + text
        proc = subprocess.run(
            ["mariadb", "--no-defaults", "-S", self.socket, "-u", "root",
             "--batch", "--skip-column-names", "--connect-timeout=5",
             database], input=text, capture_output=True, text=True,
            timeout=60)
        if proc.returncode != 0:
            raise RuntimeError("mariadb on node %d failed (%d): %s\n%s" % (
                self.n, proc.returncode, proc.stderr, query))
        return [tuple(line.split("\t")) for line in proc.stdout.splitlines()]

    def status(self, name):
        rows = self.sql("SHOW GLOBAL STATUS LIKE '%s'" % name, causal=False)
        return rows[0][1] if rows else None

    # --- the things most tests do ------------------------------------------
    def add_user(self, phone=None, password=None):
        """A new user through the CLI on this node: (name, password, id)."""
        name = "g_" + secrets.token_hex(6)
        password = password or "pw-" + secrets.token_urlsafe(12)
        args = ["user", "add", name]
        if phone:
            args += ["--phone", phone]
        proc = self.cli(*args, input=password + "\n")
        assert proc.returncode == 0, (self.n, proc.stdout, proc.stderr)
        words = proc.stdout.split()
        assert "id" in words, proc.stdout
        return name, password, int(words[words.index("id") + 1])

    def add_client(self, grants, redirect_uri="http://127.0.0.1/cb",
                   scope="username email"):
        """A confidential client through the CLI: (client_id, secret)."""
        client_id = "gc_" + secrets.token_hex(6)
        args = ["client", "add", client_id, "--redirect-uri", redirect_uri,
                "--scope", scope]
        for g in grants:
            args += ["--grant", g]
        proc = self.cli(*args)
        assert proc.returncode == 0, (self.n, proc.stdout, proc.stderr)
        secret = None
        for line in proc.stdout.splitlines():
            if line.startswith("client_secret: "):
                secret = line.split(": ", 1)[1].strip()
        assert secret, proc.stdout
        return client_id, secret

    def legacy_login(self, name, password, remote_addr="127.0.0.1",
                     env=None):
        """POST /v1/oauth/; returns the CgiResponse."""
        return self.post_form("/v1/oauth/", {
            "username": name, "password": password,
            "device-info": "galera test via node %d" % self.n},
            remote_addr=remote_addr, env=env)

    def legacy_token(self, name, password):
        r = self.legacy_login(name, password)
        assert r.status_code == 200, r
        body = r.json()
        assert body["success"] is True, r
        return body["data"]["access_token"]

    def legacy_sessions(self, token):
        """GET /v1/oauth/sessions/ with Authorization: Token."""
        return self.cgi("GET", "/v1/oauth/sessions/",
                        headers={"Authorization": "Token " + token})

    def token_valid_legacy(self, token):
        r = self.legacy_sessions(token)
        assert r.status_code == 200, r
        return r.json().get("success") is True

    def chat_verify(self, user_id, token):
        return self.cgi("GET", "/api/oauth/%d/verify-token/v1/" % user_id,
                        headers={"Authorization": "Bearer " + token})


class Cluster:
    def __init__(self):
        self.nodes = {n: Node(n) for n in (1, 2, 3)}

    def __getitem__(self, n):
        return self.nodes[n]

    def all(self):
        return [self.nodes[n] for n in (1, 2, 3)]


def _cluster_up():
    proc = subprocess.run([GALERA, "status"], capture_output=True,
                          text=True, timeout=60)
    return proc.returncode == 0


@pytest.fixture(scope="session")
def cluster():
    if not os.access(BINARY, os.X_OK):
        pytest.exit("%s is missing: build it first (make)" % BINARY,
                    returncode=3)
    was_up = _cluster_up()
    try:
        took, out = galera("up")
    except Exception as e:  # noqa: BLE001 - reported, then stop everything
        subprocess.run([GALERA, "down"], capture_output=True, timeout=300)
        pytest.exit("the Galera cluster did not come up: %s" % e,
                    returncode=3)
    c = Cluster()
    if not was_up:
        _record("galera.sh up (fresh cluster, migrations included): %.1f s"
                % took)
    yield c
    if not was_up and _env("GALERA_KEEP", "0") != "1":
        galera("down")


def _record(line):
    os.makedirs(VAR, exist_ok=True)
    with open(TIMINGS, "a", encoding="utf-8") as f:
        f.write(line + "\n")
    print(line)


@pytest.fixture
def timings():
    """timings(name, seconds or None, note=""): appended to var/galera/timings.txt
    (tests/run.sh prints it after the suite)."""

    def record(name, seconds, note=""):
        took = "%6.2f s" % seconds if seconds is not None else "%8s" % "-"
        _record("%-58s %s%s" % (name, took, "  (%s)" % note if note else ""))

    return record


# --- a browser over the CGI face (sign-in and consent pages) -----------------
class _Forms(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"method": a.get("method"),
                               "action": a.get("action"), "fields": [],
                               "buttons": []})
        elif not self.forms:
            return
        elif tag == "input" and a.get("type") == "hidden":
            self.forms[-1]["fields"].append((a.get("name"), a.get("value")))
        elif tag == "button":
            self.forms[-1]["buttons"].append((a.get("name"), a.get("value")))


class CgiBrowser:
    """Cookies and forms over Node.cgi: enough to sign in and approve."""

    def __init__(self, node):
        self.node = node
        self.cookies = {}

    def _headers(self):
        h = {"User-Agent": "pytest-galera-browser/1.0"}
        if self.cookies:
            h["Cookie"] = "; ".join("%s=%s" % kv for kv in
                                    self.cookies.items())
        return h

    def _keep_cookies(self, r):
        for k, v in r.header_lines:
            if k.lower() != "set-cookie":
                continue
            name, _, rest = v.partition("=")
            value = rest.split(";", 1)[0]
            if "max-age=0" in v.lower().replace(" ", "") or value == "":
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return r

    def get(self, url):
        parts = urlsplit(url)
        return self._keep_cookies(self.node.cgi(
            "GET", parts.path, query=parts.query, headers=self._headers()))

    def submit(self, page, action, extra=()):
        p = _Forms()
        p.feed(page.text)
        for f in p.forms:
            if ("action", action) in f["buttons"]:
                break
        else:
            raise AssertionError("no %s form in %s" % (action,
                                                        page.text[:800]))
        assert (f["method"] or "").lower() == "post", f
        data = list(f["fields"]) + list(extra) + [("action", action)]
        parts = urlsplit(f["action"])
        return self._keep_cookies(self.node.cgi(
            "POST", parts.path, query=parts.query,
            body=urlencode(data).encode(),
            content_type="application/x-www-form-urlencoded",
            headers=self._headers()))
