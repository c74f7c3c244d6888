"""Legacy dialect (SPEC section L, seed 002): POST /v1/oauth/, the device
sessions list and revocation, through the real Apache + mod_fcgid (and the
plain-CGI mount) + MariaDB.

Fixed bodies are compared byte for byte with the golden files in golden/
(legacy_*.json). A golden file's final newline is not part of the body (PHP
sent none); "@NAME@" marks a value filled in by the test, escaped the way
PHP's JSON_PRETTY_PRINT writes it. Bodies the spec fixes but whose values
vary (the sessions list) are compared with php_json(), an encoder that
writes exactly what PHP's json_encode(..., JSON_PRETTY_PRINT) writes.

The helpers above the tests are shared with test_legacy_security.py and
test_cli.py.
"""
import hashlib
import http.client
import json
import os
import re
import time
import uuid
from urllib.parse import quote, urlsplit

import pytest
import requests

GOLDEN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden")
LOGIN = "/v1/oauth/"
SESSIONS = "/v1/oauth/sessions/"
REVOKE = "/v1/oauth/revoke/"
LEGACY_TTL = 2592000  # 30 days (SPEC 3)
MOUNTS = ["", "/visitor-management", "/cgi-mode"]
TIMEOUT = 30
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


# --- helpers -----------------------------------------------------------------
def php_json(value):
    """json_encode($value, JSON_PRETTY_PRINT): four spaces, '": "', '/' as
    '\\/', everything outside ASCII as lower-case \\uXXXX (surrogate pairs
    beyond the BMP), no trailing newline."""
    return json.dumps(value, indent=4, ensure_ascii=True).replace("/", "\\/")


def php_str(s):
    """A string as it appears between the quotes in PHP's JSON."""
    return php_json(s)[1:-1]


def _golden_raw(name):
    with open(os.path.join(GOLDEN, name + ".json"), encoding="utf-8") as f:
        text = f.read()
    return text[:-1] if text.endswith("\n") else text


def golden(name, **values):
    """The exact body of golden/<name>.json with @KEY@ replaced by values
    (strings JSON-escaped like PHP, integers as digits)."""
    text = _golden_raw(name)
    for key, value in values.items():
        marker = "@%s@" % key
        assert marker in text, (name, marker)
        text = text.replace(
            marker, str(value) if isinstance(value, int) else php_str(value))
    assert not re.search(r"@[A-Z_]+@", text), (name, "unfilled marker")
    return text


def golden_re(name, **patterns):
    """golden/<name>.json as a regular expression whose @KEY@ markers are
    named groups matching the given patterns."""
    parts = re.split(r"@([A-Z_]+)@", _golden_raw(name))
    out = []
    for i, part in enumerate(parts):
        out.append("(?P<%s>%s)" % (part, patterns[part]) if i % 2 else
                   re.escape(part))
    return re.compile("".join(out))


def body(resp):
    return resp.content.decode("utf-8")


def post(inst, path, data=None, client=requests, **kwargs):
    """POST through `client` (requests, or a session_from() session)."""
    kwargs.setdefault("timeout", TIMEOUT)
    kwargs.setdefault("allow_redirects", False)
    return client.post(inst.url + path, data=data, **kwargs)


class RawResponse:
    def __init__(self, resp):
        self.status_code = resp.status
        self.headers = resp.headers  # case-insensitive .get()
        self.content = resp.read()


def raw_request(inst, method, path, data=b"", headers=None):
    """Exactly this request line, these headers (plus Host and, for a
    body, Content-Length) and these body bytes; for what requests would
    change (it re-quotes a URL's %-escapes, urllib3 adds a User-Agent)."""
    base = urlsplit(inst.url)
    conn = http.client.HTTPConnection(base.hostname, base.port,
                                      timeout=TIMEOUT)
    try:
        conn.putrequest(method, base.path.rstrip("/") + path,
                        skip_accept_encoding=True)
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        if data or method == "POST":
            conn.putheader("Content-Length", str(len(data)))
        conn.endheaders(data)
        return RawResponse(conn.getresponse())
    finally:
        conn.close()


def login(inst, username, password, path=LOGIN, client=requests, **fields):
    """POST the legacy login form; extra fields by name (device_info →
    device-info)."""
    data = {"username": username, "password": password}
    for k, v in fields.items():
        data[k.replace("_", "-")] = v
    return post(inst, path, data, client=client)


def assert_error(resp, name, status=200, **values):
    """The response is the legacy error golden/legacy_<name>.json."""
    assert resp.status_code == status, body(resp)
    assert resp.headers.get("Content-Type") == "application/json"
    assert body(resp) == golden("legacy_" + name, **values)


def assert_login_ok(resp, before=None, after=None):
    """A legacy login success, byte for byte; returns (token, expiry)."""
    assert resp.status_code == 200, body(resp)
    assert resp.headers.get("Content-Type") == "application/json"
    assert resp.headers.get("Cache-Control") == "no-store"
    m = golden_re("legacy_login_success", ACCESS_TOKEN="[0-9a-f]{40}",
                  EXPIRY="[1-9][0-9]*").fullmatch(body(resp))
    assert m, body(resp)
    expiry = int(m.group("EXPIRY"))
    if before is not None:
        assert before + LEGACY_TTL <= expiry <= after + LEGACY_TTL
    return m.group("ACCESS_TOKEN"), expiry


def token_for(inst, username, password, **fields):
    return assert_login_ok(login(inst, username, password, **fields))[0]


def auth(token, scheme="Token"):
    return {"Authorization": "%s %s" % (scheme, token)}


def get_sessions(inst, token, scheme="Token", path=SESSIONS):
    return requests.get(inst.url + path, headers=auth(token, scheme),
                        timeout=TIMEOUT, allow_redirects=False)


def sessions_data(inst, token):
    resp = get_sessions(inst, token)
    assert resp.status_code == 200, body(resp)
    doc = json.loads(body(resp))
    assert doc["success"] is True
    return doc["data"]


def revoke(inst, token, session_id=None):
    data = {} if session_id is None else {"session_id": session_id}
    return post(inst, REVOKE, data, headers=auth(token))


def digest(token):
    """What the tokens table keys a token by (SPEC 3: SHA-256)."""
    return hashlib.sha256(token.encode()).digest()


def user_id(inst, username):
    # Bound as bytes: an exact, collation-free comparison.
    rows = inst.sql("SELECT id FROM users WHERE username = %s",
                    username.encode("utf-8"))
    assert len(rows) == 1, rows
    return int(rows[0][0])


def session_count(inst, uid):
    return int(inst.sql("SELECT COUNT(*) FROM sessions WHERE user_id = %s",
                        uid)[0][0])


def session_of(inst, token):
    """The sessions.id of a token, found by its SHA-256 digest."""
    rows = inst.sql("SELECT session_id FROM tokens WHERE digest = %s",
                    digest(token))
    assert len(rows) == 1, rows
    return int(rows[0][0])


def stored_device(inst, token):
    # Through HEX(): the stored bytes, whatever the SQL client's charset.
    rows = inst.sql("SELECT HEX(device_info) FROM sessions WHERE id = %s",
                    session_of(inst, token))
    return bytes.fromhex(rows[0][0]).decode("utf-8")


def unknown_name():
    return "nobody-" + uuid.uuid4().hex[:12]


# --- where the handler lives -------------------------------------------------
@pytest.mark.parametrize("mount", MOUNTS)
@pytest.mark.parametrize("path", ["/v1/oauth/", "/v1/oauth",
                                  "/v1/oauth/index.php"])
def test_login_with_body_works_on_every_mount_and_path_form(inst, new_user,
                                                            mount, path):
    # The credentials travel only in the POST body: a mod_dir redirect
    # (or a lost body) would give 301 or 1157 instead.
    name, pw = new_user()
    token, _ = assert_login_ok(login(inst, name, pw, path=mount + path))
    assert get_sessions(inst, token, path=mount + SESSIONS).status_code == 200


# --- success -----------------------------------------------------------------
def test_login_success_is_php_pretty_json_with_token_and_30_day_expiry(
        inst, new_user):
    name, pw = new_user()
    before = int(time.time())
    resp = login(inst, name, pw, device_info="phone")
    after = int(time.time())
    token, expiry = assert_login_ok(resp, before, after)
    assert body(resp) == golden("legacy_login_success", ACCESS_TOKEN=token,
                                EXPIRY=expiry)
    assert not body(resp).endswith("\n")
    rows = inst.sql("SELECT expires_at FROM tokens WHERE digest = %s",
                    digest(token))
    assert rows == [(str(expiry),)]


def test_every_login_makes_a_new_session_and_earlier_tokens_stay_valid(
        inst, new_user):
    name, pw = new_user()
    uid = user_id(inst, name)
    tokens = [token_for(inst, name, pw, device_info="same device")
              for _ in range(3)]
    assert len(set(tokens)) == 3
    assert session_count(inst, uid) == 3
    assert len({session_of(inst, t) for t in tokens}) == 3
    for t in tokens:
        assert len(sessions_data(inst, t)) == 3


def test_use_does_not_extend_the_token_expiry(inst, new_user):
    name, pw = new_user()
    token, expiry = assert_login_ok(login(inst, name, pw))
    sid = session_of(inst, token)
    inst.sql("UPDATE sessions SET last_access = last_access - 120 "
             "WHERE id = %s", sid)
    (entry,) = sessions_data(inst, token)
    assert entry["expiry"] == expiry
    rows = inst.sql("SELECT expires_at FROM tokens WHERE digest = %s",
                    digest(token))
    assert rows == [(str(expiry),)]


# --- parameters --------------------------------------------------------------
def test_login_reads_a_multipart_body(inst, new_user):
    name, pw = new_user()
    files = {"username": (None, name), "password": (None, pw),
             "device-info": (None, "multipart device")}
    resp = requests.post(inst.url + LOGIN, files=files, timeout=TIMEOUT,
                         allow_redirects=False)
    assert resp.request.headers["Content-Type"].startswith(
        "multipart/form-data; boundary=")
    token, _ = assert_login_ok(resp)
    assert stored_device(inst, token) == "multipart device"


def test_login_reads_the_query_string_of_a_post(inst, new_user):
    name, pw = new_user()
    resp = requests.post(inst.url + LOGIN, timeout=TIMEOUT,
                         params={"username": name, "password": pw,
                                 "device-info": "from query"})
    token, _ = assert_login_ok(resp)
    assert stored_device(inst, token) == "from query"


def test_body_wins_over_query_string(inst, new_user):
    name, pw = new_user()
    resp = requests.post(inst.url + LOGIN, timeout=TIMEOUT,
                         params={"username": name, "password": "wrong",
                                 "device-info": "query"},
                         data={"password": pw, "device-info": "body"})
    token, _ = assert_login_ok(resp)
    assert stored_device(inst, token) == "body"
    resp = requests.post(inst.url + LOGIN, timeout=TIMEOUT,
                         params={"username": name, "password": pw},
                         data={"password": "wrong"})
    assert_error(resp, "1142")


@pytest.mark.parametrize("fields", [
    {"password": "x"},
    {"username": "x"},
    {},
    {"user": "x", "pass": "x", "device-info": "d"},
], ids=["no-username", "no-password", "nothing", "other-names"])
def test_missing_username_or_password_gives_1157(inst, fields):
    assert_error(post(inst, LOGIN, fields), "1157")


def test_missing_password_gives_1157_for_an_existing_user(inst, new_user):
    name, _ = new_user()
    assert_error(post(inst, LOGIN, {"username": name}), "1157")


@pytest.mark.parametrize("which", ["username", "password"])
def test_empty_username_or_password_is_present_and_gives_1142(inst, new_user,
                                                              which):
    name, pw = new_user()
    fields = {"username": name, "password": pw}
    fields[which] = ""
    assert_error(post(inst, LOGIN, fields), "1142")


@pytest.mark.parametrize("path", ["/v1/oauth/", "/v1/oauth",
                                  "/v1/oauth/index.php"])
def test_get_gives_1157_even_with_credentials_in_query(inst, new_user, path):
    name, pw = new_user()
    uid = user_id(inst, name)
    resp = requests.get(inst.url + path, timeout=TIMEOUT,
                        params={"username": name, "password": pw},
                        allow_redirects=False)
    assert_error(resp, "1157")
    assert session_count(inst, uid) == 0


def test_json_body_gives_1157(inst, new_user):
    name, pw = new_user()
    uid = user_id(inst, name)
    resp = post(inst, LOGIN, json={"username": name, "password": pw})
    assert_error(resp, "1157")
    assert session_count(inst, uid) == 0


def test_unknown_user_and_wrong_password_get_the_identical_1142(inst,
                                                                new_user):
    name, _ = new_user()
    wrong = login(inst, name, "not-the-password")
    unknown = login(inst, unknown_name(), "not-the-password")
    assert_error(wrong, "1142")
    assert_error(unknown, "1142")
    assert wrong.content == unknown.content


# --- device-info -------------------------------------------------------------
def test_device_info_field_is_stored_and_listed(inst, new_user):
    name, pw = new_user()
    token = token_for(inst, name, pw, device_info="Pixel 7 / Android 14")
    assert stored_device(inst, token) == "Pixel 7 / Android 14"
    (entry,) = sessions_data(inst, token)
    assert entry["device_info"] == "Pixel 7 / Android 14"


def test_empty_device_info_is_stored_empty_not_replaced(inst, new_user):
    name, pw = new_user()
    token = token_for(inst, name, pw, device_info="")
    assert stored_device(inst, token) == ""


def test_user_agent_is_the_device_without_device_info(inst, new_user):
    name, pw = new_user()
    resp = post(inst, LOGIN, {"username": name, "password": pw},
                headers={"User-Agent": "VisitorApp/2.1 (iPad)"})
    token, _ = assert_login_ok(resp)
    assert stored_device(inst, token) == "VisitorApp/2.1 (iPad)"


@pytest.mark.parametrize("ua, stored", [
    ("a" * 250, "a" * 200),
    ("a" * 199 + "\u00e9" + "b" * 20, "a" * 199 + "\u00e9"),
    ("\u20ac" * 250, "\u20ac" * 200),
    ("\U0001F600" * 201, "\U0001F600" * 200),
], ids=["ascii", "2-byte-at-the-cut", "3-byte", "4-byte"])
def test_long_user_agent_is_cut_to_200_characters(inst, new_user, ua, stored):
    name, pw = new_user()
    resp = post(inst, LOGIN, {"username": name, "password": pw},
                headers={"User-Agent": ua.encode("utf-8")})
    token, _ = assert_login_ok(resp)
    assert stored_device(inst, token) == stored


def test_invalid_utf8_in_user_agent_is_stored_as_replacement_characters(
        inst, new_user):
    name, pw = new_user()
    resp = post(inst, LOGIN, {"username": name, "password": pw},
                headers={"User-Agent": b"ab\xffcd\xfe\xc0\xafz"})
    token, _ = assert_login_ok(resp)
    assert stored_device(inst, token) == "ab\ufffdcd\ufffd\ufffd\ufffdz"
    (entry,) = sessions_data(inst, token)
    assert entry["device_info"] == "ab\ufffdcd\ufffd\ufffd\ufffdz"


def test_without_device_info_or_user_agent_the_device_is_unknown(inst,
                                                                 new_user):
    name, pw = new_user()
    raw = "username=%s&password=%s" % (quote(name), quote(pw))
    resp = raw_request(inst, "POST", LOGIN, raw.encode(), FORM)
    token, _ = assert_login_ok(resp)
    assert stored_device(inst, token) == "Unknown"


@pytest.mark.parametrize("device", ["a" * 200, "\u00e9" * 200,
                                    "\u20ac" * 199 + "x"],
                         ids=["ascii", "2-byte", "3-byte"])
def test_device_info_of_200_characters_is_accepted_whole(inst, new_user,
                                                        device):
    name, pw = new_user()
    token = token_for(inst, name, pw, device_info=device)
    assert stored_device(inst, token) == device


@pytest.mark.parametrize("device", ["a" * 201, "\u00e9" * 201, "x" * 5000],
                         ids=["201-ascii", "201-2-byte", "5000"])
def test_device_info_over_200_characters_gives_2400_and_stores_nothing(
        inst, new_user, device):
    name, pw = new_user()
    uid = user_id(inst, name)
    assert_error(login(inst, name, pw, device_info=device), "2400")
    assert session_count(inst, uid) == 0


# --- malformed input ---------------------------------------------------------


@pytest.mark.parametrize("extra", [
    "device-info=%ZZ",
    "device-info=abc%",
    "device-info=abc%4",
    "device-info=a%00b",
    "device-info=%FF",
    "device-info=%C0%AF",
    "device-info=%ED%A0%80",
    "x=%ZZ",
    "x=%FE",
    "x=a%00",
], ids=["bad-hex", "trailing-percent", "short-escape", "nul", "ff",
        "overlong", "surrogate", "other-param-bad-hex", "other-param-fe",
        "other-param-nul"])
def test_malformed_body_parameter_gives_2400(inst, new_user, extra):
    name, pw = new_user()
    uid = user_id(inst, name)
    raw = "username=%s&password=%s&%s" % (quote(name), quote(pw), extra)
    assert_error(post(inst, LOGIN, raw, headers=FORM), "2400")
    assert session_count(inst, uid) == 0


@pytest.mark.parametrize("field", ["username", "password"])
@pytest.mark.parametrize("bad", ["%00", "%FF", "%ZZ"])
def test_malformed_credentials_give_2400_not_1142(inst, new_user, field, bad):
    name, pw = new_user()
    values = {"username": quote(name), "password": quote(pw)}
    values[field] += bad
    raw = "username=%(username)s&password=%(password)s" % values
    assert_error(post(inst, LOGIN, raw, headers=FORM), "2400")


@pytest.mark.parametrize("query", ["x=%ZZ", "x=abc%", "debug=%FF",
                                   "device-info=a%00"])
def test_malformed_query_string_gives_2400(inst, new_user, query):
    name, pw = new_user()
    uid = user_id(inst, name)
    raw = "username=%s&password=%s" % (quote(name), quote(pw))
    resp = raw_request(inst, "POST", LOGIN + "?" + query, raw.encode(), FORM)
    assert_error(resp, "2400")
    assert session_count(inst, uid) == 0


MULTIPART_PARTS = (b'--XyZ\r\nContent-Disposition: form-data; name="username"'
                   b'\r\n\r\n@U@\r\n--XyZ\r\nContent-Disposition: form-data; '
                   b'name="password"\r\n\r\n@P@')


@pytest.mark.parametrize("content_type, raw", [
    ("multipart/form-data; boundary=XyZ", MULTIPART_PARTS + b"\r\n"),
    ("multipart/form-data; boundary=XyZ", b"username=@U@&password=@P@"),
    ("multipart/form-data", MULTIPART_PARTS + b"\r\n--XyZ--\r\n"),
    ("multipart/form-data; boundary=XyZ",
     MULTIPART_PARTS + b"\xff\r\n--XyZ--\r\n"),
], ids=["no-closing-boundary", "not-multipart", "no-boundary-parameter",
        "invalid-utf8-value"])
def test_malformed_multipart_gives_2400(inst, new_user, content_type, raw):
    name, pw = new_user()
    uid = user_id(inst, name)
    data = raw.replace(b"@U@", name.encode()).replace(b"@P@", pw.encode())
    resp = post(inst, LOGIN, data, headers={"Content-Type": content_type})
    assert_error(resp, "2400")
    assert session_count(inst, uid) == 0


def test_well_formed_multipart_of_the_same_shape_logs_in(inst, new_user):
    # The control for the cases above: only their defect makes them fail.
    name, pw = new_user()
    data = (MULTIPART_PARTS + b"\r\n--XyZ--\r\n").replace(
        b"@U@", name.encode()).replace(b"@P@", pw.encode())
    assert_login_ok(post(inst, LOGIN, data, headers={
        "Content-Type": "multipart/form-data; boundary=XyZ"}))


def test_body_over_64_kib_gives_2400(inst, new_user):
    name, pw = new_user()
    uid = user_id(inst, name)
    resp = login(inst, name, pw, padding="p" * (65 * 1024))
    assert_error(resp, "2400")
    assert session_count(inst, uid) == 0


@pytest.mark.parametrize("mount", MOUNTS)
def test_body_over_1_mib_is_refused_in_the_legacy_json_shape(inst, new_user,
                                                             mount):
    # Beyond Apache's LimitRequestBody (1 MiB): refused either by Apache,
    # whose ErrorDocument the binary answers (keeping Apache's 413), or
    # by the binary itself from CONTENT_LENGTH before reading (200; what
    # this server does now). Either way the legacy 2400, never HTML.
    name, pw = new_user()
    uid = user_id(inst, name)
    resp = login(inst, name, pw, path=mount + LOGIN,
                 padding="p" * (1024 * 1024 + 1))
    assert resp.status_code in (200, 413), resp.status_code
    assert resp.headers.get("Content-Type") == "application/json"
    assert body(resp) == golden("legacy_2400")
    assert session_count(inst, uid) == 0


# --- unknown paths -----------------------------------------------------------
@pytest.mark.parametrize("method, path, shown", [
    ("GET", "/v1/foo/bar?x=1", "/foo/bar"),
    ("POST", "/v1/foo/bar?x=1", "/foo/bar"),
    ("GET", "/v1/x", "/x"),
    ("POST", "/v1/oauth/nope", "/oauth/nope"),
    ("GET", "/v1/oauth/sessions/extra", "/oauth/sessions/extra"),
    ("GET", "/visitor-management/v1/foo/bar?x=1", "/foo/bar"),
    ("GET", "/cgi-mode/v1/foo/bar?x=1", "/foo/bar"),
])
def test_unknown_path_under_v1_gives_2600_with_404(inst, method, path, shown):
    resp = requests.request(method, inst.url + path, timeout=TIMEOUT,
                            allow_redirects=False)
    assert_error(resp, "2600", status=404, PATH=shown)


def test_2600_body_writes_slashes_as_php_does(inst):
    resp = requests.get(inst.url + "/v1/foo/bar?x=1", timeout=TIMEOUT)
    assert '"message": "Unknown path components: \\/foo\\/bar",' in body(resp)


# --- debug (DEV build only) --------------------------------------------------
@pytest.mark.dev_only
def test_debug_1_names_the_unknown_username(inst):
    name = "ghost/\u00f6-" + uuid.uuid4().hex[:8]
    resp = login(inst, name, "whatever", debug="1")
    assert_error(resp, "1142_debug_username", USERNAME=name)
    assert "Username ghost\\/\\u00f6-" in body(resp)


@pytest.mark.dev_only
def test_debug_1_reports_an_incorrect_password(inst, new_user):
    name, _ = new_user()
    assert_error(login(inst, name, "wrong", debug="1"), "1142_debug_password")


@pytest.mark.dev_only
def test_debug_1_in_the_query_string_counts_like_the_body(inst, new_user):
    name, _ = new_user()
    resp = requests.post(inst.url + LOGIN + "?debug=1", timeout=TIMEOUT,
                         data={"username": name, "password": "wrong"})
    assert_error(resp, "1142_debug_password")


@pytest.mark.prod_only
def test_production_build_never_emits_debug(inst, new_user):
    name, _ = new_user()
    assert_error(login(inst, name, "wrong", debug="1"), "1142")
    assert_error(login(inst, "ghost/" + uuid.uuid4().hex, "x", debug="1"),
                 "1142")
    resp = requests.post(inst.url + LOGIN + "?debug=1", timeout=TIMEOUT,
                         data={"username": name, "password": "wrong"})
    assert_error(resp, "1142")


@pytest.mark.parametrize("value", [None, "0", "2", "true", "", "yes"])
def test_debug_other_than_1_adds_nothing(inst, new_user, value):
    name, _ = new_user()
    fields = {} if value is None else {"debug": value}
    assert_error(login(inst, name, "wrong", **fields), "1142")
    assert_error(login(inst, unknown_name(), "wrong", **fields), "1142")


def test_debug_leaves_a_successful_login_unchanged(inst, new_user):
    name, pw = new_user()
    assert_login_ok(login(inst, name, pw, debug="1"))


# --- token-protected: sessions -----------------------------------------------
def expected_sessions(inst, uid, current_sid, order):
    """The exact sessions body from the database, in the server's order."""
    entries = []
    for sid in order:
        (row,) = inst.sql(
            "SELECT s.device_info, s.created_at, s.last_access, t.expires_at "
            "FROM sessions s JOIN tokens t ON t.session_id = s.id "
            "WHERE s.id = %s AND s.user_id = %s AND t.kind = 1", sid, uid)
        entries.append({"session_id": sid, "device_info": row[0],
                        "created": int(row[1]), "last_access": int(row[2]),
                        "expiry": int(row[3]),
                        "current": sid == current_sid})
    return php_json({"success": True, "data": entries})


def test_sessions_lists_the_callers_live_sessions_exactly(inst, new_user):
    name, pw = new_user()
    uid = user_id(inst, name)
    before = int(time.time())
    t1, e1 = assert_login_ok(login(inst, name, pw, device_info="phone/1"))
    t2, e2 = assert_login_ok(login(inst, name, pw,
                                   device_info="Tablet \u00e9\U0001F600"))
    after = int(time.time())
    resp = get_sessions(inst, t1)
    assert resp.status_code == 200
    assert resp.headers.get("Content-Type") == "application/json"
    data = json.loads(body(resp))["data"]
    order = [e["session_id"] for e in data]
    s1, s2 = session_of(inst, t1), session_of(inst, t2)
    assert sorted(order) == sorted([s1, s2])
    assert body(resp) == expected_sessions(inst, uid, s1, order)
    by_id = {e["session_id"]: e for e in data}
    assert by_id[s1]["current"] is True and by_id[s2]["current"] is False
    assert by_id[s1]["device_info"] == "phone/1"
    assert by_id[s2]["device_info"] == "Tablet \u00e9\U0001F600"
    assert by_id[s1]["expiry"] == e1 and by_id[s2]["expiry"] == e2
    for e in data:
        assert list(e) == ["session_id", "device_info", "created",
                           "last_access", "expiry", "current"]
        assert before <= e["created"] <= after
    # The other token sees the same sessions, itself as current.
    data2 = sessions_data(inst, t2)
    assert {e["session_id"]: e["current"] for e in data2} == {s1: False,
                                                             s2: True}


def test_sessions_omits_revoked_expired_and_other_users_sessions(inst,
                                                                 new_user):
    name, pw = new_user()
    other, opw = new_user()
    live = token_for(inst, name, pw, device_info="live")
    revoked = token_for(inst, name, pw, device_info="revoked")
    expired = token_for(inst, name, pw, device_info="expired")
    token_for(inst, other, opw, device_info="someone else")
    assert revoke(inst, revoked).status_code == 200
    inst.sql("UPDATE tokens SET expires_at = %s WHERE digest = %s",
             int(time.time()) - 10,
             digest(expired))
    data = sessions_data(inst, live)
    assert [(e["session_id"], e["device_info"]) for e in data] == [
        (session_of(inst, live), "live")]


@pytest.mark.parametrize("scheme", ["Token", "token", "Bearer"])
def test_sessions_accepts_token_and_bearer_schemes(inst, new_user, scheme):
    name, pw = new_user()
    token = token_for(inst, name, pw)
    resp = get_sessions(inst, token, scheme=scheme)
    assert resp.status_code == 200, body(resp)
    assert json.loads(body(resp))["data"][0]["current"] is True


def test_sessions_answers_post_too(inst, new_user):
    name, pw = new_user()
    token = token_for(inst, name, pw)
    resp = post(inst, SESSIONS, {}, headers=auth(token))
    assert resp.status_code == 200
    assert body(resp) == get_sessions(inst, token).content.decode()


@pytest.mark.parametrize("path", [SESSIONS, "/v1/oauth/sessions"])
def test_sessions_without_token_gives_1190(inst, path):
    resp = requests.get(inst.url + path, timeout=TIMEOUT,
                        allow_redirects=False)
    assert_error(resp, "1190")


@pytest.mark.parametrize("token", [
    "0" * 40, "garbage", "6a9382f695dc36f38e46dc08726fc8a3a22a270f",
    "zz" * 20, "a" * 400,
])
def test_sessions_with_unknown_token_gives_1403(inst, token):
    assert_error(get_sessions(inst, token), "1403")


def test_expired_token_gives_1403(inst, new_user):
    name, pw = new_user()
    token = token_for(inst, name, pw)
    inst.sql("UPDATE tokens SET expires_at = %s WHERE digest = %s",
             int(time.time()) - 1, digest(token))
    assert_error(get_sessions(inst, token), "1403")
    assert_error(revoke(inst, token), "1403")


def test_last_access_is_updated_at_most_once_a_minute(inst, new_user):
    name, pw = new_user()
    token = token_for(inst, name, pw)
    sid = session_of(inst, token)

    def last_access():
        return int(inst.sql("SELECT last_access FROM sessions WHERE id = %s",
                            sid)[0][0])

    # Touched 30 s ago: a use now does not write.
    recent = int(time.time()) - 30
    inst.sql("UPDATE sessions SET last_access = %s WHERE id = %s", recent, sid)
    sessions_data(inst, token)
    assert last_access() == recent
    # Touched 120 s ago: a use now updates it to now.
    old = int(time.time()) - 120
    inst.sql("UPDATE sessions SET last_access = %s WHERE id = %s", old, sid)
    before = int(time.time())
    sessions_data(inst, token)
    after = int(time.time())
    updated = last_access()
    assert before <= updated <= after
    # And an immediate second use leaves it alone.
    inst.sql("UPDATE sessions SET last_access = %s WHERE id = %s",
             updated - 5, sid)
    sessions_data(inst, token)
    assert last_access() == updated - 5


# --- token-protected: revoke -------------------------------------------------
def test_revoke_without_session_id_signs_out_the_callers_session(inst,
                                                                 new_user):
    name, pw = new_user()
    mine = token_for(inst, name, pw, device_info="mine")
    other = token_for(inst, name, pw, device_info="other")
    sid = session_of(inst, mine)
    resp = revoke(inst, mine)
    assert resp.status_code == 200
    assert resp.headers.get("Content-Type") == "application/json"
    assert body(resp) == golden("legacy_revoke_success", SESSION_ID=sid)
    assert_error(get_sessions(inst, mine), "1403")
    assert_error(revoke(inst, mine), "1403")
    assert [e["device_info"] for e in sessions_data(inst, other)] == ["other"]


def test_revoke_with_session_id_signs_out_that_device(inst, new_user):
    name, pw = new_user()
    mine = token_for(inst, name, pw, device_info="mine")
    lost = token_for(inst, name, pw, device_info="lost phone")
    lost_sid = session_of(inst, lost)
    resp = revoke(inst, mine, lost_sid)
    assert resp.status_code == 200
    assert body(resp) == golden("legacy_revoke_success", SESSION_ID=lost_sid)
    assert_error(get_sessions(inst, lost), "1403")
    assert [e["device_info"] for e in sessions_data(inst, mine)] == ["mine"]


def test_revoke_of_another_users_or_a_missing_session_gives_the_same_3404(
        inst, new_user):
    name, pw = new_user()
    victim, vpw = new_user()
    mine = token_for(inst, name, pw)
    theirs = token_for(inst, victim, vpw)
    their_sid = session_of(inst, theirs)
    missing = int(inst.sql("SELECT COALESCE(MAX(id), 0) + 1000000 "
                           "FROM sessions")[0][0])
    foreign = revoke(inst, mine, their_sid)
    absent = revoke(inst, mine, missing)
    assert_error(foreign, "3404", ID=str(their_sid))
    assert_error(absent, "3404", ID=str(missing))
    assert (body(foreign).replace(str(their_sid), "N") ==
            body(absent).replace(str(missing), "N"))
    assert sessions_data(inst, theirs)[0]["session_id"] == their_sid


@pytest.mark.parametrize("value", ["abc", "12abc", "-1", "1.5", "", "0x10"])
def test_revoke_with_a_non_numeric_session_id_gives_3404(inst, new_user,
                                                         value):
    name, pw = new_user()
    token = token_for(inst, name, pw)
    assert_error(revoke(inst, token, value), "3404", ID=value)
    assert sessions_data(inst, token)[0]["current"] is True


def test_revoke_by_get_gives_405_with_allow_post(inst, new_user):
    name, pw = new_user()
    token = token_for(inst, name, pw)
    resp = requests.get(inst.url + REVOKE, headers=auth(token),
                        timeout=TIMEOUT, allow_redirects=False)
    assert_error(resp, "2400", status=405)
    assert resp.headers.get("Allow") == "POST"
    assert sessions_data(inst, token)[0]["current"] is True


def test_revoke_without_token_gives_1190(inst):
    assert_error(post(inst, REVOKE, {"session_id": "1"}), "1190")


def test_revoke_with_unknown_token_gives_1403(inst):
    assert_error(post(inst, REVOKE, {}, headers=auth("0" * 40)), "1403")


# --- database down -----------------------------------------------------------
def fastcgi_pids(inst):
    """The instance's FastCGI processes: www-data processes started with
    its OAUTH_CONFIG."""
    want = ("OAUTH_CONFIG=" + os.path.realpath(inst.config)).encode()
    pids = set()
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/environ" % d, "rb") as f:
                env = f.read().split(b"\0")
            with open("/proc/%s/cmdline" % d, "rb") as f:
                cmd = f.read()
        except OSError:
            continue
        if b"fcgi" in cmd and any(
                e.startswith(b"OAUTH_CONFIG=") and
                os.path.realpath(e[13:].decode()).encode() == want[13:]
                for e in env):
            pids.add(int(d))
    return pids


def test_database_down_gives_5501_and_service_recovers(inst, new_user):
    name, pw = new_user()
    token = token_for(inst, name, pw)
    pids = fastcgi_pids(inst)
    assert pids
    inst.db_stop()
    try:
        for _ in range(3):
            assert_error(login(inst, name, pw), "5501")
        assert_error(login(inst, unknown_name(), "x"), "5501")
        assert_error(get_sessions(inst, token), "5501")
        assert_error(login(inst, name, pw, path="/cgi-mode" + LOGIN), "5501")
        resp = login(inst, name, pw, debug="1")
        if inst.dev:
            m = golden_re("legacy_5501_debug_mysql",
                          MYSQL_ERROR=r'(?:[^"\\]|\\.)+').fullmatch(
                              body(resp))
            assert resp.status_code == 200 and m, body(resp)
        else:
            assert_error(resp, "5501")
        health = requests.get(inst.url + "/healthz", timeout=TIMEOUT)
        assert health.status_code == 200
        # No FastCGI process died answering those requests.
        assert pids <= fastcgi_pids(inst)
    finally:
        inst.db_start()
    deadline = time.time() + 10
    while True:
        resp = login(inst, name, pw)
        if resp.status_code == 200 and b'"success": true' in resp.content:
            break
        assert time.time() < deadline, body(resp)
        time.sleep(0.2)
    assert_login_ok(resp)
    assert sessions_data(inst, token)
    assert pids <= fastcgi_pids(inst)
