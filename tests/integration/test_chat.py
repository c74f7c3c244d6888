"""Chat-app dialect (SPEC section B, seed 000): POST
/api/oauth/access-token/v1/ (phone_number + password, 201) and GET|POST
/api/oauth/<user_id>/verify-token/v1/, through Apache + mod_fcgid + MariaDB.

Every body is compared whole: the 201 and 200 answers field by field in
the seed's order, every error as the five-key object
{"message","display_message","status","error","causes"} byte for byte, a
wrong method as the bare 405 text/html;charset=utf-8 of seed 000.

The helpers at the top are shared with test_cross_dialect.py.
"""
import datetime
import hashlib
import http.client
import json
import re
import secrets
import time
from urllib.parse import urlsplit

import pytest
import requests

from conftest import session_from

LOGIN = "/api/oauth/access-token/v1/"
VERIFY = "/api/oauth/%s/verify-token/v1/"
TIMEOUT = 30
TOKEN_RE = "[0-9a-f]{40}"
DATE_RE = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z"
LEGACY_BCRYPT = "$2y$10$CwuNhiptwoCO41TSmvxIj.U461K.wKoCdwEH52c9lzkm8Vjz7NybW"
MSG_REQUIRED = "grant_type, phone_number and password are required"
MSG_STRINGS = "grant_type, phone_number and password must be strings"


# --- helpers -----------------------------------------------------------------
def config_value(inst, key, default):
    """A key of the instance's configuration file (its default if unset)."""
    value = default
    try:
        with open(inst.config, encoding="utf-8") as f:
            for line in f:
                k, sep, v = line.partition("=")
                if sep and k.strip() == key:
                    value = v.strip()
    except OSError:
        pass
    return value


def chat_ttl(inst):
    return int(config_value(inst, "chat_token_ttl", "3600"))


def new_phone():
    """A phone number no other test uses (users.phone_number is unique)."""
    return "+1%010d" % secrets.randbelow(10 ** 10)


def compact(value):
    """JSON as the server writes it: compact, keys in the given order."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def five_keys(status, error, message):
    return compact({"message": message, "display_message": message,
                    "status": status, "error": error, "causes": None})


def assert_five(r, status, error, message):
    """The chat-app error: the five keys, byte for byte."""
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers.get("Content-Type") == "application/json", r.headers
    assert r.text == five_keys(status, error, message)


def assert_405(r, allow):
    """Seed 000: 405, text/html;charset=utf-8, no body."""
    assert r.status_code == 405, (r.status_code, r.text)
    assert r.headers.get("Content-Type") == "text/html;charset=utf-8"
    assert r.content == b""
    assert r.headers.get("Allow") == allow


def login(inst, phone, password, as_json=True, grant="password",
          client=requests, headers=None, path=LOGIN):
    data = {"grant_type": grant, "phone_number": phone, "password": password}
    if as_json:
        return client.post(inst.url + path, json=data, headers=headers,
                           timeout=TIMEOUT, allow_redirects=False)
    return client.post(inst.url + path, data=data, headers=headers,
                       timeout=TIMEOUT, allow_redirects=False)


def user_id(inst, username):
    rows = inst.sql("SELECT id FROM users WHERE username = %s",
                    username.encode("utf-8"))
    assert len(rows) == 1, rows
    return int(rows[0][0])


def digest(token):
    return hashlib.sha256(token.encode()).digest()


def token_row(inst, token):
    """(kind, client_ref, user_id, scope, created_ms, expires_at, revoked,
    session_id) of a token."""
    rows = inst.sql("SELECT kind, client_ref, user_id, scope, created_ms, "
                    "expires_at, revoked, session_id FROM tokens "
                    "WHERE digest = %s", digest(token))
    assert len(rows) == 1, rows
    return rows[0]


def iso_ms(ms):
    dt = datetime.datetime.fromtimestamp(ms // 1000, datetime.timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % (ms % 1000)


def assert_created(inst, r, uid):
    """The 201 of seed 000, byte for byte; returns the result object."""
    assert r.status_code == 201, (r.status_code, r.text)
    assert r.headers.get("Content-Type") == "application/json"
    assert r.headers.get("Cache-Control") == "no-store"
    assert r.headers.get("Pragma") == "no-cache"
    pattern = (r'\{"message":"Token created successfully","status":201,'
               r'"result":\{"access_token":"(?P<a>%s)",'
               r'"refresh_token":"(?P<r>%s)","token_type":"Bearer",'
               r'"expires_in":%d,"user_id":%d,'
               r'"date_created":"(?P<d>%s)"\}\}' % (
                   TOKEN_RE, TOKEN_RE, chat_ttl(inst), uid, DATE_RE))
    m = re.fullmatch(pattern, r.text)
    assert m, r.text
    assert m.group("a") != m.group("r")
    return r.json()["result"]


def chat_user(inst, new_user, **kw):
    """A user with a phone number: (username, password, phone, id)."""
    phone = new_phone()
    name, pw = new_user(phone=phone, **kw)
    return name, pw, phone, user_id(inst, name)


def chat_token(inst, phone, password, **kw):
    r = login(inst, phone, password, **kw)
    assert r.status_code == 201, r.text
    return r.json()["result"]


def verify(inst, uid, token, method="GET", scheme="Bearer", path=None,
           **kw):
    headers = kw.pop("headers", {})
    if token is not None:
        headers["Authorization"] = "%s %s" % (scheme, token)
    return requests.request(method, inst.url + (path or VERIFY % uid),
                            headers=headers, timeout=TIMEOUT,
                            allow_redirects=False, **kw)


class RawResponse:
    """A response read with http.client, shaped like requests' one."""

    def __init__(self, resp):
        self.status_code = resp.status
        self.headers = resp.headers  # case-insensitive .get()
        self.content = resp.read()
        self.text = self.content.decode("utf-8", errors="replace")

    def json(self):
        return json.loads(self.text)


def raw_request(inst, method, target, data=b"", headers=None):
    """Exactly this request target and these body bytes: for what requests
    would change (it re-quotes a URL's %-escapes)."""
    base = urlsplit(inst.url)
    conn = http.client.HTTPConnection(base.hostname, base.port,
                                      timeout=TIMEOUT)
    try:
        conn.putrequest(method, base.path.rstrip("/") + target,
                        skip_accept_encoding=True)
        for k, v in (headers or {}).items():
            conn.putheader(k, v)
        if data or method == "POST":
            conn.putheader("Content-Length", str(len(data)))
        conn.endheaders(data)
        return RawResponse(conn.getresponse())
    finally:
        conn.close()


def auth_header(token, scheme="Bearer"):
    return {"Authorization": "%s %s" % (scheme, token)}


def assert_verified(r, token, uid, date_created):
    """The 200 of seed 000's verify, byte for byte."""
    assert r.status_code == 200, (r.status_code, r.text)
    assert r.headers.get("Content-Type") == "application/json"
    # SPEC 12b: the body carries the token.
    assert r.headers.get("Cache-Control") == "no-store"
    assert r.text == compact({"result": {"access_token": token,
                                         "user_id": uid,
                                         "date_created": date_created},
                              "status": 200})


def assert_bad_token(r):
    assert_five(r, 401, "unauthorized", "Invalid or expired token")


def random_ip():
    return "127.%d.%d.%d" % (secrets.randbelow(200) + 20,
                             secrets.randbelow(250) + 1,
                             secrets.randbelow(250) + 1)


# --- POST /api/oauth/access-token/v1/ -----------------------------------------
def test_json_body_gives_201_with_the_documented_result(inst, new_user):
    name, pw, phone, uid = chat_user(inst, new_user)
    before = int(time.time() * 1000)
    r = login(inst, phone, pw, as_json=True)
    after = int(time.time() * 1000)
    res = assert_created(inst, r, uid)
    kind, client_ref, owner, scope, created_ms, expires_at, revoked, _ = \
        token_row(inst, res["access_token"])
    # What the 201 says is what was stored.
    assert (kind, client_ref, owner, revoked) == ("1", None, str(uid), "0")
    assert res["date_created"] == iso_ms(int(created_ms))
    assert before - 1000 <= int(created_ms) <= after + 1000
    assert int(expires_at) == int(created_ms) // 1000 + chat_ttl(inst)
    # SPEC 12b: a token issued without a client carries all five scopes.
    assert scope == "username email firstname lastname phone"
    assert token_row(inst, res["refresh_token"])[0] == "2"


def test_form_body_gives_the_same_201(inst, new_user):
    name, pw, phone, uid = chat_user(inst, new_user)
    assert_created(inst, login(inst, phone, pw, as_json=False), uid)


def test_multipart_form_body_gives_201(inst, new_user):
    name, pw, phone, uid = chat_user(inst, new_user)
    r = requests.post(inst.url + LOGIN, files={
        "grant_type": (None, "password"), "phone_number": (None, phone),
        "password": (None, pw)}, timeout=TIMEOUT)
    assert_created(inst, r, uid)


def test_path_without_trailing_slash_works_too(inst, new_user):
    name, pw, phone, uid = chat_user(inst, new_user)
    assert_created(inst, login(inst, phone, pw,
                               path="/api/oauth/access-token/v1"), uid)


def test_every_login_is_a_new_token_and_earlier_ones_stay_valid(inst,
                                                               new_user):
    name, pw, phone, uid = chat_user(inst, new_user)
    first = chat_token(inst, phone, pw)
    second = chat_token(inst, phone, pw)
    assert first["access_token"] != second["access_token"]
    assert first["refresh_token"] != second["refresh_token"]
    for res in (first, second):
        assert_verified(verify(inst, uid, res["access_token"]),
                        res["access_token"], uid, res["date_created"])
    # Each login is its own device session.
    assert token_row(inst, first["access_token"])[7] != \
        token_row(inst, second["access_token"])[7]


def test_user_agent_is_the_device_of_the_session(inst, new_user):
    name, pw, phone, uid = chat_user(inst, new_user)
    ua = "ChatApp/3.1 (Android 14; Pixel 8) \u00e9"
    res = chat_token(inst, phone, pw,
                     headers={"User-Agent": ua.encode("utf-8")})
    sid = token_row(inst, res["access_token"])[7]
    rows = inst.sql("SELECT HEX(device_info), user_id, client_ref FROM "
                    "sessions WHERE id = %s", int(sid))
    assert bytes.fromhex(rows[0][0]).decode("utf-8") == ua
    assert rows[0][1:] == (str(uid), None)


def test_wrong_password_gives_the_seed_401(inst, new_user):
    name, pw, phone, uid = chat_user(inst, new_user)
    assert_five(login(inst, phone, pw + "x"), 401, "unauthorized",
                "Wrong password")
    assert_five(login(inst, phone, pw + "x", as_json=False), 401,
                "unauthorized", "Wrong password")


def test_unknown_phone_number_gets_the_identical_401(inst, new_user):
    name, pw, phone, uid = chat_user(inst, new_user)
    wrong = login(inst, phone, "not-" + pw)
    unknown = login(inst, new_phone(), pw)
    assert_five(unknown, 401, "unauthorized", "Wrong password")
    assert unknown.content == wrong.content
    assert unknown.headers.get("Content-Type") == \
        wrong.headers.get("Content-Type")


def test_login_is_by_phone_number_not_username(inst, new_user):
    name, pw, phone, uid = chat_user(inst, new_user)
    assert_five(login(inst, name, pw), 401, "unauthorized", "Wrong password")


def test_disabled_user_cannot_get_a_token(inst, new_user):
    name, pw, phone, uid = chat_user(inst, new_user)
    inst.sql("UPDATE users SET disabled = 1 WHERE id = %s", uid)
    assert_five(login(inst, phone, pw), 401, "unauthorized", "Wrong password")


def test_no_token_is_stored_for_a_failed_login(inst, new_user):
    name, pw, phone, uid = chat_user(inst, new_user)
    login(inst, phone, "wrong")
    assert inst.sql("SELECT COUNT(*) FROM tokens WHERE user_id = %s",
                    uid) == [("0",)]


@pytest.mark.parametrize("as_json", [True, False])
@pytest.mark.parametrize("missing", ["grant_type", "phone_number",
                                     "password"])
def test_missing_field_gives_400_bad_request(inst, new_user, missing,
                                             as_json):
    name, pw, phone, uid = chat_user(inst, new_user)
    data = {"grant_type": "password", "phone_number": phone, "password": pw}
    del data[missing]
    kw = {"json": data} if as_json else {"data": data}
    r = requests.post(inst.url + LOGIN, timeout=TIMEOUT, **kw)
    assert_five(r, 400, "bad_request", MSG_REQUIRED)


@pytest.mark.parametrize("empty", ["grant_type", "phone_number", "password"])
def test_empty_field_gives_400_bad_request(inst, new_user, empty):
    name, pw, phone, uid = chat_user(inst, new_user)
    data = {"grant_type": "password", "phone_number": phone, "password": pw}
    data[empty] = ""
    r = requests.post(inst.url + LOGIN, json=data, timeout=TIMEOUT)
    assert_five(r, 400, "bad_request", MSG_REQUIRED)


def test_no_body_at_all_gives_400_bad_request(inst):
    r = requests.post(inst.url + LOGIN, timeout=TIMEOUT)
    assert_five(r, 400, "bad_request", MSG_REQUIRED)
    r = requests.post(inst.url + LOGIN, data=b"",
                      headers={"Content-Type": "application/json"},
                      timeout=TIMEOUT)
    assert_five(r, 400, "bad_request", MSG_REQUIRED)


@pytest.mark.parametrize("field", ["grant_type", "phone_number", "password"])
@pytest.mark.parametrize("value", [15551234567, 1.5, True, None,
                                   {"v": "x"}, ["x"], []])
def test_wrong_json_type_gives_400_bad_request(inst, new_user, field,
                                                value):
    name, pw, phone, uid = chat_user(inst, new_user)
    data = {"grant_type": "password", "phone_number": phone, "password": pw}
    data[field] = value
    r = requests.post(inst.url + LOGIN, json=data, timeout=TIMEOUT)
    assert_five(r, 400, "bad_request", MSG_STRINGS)
    assert inst.sql("SELECT COUNT(*) FROM tokens WHERE user_id = %s",
                    uid) == [("0",)]


@pytest.mark.parametrize("grant", ["client_credentials", "refresh_token",
                                   "authorization_code", "PASSWORD",
                                   "bogus"])
def test_other_grant_type_gives_400(inst, new_user, grant):
    name, pw, phone, uid = chat_user(inst, new_user)
    assert_five(login(inst, phone, pw, grant=grant), 400, "bad_request",
                "Unsupported grant_type")


@pytest.mark.parametrize("raw", [
    b"{", b"[]", b'"password"', b"null", b'{"grant_type":"password",}',
    b'{"grant_type":"password","grant_type":"password"}',
    b"{'grant_type':'password'}",
])
def test_malformed_json_gives_400(inst, raw):
    r = requests.post(inst.url + LOGIN, data=raw, timeout=TIMEOUT,
                      headers={"Content-Type": "application/json"})
    assert_five(r, 400, "bad_request", "Malformed request")


@pytest.mark.parametrize("raw", [
    b"grant_type=password&phone_number=%zz&password=x",
    b"grant_type=password&phone_number=%ff&password=x",
    b"grant_type=password&phone_number=1%00&password=x",
    b"grant_type=password&phone_number=1&password=%",
])
def test_malformed_form_body_gives_400(inst, raw):
    r = requests.post(inst.url + LOGIN, data=raw, timeout=TIMEOUT, headers={
        "Content-Type": "application/x-www-form-urlencoded"})
    assert_five(r, 400, "bad_request", "Malformed request")


@pytest.mark.parametrize("query", ["x=%zz", "x=%ff", "x=%00", "x=%"])
def test_malformed_query_string_gives_400(inst, new_user, query):
    name, pw, phone, uid = chat_user(inst, new_user)
    r = raw_request(inst, "POST", LOGIN + "?" + query, json.dumps({
        "grant_type": "password", "phone_number": phone,
        "password": pw}).encode(), {"Content-Type": "application/json"})
    assert_five(r, 400, "bad_request", "Malformed request")


def test_other_content_type_gives_400(inst, new_user):
    name, pw, phone, uid = chat_user(inst, new_user)
    r = requests.post(inst.url + LOGIN, timeout=TIMEOUT,
                      data="grant_type=password&phone_number=%s&password=%s"
                      % (phone, pw), headers={"Content-Type": "text/plain"})
    assert_five(r, 400, "bad_request", "Send a JSON or form body")


def test_body_over_64_kib_gives_413(inst, new_user):
    name, pw, phone, uid = chat_user(inst, new_user)
    data = {"grant_type": "password", "phone_number": phone, "password": pw,
            "pad": "x" * (64 * 1024)}
    assert_five(requests.post(inst.url + LOGIN, json=data, timeout=TIMEOUT),
                413, "payload_too_large", "Request body too large")
    assert_five(requests.post(inst.url + LOGIN, data=data, timeout=TIMEOUT),
                413, "payload_too_large", "Request body too large")
    assert inst.sql("SELECT COUNT(*) FROM tokens WHERE user_id = %s",
                    uid) == [("0",)]


def test_body_of_exactly_64_kib_is_read(inst, new_user):
    name, pw, phone, uid = chat_user(inst, new_user)
    head = "grant_type=password&phone_number=%s&password=%s&pad=" % (
        requests.utils.quote(phone, safe=""), requests.utils.quote(pw,
                                                                   safe=""))
    body = head + "x" * (64 * 1024 - len(head))
    assert len(body) == 65536
    r = requests.post(inst.url + LOGIN, data=body, timeout=TIMEOUT, headers={
        "Content-Type": "application/x-www-form-urlencoded"})
    assert_created(inst, r, uid)
    r = requests.post(inst.url + LOGIN, data=body + "x", timeout=TIMEOUT,
                      headers={"Content-Type":
                               "application/x-www-form-urlencoded"})
    assert_five(r, 413, "payload_too_large", "Request body too large")


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH",
                                    "OPTIONS"])
@pytest.mark.parametrize("path", [LOGIN, LOGIN.rstrip("/")])
def test_wrong_method_on_access_token_gives_bare_405(inst, method, path):
    r = requests.request(method, inst.url + path, timeout=TIMEOUT)
    assert_405(r, "POST")


def test_head_on_access_token_gives_405(inst):
    r = requests.head(inst.url + LOGIN, timeout=TIMEOUT)
    assert r.status_code == 405
    assert r.headers.get("Content-Type") == "text/html;charset=utf-8"
    assert r.headers.get("Allow") == "POST"


# --- the login throttle and the password hashes (SPEC 3, 11) -----------------
def test_throttle_by_phone_number_refuses_even_the_right_password(inst,
                                                                  new_user):
    name, pw, phone, uid = chat_user(inst, new_user)
    limit = int(config_value(inst, "throttle_user_max", "5"))
    s = session_from(random_ip())
    for _ in range(limit):
        assert_five(login(inst, phone, "wrong", client=s), 401,
                    "unauthorized", "Wrong password")
    r = login(inst, phone, pw, client=s)
    assert_five(r, 429, "too_many_requests",
                "Too many failed login attempts. Please try again later.")
    assert re.fullmatch("[1-9][0-9]*", r.headers.get("Retry-After", "")), \
        r.headers
    # Another user on the same address is not blocked (SPEC 11).
    other = chat_user(inst, new_user)
    assert_created(inst, login(inst, other[2], other[1], client=s), other[3])


def test_throttle_by_address_is_shared_with_the_legacy_login(inst, new_user):
    """The same throttle as every dialect: failures through the chat app
    lock the address for the legacy login too (and the reverse)."""
    limit = int(config_value(inst, "throttle_ip_max", "20"))
    name, pw, phone, uid = chat_user(inst, new_user)
    s = session_from(random_ip())
    for _ in range(limit):
        assert login(inst, new_phone(), "wrong", client=s).status_code == 401
    legacy = s.post(inst.url + "/v1/oauth/", data={"username": name,
                                                   "password": pw},
                    timeout=TIMEOUT)
    assert legacy.status_code == 429, legacy.text
    assert json.loads(legacy.text)["errors"]["code"] == "1429"
    assert_five(login(inst, phone, pw, client=s), 429, "too_many_requests",
                "Too many failed login attempts. Please try again later.")

    # The reverse: legacy failures lock the chat login of that address.
    inst.sql("DELETE FROM login_failures")
    s = session_from(random_ip())
    for _ in range(limit):
        r = s.post(inst.url + "/v1/oauth/", timeout=TIMEOUT, data={
            "username": "nobody-" + secrets.token_hex(6), "password": "x"})
        assert r.status_code == 200 and '"1142"' in r.text, r.text
    r = login(inst, phone, pw, client=s)
    assert_five(r, 429, "too_many_requests",
                "Too many failed login attempts. Please try again later.")
    assert r.headers.get("Retry-After", "").isdigit()


def test_a_successful_login_clears_the_phone_numbers_failures(inst,
                                                             new_user):
    name, pw, phone, uid = chat_user(inst, new_user)
    limit = int(config_value(inst, "throttle_user_max", "5"))
    s = session_from(random_ip())
    for _ in range(limit - 1):
        login(inst, phone, "wrong", client=s)
    assert_created(inst, login(inst, phone, pw, client=s), uid)
    for _ in range(limit - 1):
        login(inst, phone, "wrong", client=s)
    assert_created(inst, login(inst, phone, pw, client=s), uid)


def test_legacy_php_bcrypt_hash_verifies_and_is_upgraded(inst, new_user):
    """SPEC 3: the same hashing as every login: a $2y$10$ hash from the
    legacy table verifies, and is replaced by the configured scheme."""
    name, pw, phone, uid = chat_user(inst, new_user)
    inst.sql("UPDATE users SET password_hash = %s WHERE id = %s",
             LEGACY_BCRYPT.encode(), uid)
    assert_five(login(inst, phone, "Password"), 401, "unauthorized",
                "Wrong password")
    assert inst.sql("SELECT password_hash FROM users WHERE id = %s",
                    uid) == [(LEGACY_BCRYPT,)]
    assert_created(inst, login(inst, phone, "password"), uid)
    stored = inst.sql("SELECT password_hash FROM users WHERE id = %s",
                      uid)[0][0]
    scheme = config_value(inst, "password_scheme", "yescrypt")
    assert stored != LEGACY_BCRYPT
    assert stored.startswith("$y$" if scheme == "yescrypt" else "$2")
    # The new hash works for both dialects that log in by password.
    assert_created(inst, login(inst, phone, "password"), uid)
    r = requests.post(inst.url + "/v1/oauth/", timeout=TIMEOUT, data={
        "username": name, "password": "password"})
    assert '"success": true' in r.text


# --- GET|POST /api/oauth/<user_id>/verify-token/v1/ ----------------------------
@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("slash", ["/", ""])
def test_verify_live_token_of_that_user_gives_200(inst, new_user, method,
                                                 slash):
    name, pw, phone, uid = chat_user(inst, new_user)
    res = chat_token(inst, phone, pw)
    path = (VERIFY % uid).rstrip("/") + slash
    r = verify(inst, uid, res["access_token"], method=method, path=path)
    assert_verified(r, res["access_token"], uid, res["date_created"])


def test_verify_by_post_with_a_body_gives_200(inst, new_user):
    name, pw, phone, uid = chat_user(inst, new_user)
    res = chat_token(inst, phone, pw)
    for kw in ({"json": {"x": 1}}, {"data": {"x": "1"}}):
        r = verify(inst, uid, res["access_token"], method="POST", **kw)
        assert_verified(r, res["access_token"], uid, res["date_created"])


def test_verify_bearer_scheme_is_case_insensitive(inst, new_user):
    name, pw, phone, uid = chat_user(inst, new_user)
    res = chat_token(inst, phone, pw)
    for scheme in ("bearer", "BEARER"):
        assert_verified(verify(inst, uid, res["access_token"],
                               scheme=scheme),
                        res["access_token"], uid, res["date_created"])


def test_verify_token_of_another_user_gives_401(inst, new_user):
    a = chat_user(inst, new_user)
    b = chat_user(inst, new_user)
    token = chat_token(inst, a[2], a[1])["access_token"]
    assert_bad_token(verify(inst, b[3], token))
    assert_bad_token(verify(inst, b[3], token, method="POST"))
    # A user id that exists for nobody is no better.
    assert_bad_token(verify(inst, 10 ** 15, token))


def test_verify_expired_token_gives_401(inst, new_user):
    name, pw, phone, uid = chat_user(inst, new_user)
    token = chat_token(inst, phone, pw)["access_token"]
    inst.sql("UPDATE tokens SET expires_at = %s WHERE digest = %s",
             int(time.time()) - 1, digest(token))
    assert_bad_token(verify(inst, uid, token))
    assert_bad_token(verify(inst, uid, token, method="POST"))


def test_verify_revoked_token_gives_401(inst, new_user):
    name, pw, phone, uid = chat_user(inst, new_user)
    token = chat_token(inst, phone, pw)["access_token"]
    inst.sql("UPDATE tokens SET revoked = 1 WHERE digest = %s",
             digest(token))
    assert_bad_token(verify(inst, uid, token))


def test_verify_token_of_a_signed_out_session_gives_401(inst, new_user):
    name, pw, phone, uid = chat_user(inst, new_user)
    token = chat_token(inst, phone, pw)["access_token"]
    proc = inst.cli("revoke", "--user", name)
    assert proc.returncode == 0, proc.stderr
    assert_bad_token(verify(inst, uid, token))


@pytest.mark.parametrize("token", [
    "0" * 40, "6a9382f695dc36f38e46dc08726fc8a3a22a270f", "garbage",
    "A" * 40, "a" * 400, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"])
def test_verify_unknown_token_gives_401(inst, new_user, token):
    name, pw, phone, uid = chat_user(inst, new_user)
    assert_bad_token(verify(inst, uid, token))


def test_verify_refresh_token_is_not_an_access_token(inst, new_user):
    name, pw, phone, uid = chat_user(inst, new_user)
    res = chat_token(inst, phone, pw)
    assert_bad_token(verify(inst, uid, res["refresh_token"]))


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer   ",
                                    "Token %s", "Basic %s", "%s"])
def test_verify_without_bearer_token_gives_401(inst, new_user, header):
    name, pw, phone, uid = chat_user(inst, new_user)
    token = chat_token(inst, phone, pw)["access_token"]
    headers = {} if header is None else {
        "Authorization": header.replace("%s", token)}
    r = verify(inst, uid, None, headers=headers)
    assert_five(r, 401, "unauthorized", "Missing bearer token")


@pytest.mark.parametrize("bad_id", ["abc", "-1", "1.5", "1e3", "0x10",
                                    "99999999999999999999999", "%20"])
def test_verify_non_numeric_user_id_gives_404(inst, new_user, bad_id):
    name, pw, phone, uid = chat_user(inst, new_user)
    token = chat_token(inst, phone, pw)["access_token"]
    r = verify(inst, None, token, path=VERIFY % bad_id)
    assert_five(r, 404, "not_found", "User not found")


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS"])
def test_wrong_method_on_verify_gives_bare_405(inst, new_user, method):
    r = requests.request(method, inst.url + VERIFY % 1, timeout=TIMEOUT,
                         headers={"Authorization": "Bearer " + "0" * 40})
    assert_405(r, "GET, HEAD, POST")


def test_verify_body_over_64_kib_gives_413(inst, new_user):
    name, pw, phone, uid = chat_user(inst, new_user)
    token = chat_token(inst, phone, pw)["access_token"]
    r = verify(inst, uid, token, method="POST",
               data={"pad": "x" * (64 * 1024)})
    assert_five(r, 413, "payload_too_large", "Request body too large")


@pytest.mark.parametrize("raw,ctype", [
    (b"{", "application/json"), (b"[1,2]", "application/json"),
    (b"a=%zz", "application/x-www-form-urlencoded"),
])
def test_verify_malformed_body_gives_400(inst, new_user, raw, ctype):
    name, pw, phone, uid = chat_user(inst, new_user)
    token = chat_token(inst, phone, pw)["access_token"]
    r = verify(inst, uid, token, method="POST", data=raw,
               headers={"Content-Type": ctype})
    assert_five(r, 400, "bad_request", "Malformed request")


@pytest.mark.parametrize("query", ["a=%zz", "a=%ff", "a=%00"])
def test_verify_malformed_query_gives_400(inst, new_user, query):
    name, pw, phone, uid = chat_user(inst, new_user)
    token = chat_token(inst, phone, pw)["access_token"]
    r = raw_request(inst, "GET", VERIFY % uid + "?" + query,
                    headers=auth_header(token))
    assert_five(r, 400, "bad_request", "Malformed request")


def test_verify_does_not_extend_the_token(inst, new_user):
    name, pw, phone, uid = chat_user(inst, new_user)
    token = chat_token(inst, phone, pw)["access_token"]
    before = token_row(inst, token)[5]
    verify(inst, uid, token)
    assert token_row(inst, token)[5] == before


def test_unknown_path_under_api_oauth_is_a_plain_404(inst):
    for path in ("/api/oauth/", "/api/oauth/access-token/v2/",
                 "/api/oauth/1/verify-token/v2/", "/api/oauth/1/2/v1/"):
        r = requests.get(inst.url + path, timeout=TIMEOUT)
        assert r.status_code == 404, (path, r.text)
