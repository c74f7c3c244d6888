"""Dialect switches (SPEC 1 configuration key `dialects`; issue item 5):
each dialect can be switched off; a switched-off dialect's paths answer
404 in the legacy style only under /v1, and a plain 404 elsewhere, for
every method and whatever the body; the dialects left on keep working on
the same database.

The running instance has every dialect on and cannot be reconfigured, so
these tests run the instance's binary as plain CGI (a real face of the same
binary, SPEC 1): CGI variables in the environment, the body on stdin,
OAUTH_CONFIG pointing at the instance's configuration and an environment
variable overriding one key (OAUTH_DIALECTS=...). run_cgi() below is also
used by test_node.py (registration modes) and test_cross_dialect.py.
"""
import json
import os
import secrets
import subprocess
import tempfile

import pytest
import requests
from requests.structures import CaseInsensitiveDict

TIMEOUT = 30
ALL = ("legacy", "oauth2", "chat", "node", "phone")
PLAIN_404 = b"Not Found\n"
GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden")


# --- the CGI face ------------------------------------------------------------
class CgiResponse:
    """What the binary wrote to stdout, parsed like Apache parses it."""

    def __init__(self, raw, stderr):
        self.raw = raw
        self.stderr = stderr
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
        # The binary announces the length itself; it must be right.
        assert int(self.headers["Content-Length"]) == len(body), raw[:300]

    @property
    def text(self):
        return self.content.decode("utf-8")

    def json(self):
        return json.loads(self.text)

    def __repr__(self):
        return "<CGI %d %r>" % (self.status_code, self.raw[:400])


def run_cgi(inst, method, path, query="", body=b"", content_type=None,
            headers=None, env=None, remote_addr="127.0.0.1"):
    """Run inst.binary once as plain CGI and return a CgiResponse.

    `headers` are request headers by HTTP name (Authorization, User-Agent),
    passed as HTTP_* variables; `env` overrides configuration keys
    (OAUTH_DIALECTS, OAUTH_REGISTRATION, ...). The environment starts
    empty, so nothing of the test runner's leaks into the request.
    """
    if isinstance(body, str):
        body = body.encode("utf-8")
    e = {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "GATEWAY_INTERFACE": "CGI/1.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "SERVER_SOFTWARE": "pytest-cgi",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": str(inst.port),
        "HTTP_HOST": "127.0.0.1:%d" % inst.port,
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "REQUEST_URI": path + ("?" + query if query else ""),
        "REMOTE_ADDR": remote_addr,
        "OAUTH_CONFIG": inst.config,
    }
    if body or method == "POST":
        e["CONTENT_LENGTH"] = str(len(body))
    if content_type is not None:
        e["CONTENT_TYPE"] = content_type
    for k, v in (headers or {}).items():
        e["HTTP_" + k.upper().replace("-", "_")] = v
    if getattr(inst, "sanitized", False):
        san = os.path.join(inst.var, "san")
        os.makedirs(san, exist_ok=True)
        e["ASAN_OPTIONS"] = "log_path=%s/cgi-asan:detect_leaks=1" % san
        e["UBSAN_OPTIONS"] = "log_path=%s/cgi-ubsan:print_stacktrace=1" % san
    e.update(env or {})
    proc = subprocess.run([inst.binary], input=body, env=e,
                          capture_output=True, timeout=120)
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-500:])
    return CgiResponse(proc.stdout, proc.stderr)


def form(data):
    from urllib.parse import urlencode
    return urlencode(data).encode()


def dialects_without(*off):
    return " ".join(d for d in ALL if d not in off)


# --- what each dialect answers, on and off -----------------------------------
def legacy_2600(rest):
    """The legacy 2600 body for the path after /v1 (golden/legacy_2600)."""
    with open(os.path.join(GOLDEN, "legacy_2600.json"), encoding="utf-8") as f:
        text = f.read()
    if text.endswith("\n"):
        text = text[:-1]
    shown = json.dumps(rest, ensure_ascii=True)[1:-1].replace("/", "\\/")
    return text.replace("@PATH@", shown).encode("utf-8")


def assert_plain_404(r):
    assert r.status_code == 404, r
    assert r.headers["Content-Type"] == "text/plain; charset=utf-8", r
    assert r.content == PLAIN_404, r
    assert "Allow" not in r.headers


def assert_legacy_404(r, rest):
    assert r.status_code == 404, r
    assert r.headers["Content-Type"] == "application/json", r
    assert r.content == legacy_2600(rest), r
    assert "Allow" not in r.headers


# Every path of each dialect (SPEC L, R, B, N, P), as a client calls it.
PATHS = {
    "legacy": ["/v1/oauth/", "/v1/oauth", "/v1/oauth/index.php",
               "/v1/oauth/sessions/", "/v1/oauth/revoke/"],
    "oauth2": ["/oauth/token", "/oauth/authorize", "/oauth/introspect",
               "/oauth/revoke", "/oauth/userinfo",
               "/.well-known/oauth-authorization-server"],
    "chat": ["/api/oauth/access-token/v1/", "/api/oauth/access-token/v1",
             "/api/oauth/1/verify-token/v1/", "/api/oauth/1/verify-token/v1"],
    "node": ["/register_client", "/register_user", "/authorize", "/token",
             "/api"],
    "phone": ["/v4/oauth/access-token", "/v4/oauth/authorization"],
}


def probe(inst, dialect, env):
    """One cheap request that only `dialect` answers this way (no password
    hashing, no state): returns the CgiResponse after checking it is that
    dialect's own answer."""
    empty = dict(body=b"", content_type="application/x-www-form-urlencoded",
                 env=env)
    if dialect == "legacy":
        r = run_cgi(inst, "POST", "/v1/oauth/", **empty)
        assert r.status_code == 200, r
        assert r.json() == {"success": False, "errors": {
            "message": "Username/password not supplied.",
            "type": "OAuthException", "code": "1157"}}, r
    elif dialect == "oauth2":
        r = run_cgi(inst, "POST", "/oauth/token", **empty)
        assert r.status_code == 400, r
        assert r.json() == {"error": "invalid_request",
                            "error_description": "grant_type is required"}
    elif dialect == "chat":
        r = run_cgi(inst, "POST", "/api/oauth/access-token/v1/", **empty)
        msg = "grant_type, phone_number and password are required"
        assert r.status_code == 400, r
        assert r.json() == {"message": msg, "display_message": msg,
                            "status": 400, "error": "bad_request",
                            "causes": None}, r
    elif dialect == "node":
        r = run_cgi(inst, "POST", "/token", **empty)
        assert r.status_code == 400, r
        assert r.json() == {"status": "FAILED",
                            "message": "grant_type is required"}, r
    elif dialect == "phone":
        r = run_cgi(inst, "POST", "/v4/oauth/access-token", **empty)
        assert r.status_code == 400, r
        assert r.json() == {"error": "invalid_request",
                            "error_description": "grant_type is required"}
    else:
        raise AssertionError(dialect)
    return r


def assert_off(inst, dialect, env, methods=("GET", "POST", "PUT")):
    for path in PATHS[dialect]:
        for method in methods:
            body = b"x=1" if method != "GET" else b""
            r = run_cgi(inst, method, path, body=body,
                        content_type="application/x-www-form-urlencoded",
                        env=env)
            if path.startswith("/v1/"):
                assert_legacy_404(r, path[3:])
            else:
                assert_plain_404(r)


# --- the CGI face itself -------------------------------------------------------
def test_cgi_face_with_every_dialect_on_answers_each_dialect(inst):
    for d in ALL:
        probe(inst, d, {"OAUTH_DIALECTS": " ".join(ALL)})


def test_cgi_face_issues_the_same_tokens_as_apache(inst, new_user):
    """The CGI face is the same binary on the same database: a chat token
    issued through it verifies through Apache (and the reverse)."""
    phone = "+49" + str(10 ** 9 + secrets.randbelow(9 * 10 ** 9))
    name, pw = new_user(phone=phone)
    r = run_cgi(inst, "POST", "/api/oauth/access-token/v1/",
                body=json.dumps({"grant_type": "password",
                                 "phone_number": phone, "password": pw}),
                content_type="application/json")
    assert r.status_code == 201, r
    token = r.json()["result"]["access_token"]
    uid = r.json()["result"]["user_id"]
    v = requests.get("%s/api/oauth/%d/verify-token/v1/" % (inst.url, uid),
                     headers={"Authorization": "Bearer " + token},
                     timeout=TIMEOUT)
    assert v.status_code == 200, v.text


# --- one dialect off ------------------------------------------------------------
@pytest.mark.parametrize("dialect", ALL)
def test_switched_off_dialect_answers_404_on_each_of_its_paths(inst, dialect):
    env = {"OAUTH_DIALECTS": dialects_without(dialect)}
    assert_off(inst, dialect, env)


@pytest.mark.parametrize("dialect", ALL)
def test_other_dialects_keep_working_when_one_is_off(inst, dialect):
    env = {"OAUTH_DIALECTS": dialects_without(dialect)}
    for other in ALL:
        if other != dialect:
            probe(inst, other, env)


@pytest.mark.parametrize("dialect", ALL)
def test_only_one_dialect_on(inst, dialect):
    env = {"OAUTH_DIALECTS": dialect}
    probe(inst, dialect, env)
    for other in ALL:
        if other != dialect:
            assert_off(inst, other, env, methods=("POST",))


def test_no_dialect_on_leaves_health_and_404s(inst):
    env = {"OAUTH_DIALECTS": ""}
    r = run_cgi(inst, "GET", "/healthz", env=env)
    assert r.status_code == 200, r
    for d in ALL:
        assert_off(inst, d, env, methods=("POST",))


def test_dialect_list_may_be_separated_by_commas(inst):
    env = {"OAUTH_DIALECTS": "chat,node"}
    probe(inst, "chat", env)
    probe(inst, "node", env)
    for d in ("legacy", "oauth2", "phone"):
        assert_off(inst, d, env, methods=("POST",))


def test_dialects_key_in_the_configuration_file(inst):
    """The key in the file (not only its environment override)."""
    with open(inst.config, encoding="utf-8") as f:
        text = f.read()
    fd, path = tempfile.mkstemp(prefix="oauth-switch-", suffix=".conf")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text.rstrip("\n") + "\ndialects = legacy phone\n")
        env = {"OAUTH_CONFIG": path}
        probe(inst, "legacy", env)
        probe(inst, "phone", env)
        for d in ("oauth2", "chat", "node"):
            assert_off(inst, d, env, methods=("POST",))
    finally:
        os.unlink(path)


# --- what a 404 of a switched-off dialect is -------------------------------------
def test_switched_off_legacy_answers_like_an_unknown_legacy_path(inst):
    """Under /v1, off looks exactly like legacy's own 2600 for a path it
    does not know: same status, headers that matter and bytes."""
    on = run_cgi(inst, "GET", "/v1/nothing/here",
                 env={"OAUTH_DIALECTS": " ".join(ALL)})
    off = run_cgi(inst, "GET", "/v1/nothing/here",
                  env={"OAUTH_DIALECTS": dialects_without("legacy")})
    assert_legacy_404(on, "/nothing/here")
    assert_legacy_404(off, "/nothing/here")
    assert on.content == off.content
    off = run_cgi(inst, "POST", "/v1/oauth/",
                  body=b"username=a&password=b",
                  content_type="application/x-www-form-urlencoded",
                  query="debug=1",
                  env={"OAUTH_DIALECTS": dialects_without("legacy")})
    assert_legacy_404(off, "/oauth/")


def test_v1_prefix_is_a_path_segment(inst):
    """"Only under /v1": /v1x and /v10/... are not under /v1, so they get
    the plain 404 whether legacy is on or off."""
    for env in ({"OAUTH_DIALECTS": " ".join(ALL)},
                {"OAUTH_DIALECTS": dialects_without("legacy")}):
        for path in ("/v1x", "/v10/oauth/", "/v1oauth/"):
            assert_plain_404(run_cgi(inst, "GET", path, env=env))


def test_switched_off_path_does_not_answer_405_or_413(inst):
    """Off means not there: no method check, no body limit, no dialect
    error shape."""
    env = {"OAUTH_DIALECTS": dialects_without("chat", "node", "phone")}
    big = b"a=" + b"x" * (70 * 1024)
    for path in ("/api/oauth/access-token/v1/", "/register_user",
                 "/v4/oauth/access-token"):
        assert_plain_404(run_cgi(inst, "DELETE", path, env=env))
        assert_plain_404(run_cgi(
            inst, "POST", path, body=big,
            content_type="application/x-www-form-urlencoded", env=env))
        assert_plain_404(run_cgi(inst, "POST", path, body=b"{not json",
                                 content_type="application/json", env=env))


def test_switched_off_chat_issues_nothing(inst, new_user):
    phone = "+49" + str(10 ** 9 + secrets.randbelow(9 * 10 ** 9))
    name, pw = new_user(phone=phone)
    before = inst.sql("SELECT COUNT(*) FROM sessions s JOIN users u ON "
                      "u.id = s.user_id WHERE u.username = %s",
                      name.encode())[0][0]
    r = run_cgi(inst, "POST", "/api/oauth/access-token/v1/",
                body=json.dumps({"grant_type": "password",
                                 "phone_number": phone, "password": pw}),
                content_type="application/json",
                env={"OAUTH_DIALECTS": dialects_without("chat")})
    assert_plain_404(r)
    after = inst.sql("SELECT COUNT(*) FROM sessions s JOIN users u ON "
                     "u.id = s.user_id WHERE u.username = %s",
                     name.encode())[0][0]
    assert before == after == "0"


def test_token_of_a_switched_off_dialect_still_works_elsewhere(inst, new_user):
    """Switching a dialect off removes its paths, not the core: a token it
    issued earlier is still a token of the one core."""
    phone = "+49" + str(10 ** 9 + secrets.randbelow(9 * 10 ** 9))
    name, pw = new_user(phone=phone)
    r = requests.post(inst.url + "/api/oauth/access-token/v1/",
                      json={"grant_type": "password", "phone_number": phone,
                            "password": pw}, timeout=TIMEOUT)
    assert r.status_code == 201, r.text
    token = r.json()["result"]["access_token"]
    uid = r.json()["result"]["user_id"]
    env = {"OAUTH_DIALECTS": dialects_without("chat")}
    assert_plain_404(run_cgi(inst, "GET",
                             "/api/oauth/%d/verify-token/v1/" % uid,
                             headers={"Authorization": "Bearer " + token},
                             env=env))
    u = run_cgi(inst, "GET", "/oauth/userinfo",
                headers={"Authorization": "Bearer " + token}, env=env)
    assert u.status_code == 200, u
    assert u.json()["sub"] == str(uid)
    assert u.json()["username"] == name
