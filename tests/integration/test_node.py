"""Node-server dialect (SPEC section N, seed 001): POST /register_client,
POST /register_user, GET /authorize (the login and consent pages of
section 9), POST /token (authorization_code, refresh_token,
client_credentials) and GET|POST /api, through Apache + mod_fcgid + MariaDB.

Successes are {"status":"SUCCESS",...} exactly as the seed shows them;
every error is {"status":"FAILED","message":...} with a 4xx/5xx status,
compared byte for byte. The registration policy (off / open / token) can
only be changed by configuration, so those tests run the binary as plain
CGI (run_cgi from test_dialect_switch.py).

The helpers at the top (the login/consent driver, registration) are shared
with test_phone.py and test_cross_dialect.py.
"""
import hashlib
import json
import re
import secrets
import time
from html.parser import HTMLParser
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests

from test_dialect_switch import run_cgi

TIMEOUT = 30
TOKEN_RE = re.compile("[0-9a-f]{40}")
USER_SCOPES = ("username", "email", "firstname", "lastname", "phone")


# --- helpers: JSON shapes --------------------------------------------------------
def compact(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def assert_failed(r, status, message):
    """The node error: {"status":"FAILED","message":...}, byte for byte."""
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers.get("Content-Type") == "application/json", r.headers
    assert r.text == compact({"status": "FAILED", "message": message})


def assert_success(r, message):
    assert r.status_code == 200, (r.status_code, r.text)
    assert r.headers.get("Content-Type") == "application/json"
    assert r.text == compact({"status": "SUCCESS", "message": message})


def assert_tokens(r, refresh=True):
    """The /token answer of seed 001: status, access_token[,
    refresh_token] in that order and nothing else. Returns the dict."""
    assert r.status_code == 200, (r.status_code, r.text)
    assert r.headers.get("Content-Type") == "application/json"
    assert r.headers.get("Cache-Control") == "no-store"
    assert r.headers.get("Pragma") == "no-cache"
    doc = json.loads(r.text)
    keys = ["status", "access_token"] + (["refresh_token"] if refresh else [])
    assert list(doc) == keys, r.text
    assert doc["status"] == "SUCCESS"
    assert r.text == compact(doc)
    for k in keys[1:]:
        assert TOKEN_RE.fullmatch(doc[k]), r.text
    return doc


def assert_api(r, data):
    """The /api answer: {"status":"SUCCESS","data":{...}} with exactly the
    fields given."""
    assert r.status_code == 200, (r.status_code, r.text)
    assert r.headers.get("Content-Type") == "application/json"
    assert r.headers.get("Cache-Control") == "no-store"
    doc = json.loads(r.text)
    assert list(doc) == ["status", "data"], r.text
    assert doc == {"status": "SUCCESS", "data": data}, r.text
    assert r.text == compact(doc)


def digest(token):
    return hashlib.sha256(token.encode()).digest()


def iss(inst):
    """RFC 9207 (SPEC 14): every authorization response ends with iss."""
    issuer = inst.url
    with open(inst.config, encoding="utf-8") as f:
        for line in f:
            k, sep, v = line.partition("=")
            if sep and k.strip() == "issuer":
                issuer = v.strip()
    return "&iss=" + quote(issuer, safe="")


def new_phone():
    return "+44%010d" % secrets.randbelow(10 ** 10)


# --- helpers: registration --------------------------------------------------------
def register_client(inst, as_json=True, redirect_uri=None, **extra):
    """POST /register_client; returns (client_id, secret, redirect_uri)."""
    cid = "node_" + secrets.token_hex(6)
    secret = "sec-" + secrets.token_urlsafe(12)
    uri = redirect_uri or "%s/cb/%s" % (inst.url, cid)
    data = {"client_id": cid, "client_secret": secret, "redirect_uri": uri}
    data.update(extra)
    kw = {"json": data} if as_json else {"data": data}
    r = requests.post(inst.url + "/register_client", timeout=TIMEOUT, **kw)
    assert_success(r, "register client successfully")
    return cid, secret, uri


def register_user(inst, as_json=True, **override):
    """POST /register_user; returns the fields sent (a dict)."""
    name = "nu_" + secrets.token_hex(6)
    data = {"firstname": "Grace", "lastname": "Hopper", "username": name,
            "phone": new_phone(), "email": name + "@example.com",
            "password": "pw-" + secrets.token_urlsafe(12)}
    data.update(override)
    data = {k: v for k, v in data.items() if v is not None}
    kw = {"json": data} if as_json else {"data": data}
    r = requests.post(inst.url + "/register_user", timeout=TIMEOUT, **kw)
    assert_success(r, "register user successfully")
    return data


def cli_client(inst, grants, scopes=None, uri=None, name="Node Test App",
               resource_server=False):
    """A client made with the CLI: (client_id, secret, redirect_uri)."""
    cid = "cli_" + secrets.token_hex(6)
    uri = uri or "%s/cb/%s" % (inst.url, cid)
    args = ["client", "add", cid, "--redirect-uri", uri, "--grant",
            " ".join(grants), "--name", name]
    if scopes:
        args += ["--scope", scopes]
    if resource_server:
        args.append("--resource-server")
    proc = inst.cli(*args)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    secret = None
    for line in proc.stdout.splitlines():
        if line.startswith("client_secret: "):
            secret = line.split(": ", 1)[1].strip()
    assert secret, proc.stdout
    return cid, secret, uri


# --- helpers: the login and consent pages, as a browser would use them --------
class _Form:
    def __init__(self, method, action):
        self.method, self.action = method, action
        self.fields, self.buttons = [], []


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append(_Form(a.get("method"), a.get("action")))
        elif self.forms and tag == "input" and a.get("type") == "hidden":
            self.forms[-1].fields.append((a.get("name"), a.get("value")))
        elif self.forms and tag == "button":
            self.forms[-1].buttons.append((a.get("name"), a.get("value")))


class Browser:
    """A requests.Session playing the browser: never follows redirects,
    keeps the CSRF and sign-in cookies, submits the pages' forms."""

    def __init__(self, inst):
        self.inst = inst
        self.s = requests.Session()
        self.s.trust_env = False
        self.s.headers["User-Agent"] = "pytest-node-browser/1.0"

    def get(self, path_or_url, params=None):
        url = path_or_url if "://" in path_or_url else \
            self.inst.url + path_or_url
        return self.s.get(url, params=params, allow_redirects=False,
                          timeout=TIMEOUT)

    def submit(self, page, action, extra=()):
        p = _FormParser()
        p.feed(page.text)
        for f in p.forms:
            if ("action", action) in f.buttons:
                assert f.method == "post"
                data = list(f.fields) + list(extra) + [("action", action)]
                return self.s.post(self.inst.url + f.action, data=data,
                                   allow_redirects=False, timeout=TIMEOUT)
        raise AssertionError("no form with action=%s in %s" % (
            action, page.text[:2000]))


def sign_in_to_consent(b, path, params, username, password):
    """GET the authorization path, sign in, follow the 303: returns the
    consent page."""
    r = b.get(path, params)
    assert r.status_code == 200, (r.status_code, r.headers, r.text[:500])
    assert 'name="password"' in r.text, r.text[:2000]
    r = b.submit(r, "login", [("username", username),
                              ("password", password)])
    assert r.status_code == 303, (r.status_code, r.text[:500])
    r = b.get(r.headers["Location"])
    assert r.status_code == 200, (r.status_code, r.text[:500])
    assert 'value="approve"' in r.text, r.text[:2000]
    return r


def authorize(inst, path, params, username, password, decision="approve"):
    """The whole page flow; returns the final redirect response (303)."""
    b = Browser(inst)
    consent = sign_in_to_consent(b, path, params, username, password)
    r = b.submit(consent, decision)
    assert r.status_code == 303, (r.status_code, r.text[:500])
    return r


def split_location(r):
    """(URI before '?'/'#', query dict, fragment dict), single values."""
    loc = r.headers["Location"]
    parts = urlsplit(loc)
    base = "%s://%s%s" % (parts.scheme, parts.netloc, parts.path)
    q = {k: v[0] if len(v) == 1 else v for k, v in
         parse_qs(parts.query, keep_blank_values=True).items()}
    f = {k: v[0] if len(v) == 1 else v for k, v in
         parse_qs(parts.fragment, keep_blank_values=True).items()}
    return base, q, f


def node_code(inst, client, user, scope="username email", state=None):
    """Authorize through GET /authorize; returns the code."""
    cid, secret, uri = client
    state = state or "st-" + secrets.token_hex(4)
    params = {"client_id": cid, "response_type": "code",
              "redirect_uri": uri, "scope": scope, "state": state}
    r = authorize(inst, "/authorize", params, user["username"],
                  user["password"])
    loc = r.headers["Location"]
    m = re.fullmatch(re.escape(uri) + r"\?code=([0-9a-f]{40})&state=" +
                     re.escape(quote(state, safe="") + iss(inst)), loc)
    assert m, loc
    return m.group(1)


def token_request(inst, data, as_json=False, auth=None):
    kw = {"json": data} if as_json else {"data": data}
    return requests.post(inst.url + "/token", timeout=TIMEOUT, auth=auth,
                         **kw)


def exchange(inst, client, code, **extra):
    cid, secret, uri = client
    data = {"grant_type": "authorization_code", "client_id": cid,
            "client_secret": secret, "code": code, "redirect_uri": uri}
    data.update(extra)
    return token_request(inst, data)


def api(inst, token, method="POST", **kw):
    headers = kw.pop("headers", {})
    if token is not None:
        headers["Authorization"] = "Bearer " + token
    if method == "POST" and "data" not in kw and "json" not in kw:
        # The seed's call: form content type, Bearer header.
        kw["data"] = {}
        headers.setdefault("Content-Type",
                           "application/x-www-form-urlencoded")
    return requests.request(method, inst.url + "/api", headers=headers,
                            timeout=TIMEOUT, **kw)


def user_fields(user, scopes):
    """The /api data for a registered user and a scope list."""
    out = {}
    for s in scopes:
        if user.get(s) is not None and user.get(s) != "":
            out[s] = user[s]
    return out


@pytest.fixture
def client(inst):
    return register_client(inst)


@pytest.fixture
def user(inst):
    return register_user(inst)


# --- POST /register_client ---------------------------------------------------------
@pytest.mark.parametrize("as_json", [True, False])
def test_register_client_gives_the_seed_answer(inst, as_json):
    cid, secret, uri = register_client(inst, as_json=as_json)
    rows = inst.sql("SELECT secret_hash, redirect_uris, grants, is_public, "
                    "name FROM clients WHERE client_id = %s", cid.encode())
    assert len(rows) == 1
    h, uris, grants, public, name = rows[0]
    # A secret chosen by a person is stored with the password hash (SPEC 3).
    assert secret not in h and h.startswith("$")
    assert (uris, public, name) == (uri, "0", cid)
    # SPEC 12b: the default grants.
    assert grants.split() == ["authorization_code", "refresh_token"]


def test_registered_client_authenticates_with_its_chosen_secret(inst):
    client = register_client(inst, grants="client_credentials")
    cid, secret, _ = client
    ok = token_request(inst, {"grant_type": "client_credentials",
                              "client_id": cid, "client_secret": secret})
    assert_tokens(ok, refresh=False)
    bad = token_request(inst, {"grant_type": "client_credentials",
                               "client_id": cid, "client_secret": secret +
                               "x"})
    assert_failed(bad, 401, "invalid client")


@pytest.mark.parametrize("grants", [
    ["client_credentials", "authorization_code"],
    "client_credentials authorization_code",
    "client_credentials,authorization_code",
])
def test_register_client_grants_as_array_or_separated_string(inst, grants):
    client = register_client(inst, grants=grants)
    cid, secret, uri = client
    # client_credentials was granted ...
    assert_tokens(token_request(inst, {
        "grant_type": "client_credentials", "client_id": cid,
        "client_secret": secret}), refresh=False)
    # ... and refresh_token was not.
    r = token_request(inst, {"grant_type": "refresh_token", "client_id": cid,
                             "client_secret": secret,
                             "refresh_token": "0" * 40})
    assert_failed(r, 400, "the client may not use this grant type")


@pytest.mark.parametrize("scope", ["username email", "username,email",
                                   ["username", "email"]])
def test_register_client_scope_limits_what_it_may_ask(inst, user, scope):
    client = register_client(inst, scope=scope)
    cid, secret, uri = client
    b = Browser(inst)
    r = b.get("/authorize", {"client_id": cid, "response_type": "code",
                             "redirect_uri": uri, "scope": "phone",
                             "state": "s1"})
    base, q, _ = split_location(r)
    assert r.status_code == 302 and base == uri, r.headers
    assert q["error"] == "invalid_scope" and q["state"] == "s1"
    code = node_code(inst, client, user, scope="email")
    tok = assert_tokens(exchange(inst, client, code))
    assert_api(api(inst, tok["access_token"]), {"email": user["email"]})


def test_register_client_twice_gives_409(inst):
    cid, secret, uri = register_client(inst)
    r = requests.post(inst.url + "/register_client", timeout=TIMEOUT, json={
        "client_id": cid, "client_secret": "other", "redirect_uri": uri})
    assert_failed(r, 409, "client_id already registered")
    # The first registration is untouched.
    assert inst.sql("SELECT COUNT(*) FROM clients WHERE client_id = %s",
                    cid.encode()) == [("1",)]


@pytest.mark.parametrize("as_json", [True, False])
@pytest.mark.parametrize("field", ["client_id", "client_secret",
                                   "redirect_uri"])
@pytest.mark.parametrize("how", ["missing", "empty"])
def test_register_client_without_a_required_field_gives_400(inst, field, how,
                                                            as_json):
    data = {"client_id": "node_" + secrets.token_hex(6),
            "client_secret": "s", "redirect_uri": inst.url + "/cb"}
    if how == "missing":
        del data[field]
    else:
        data[field] = ""
    kw = {"json": data} if as_json else {"data": data}
    r = requests.post(inst.url + "/register_client", timeout=TIMEOUT, **kw)
    assert_failed(r, 400, "client_id, client_secret and redirect_uri are "
                  "required")
    if field != "client_id":
        assert inst.sql("SELECT COUNT(*) FROM clients WHERE client_id = %s",
                        data["client_id"].encode()) == [("0",)]


@pytest.mark.parametrize("field,value", [
    ("client_id", 5), ("client_id", ["a"]), ("client_secret", 12345),
    ("client_secret", {"a": "b"}), ("redirect_uri", ["http://x/cb"]),
    ("redirect_uri", None), ("scope", 5), ("grants", 5),
    ("grants", {"a": 1}), ("grants", ["client_credentials", 1]),
    ("client_secret", True),
])
def test_register_client_with_a_wrong_json_type_gives_400(inst, field,
                                                          value):
    data = {"client_id": "node_" + secrets.token_hex(6),
            "client_secret": "s", "redirect_uri": inst.url + "/cb"}
    data[field] = value
    r = requests.post(inst.url + "/register_client", json=data,
                      timeout=TIMEOUT)
    assert_failed(r, 400, "client_id, client_secret, redirect_uri and scope "
                  "must be strings; grants a string or an array")


@pytest.mark.parametrize("grants", ["bogus", "client_credentials bogus",
                                    ["authorization_code", "magic"]])
def test_register_client_with_an_unknown_grant_gives_400(inst, grants):
    r = requests.post(inst.url + "/register_client", timeout=TIMEOUT, json={
        "client_id": "node_" + secrets.token_hex(6), "client_secret": "s",
        "redirect_uri": inst.url + "/cb", "grants": grants})
    assert_failed(r, 400, "grants may hold authorization_code, "
                  "refresh_token, client_credentials, password")


@pytest.mark.parametrize("uri,message", [
    ("javascript:alert(1)", "redirect URIs must not use a script scheme"),
    ("not a uri", "redirect URIs must be absolute, without fragment or "
     "spaces"),
    ("/relative/cb", "redirect URIs must be absolute, without fragment or "
     "spaces"),
    ("http://client.example/cb#frag", "redirect URIs must be absolute, "
     "without fragment or spaces"),
])
def test_register_client_with_a_bad_redirect_uri_gives_400(inst, uri,
                                                           message):
    cid = "node_" + secrets.token_hex(6)
    r = requests.post(inst.url + "/register_client", timeout=TIMEOUT, json={
        "client_id": cid, "client_secret": "s", "redirect_uri": uri})
    assert_failed(r, 400, message)
    assert inst.sql("SELECT COUNT(*) FROM clients WHERE client_id = %s",
                    cid.encode()) == [("0",)]


@pytest.mark.parametrize("length", [192, 300])
def test_register_client_with_a_too_long_client_id_gives_400(inst, length):
    """Refused whole, never cut to 191 characters and registered."""
    cid = secrets.token_hex(8) + "c" * (length - 16)
    r = requests.post(inst.url + "/register_client", timeout=TIMEOUT, json={
        "client_id": cid, "client_secret": "s",
        "redirect_uri": inst.url + "/cb"})
    assert_failed(r, 400, "client_id must be 1 to 191 characters")
    for c in (cid, cid[:191]):
        assert inst.sql("SELECT COUNT(*) FROM clients WHERE client_id = %s",
                        c.encode()) == [("0",)]


def test_register_client_id_with_a_space_gives_400(inst):
    r = requests.post(inst.url + "/register_client", timeout=TIMEOUT, json={
        "client_id": "my app " + secrets.token_hex(4), "client_secret": "s",
        "redirect_uri": inst.url + "/cb"})
    assert_failed(r, 400, "client_id must not hold spaces or controls")


def test_register_client_id_limit_counts_characters_not_bytes(inst):
    cid = "\u00e9" * 150 + secrets.token_hex(4)
    r = requests.post(inst.url + "/register_client", timeout=TIMEOUT, json={
        "client_id": cid, "client_secret": "s",
        "redirect_uri": inst.url + "/cb"})
    assert_success(r, "register client successfully")
    assert inst.sql("SELECT COUNT(*) FROM clients WHERE client_id = %s",
                    cid.encode()) == [("1",)]


# --- POST /register_user -----------------------------------------------------------
@pytest.mark.parametrize("as_json", [True, False])
def test_register_user_gives_the_seed_answer_and_stores_the_user(inst,
                                                                 as_json):
    u = register_user(inst, as_json=as_json)
    rows = inst.sql("SELECT firstname, lastname, phone_number, email, "
                    "password_hash, disabled FROM users WHERE username = %s",
                    u["username"].encode())
    assert len(rows) == 1
    first, last, phone, email, h, disabled = rows[0]
    assert (first, last, phone, email, disabled) == (
        u["firstname"], u["lastname"], u["phone"], u["email"], "0")
    assert u["password"] not in h
    scheme = "yescrypt"
    with open(inst.config, encoding="utf-8") as f:
        for line in f:
            k, sep, v = line.partition("=")
            if sep and k.strip() == "password_scheme":
                scheme = v.strip()
    assert h.startswith("$y$" if scheme == "yescrypt" else "$2")


def test_registered_user_logs_in_through_other_dialects(inst, user):
    """One core: the chat app (by phone) and the legacy API (by name)."""
    r = requests.post(inst.url + "/api/oauth/access-token/v1/", json={
        "grant_type": "password", "phone_number": user["phone"],
        "password": user["password"]}, timeout=TIMEOUT)
    assert r.status_code == 201, r.text
    r = requests.post(inst.url + "/v1/oauth/", data={
        "username": user["username"], "password": user["password"]},
        timeout=TIMEOUT)
    assert r.status_code == 200 and '"success": true' in r.text, r.text


def test_register_user_with_only_username_and_password(inst):
    """The other fields are optional; two users without phone or email do
    not collide (absent is NULL, not an empty string)."""
    for _ in range(2):
        u = register_user(inst, firstname=None, lastname=None, phone=None,
                          email=None)
        rows = inst.sql("SELECT firstname, lastname, phone_number, email "
                        "FROM users WHERE username = %s",
                        u["username"].encode())
        assert rows == [("", "", None, None)]
    for _ in range(2):
        register_user(inst, phone="", email="")


@pytest.mark.parametrize("field", ["username", "phone", "email"])
def test_register_user_duplicate_gives_409(inst, field):
    first = register_user(inst)
    data = {"firstname": "A", "lastname": "B",
            "username": "nu_" + secrets.token_hex(6), "phone": new_phone(),
            "email": secrets.token_hex(6) + "@example.com", "password": "pw"}
    data[field] = first[field]
    r = requests.post(inst.url + "/register_user", json=data,
                      timeout=TIMEOUT)
    assert_failed(r, 409, "username, phone or email already registered")
    assert inst.sql("SELECT COUNT(*) FROM users WHERE username = %s",
                    data["username"].encode()) == [("1" if field ==
                                                    "username" else "0",)]


def test_register_user_duplicate_username_differing_in_case_gives_409(inst):
    first = register_user(inst)
    r = requests.post(inst.url + "/register_user", timeout=TIMEOUT, json={
        "username": first["username"].upper(), "password": "pw"})
    assert_failed(r, 409, "username, phone or email already registered")


@pytest.mark.parametrize("as_json", [True, False])
@pytest.mark.parametrize("field", ["username", "password"])
@pytest.mark.parametrize("how", ["missing", "empty"])
def test_register_user_without_username_or_password_gives_400(inst, field,
                                                              how, as_json):
    data = {"username": "nu_" + secrets.token_hex(6), "password": "pw",
            "email": secrets.token_hex(6) + "@example.com"}
    if how == "missing":
        del data[field]
    else:
        data[field] = ""
    kw = {"json": data} if as_json else {"data": data}
    r = requests.post(inst.url + "/register_user", timeout=TIMEOUT, **kw)
    assert_failed(r, 400, "username and password are required")
    assert inst.sql("SELECT COUNT(*) FROM users WHERE email = %s",
                    data["email"].encode()) == [("0",)]


@pytest.mark.parametrize("field", ["firstname", "lastname", "username",
                                   "phone", "email", "password"])
@pytest.mark.parametrize("value", [5, True, None, ["x"], {"x": "y"}])
def test_register_user_with_a_wrong_json_type_gives_400(inst, field, value):
    data = {"firstname": "A", "lastname": "B",
            "username": "nu_" + secrets.token_hex(6), "phone": new_phone(),
            "email": secrets.token_hex(6) + "@example.com", "password": "pw"}
    data[field] = value
    r = requests.post(inst.url + "/register_user", json=data,
                      timeout=TIMEOUT)
    assert_failed(r, 400, "%s must be a string" % field)


@pytest.mark.parametrize("field,length,message", [
    ("username", 192, "username must be at most 191 characters"),
    ("username", 400, "username must be at most 191 characters"),
    ("phone", 33, "phone must be at most 32 characters"),
    ("email", 192, "email must be at most 191 characters"),
    ("firstname", 101, "firstname must be at most 100 characters"),
    ("lastname", 101, "lastname must be at most 100 characters"),
    ("password", 600, "password must be 1 to 511 bytes (72 with bcrypt)"),
])
def test_register_user_with_a_too_long_value_gives_400(inst, field, length,
                                                       message):
    """Refused whole: never cut to fit and stored (a unique random head,
    so a cut value could not collide with an earlier run's)."""
    head = secrets.token_hex(8)
    value = head + "x" * (length - len(head))
    if field == "phone":
        value = "+" + str(10 ** (length - 2) + secrets.randbelow(10 ** 15))
        assert len(value) == length
    data = {"username": "nu_" + secrets.token_hex(6), "password": "pw"}
    data[field] = value
    r = requests.post(inst.url + "/register_user", json=data,
                      timeout=TIMEOUT)
    assert_failed(r, 400, message)
    for name in (data["username"], data["username"][:191]):
        assert count_user(inst, name) == "0"


def test_register_user_with_a_control_character_gives_400(inst):
    r = requests.post(inst.url + "/register_user", timeout=TIMEOUT, json={
        "username": "a\u0001b" + secrets.token_hex(4), "password": "pw"})
    assert_failed(r, 400, "username must not hold control characters")


def test_register_user_limits_count_characters_not_bytes(inst):
    """191 characters of username and email, 100 of names (SPEC 2:
    utf8mb4): a name of 2-byte characters within the limits is stored
    whole."""
    tail = secrets.token_hex(4)
    u = register_user(inst, username="\u00e9" * 183 + tail,
                      firstname="\u00e9" * 100, lastname="\u00df" * 100,
                      email="\u00e9" * 170 + tail + "@example.org",
                      phone=None)
    rows = inst.sql("SELECT HEX(username), HEX(firstname), HEX(lastname), "
                    "HEX(email) FROM users WHERE username = %s",
                    u["username"].encode())
    assert [bytes.fromhex(h).decode() for h in rows[0]] == [
        u["username"], u["firstname"], u["lastname"], u["email"]]
    assert legacy_token(inst, u["username"], u["password"])


# --- the registration policy (configuration; plain CGI) -----------------------------
def cgi_register(inst, what, data, mode, token=None, extra_env=None):
    headers = {"Authorization": "Bearer " + token} if token else {}
    env = {"OAUTH_REGISTRATION": mode}
    env.update(extra_env or {})
    return run_cgi(inst, "POST", "/register_" + what,
                   body=json.dumps(data), content_type="application/json",
                   headers=headers, env=env)


def fresh_client_data(inst):
    return {"client_id": "node_" + secrets.token_hex(6),
            "client_secret": "s", "redirect_uri": inst.url + "/cb"}


def fresh_user_data():
    return {"username": "nu_" + secrets.token_hex(6), "password": "pw"}


def legacy_token(inst, username, password):
    r = requests.post(inst.url + "/v1/oauth/", data={
        "username": username, "password": password}, timeout=TIMEOUT)
    assert '"success": true' in r.text, r.text
    return json.loads(r.text)["data"]["access_token"]


def admin_level(inst):
    level = 9
    with open(inst.config, encoding="utf-8") as f:
        for line in f:
            k, sep, v = line.partition("=")
            if sep and k.strip() == "admin_level":
                level = int(v.strip())
    return level


def user_with_level(inst, level):
    name = "adm_" + secrets.token_hex(6)
    pw = "pw-" + secrets.token_urlsafe(12)
    proc = inst.cli("user", "add", name, "--level", str(level),
                    input=pw + "\n")
    assert proc.returncode == 0, proc.stderr
    return name, pw


def count_client(inst, cid):
    return inst.sql("SELECT COUNT(*) FROM clients WHERE client_id = %s",
                    cid.encode())[0][0]


def count_user(inst, name):
    return inst.sql("SELECT COUNT(*) FROM users WHERE username = %s",
                    name.encode())[0][0]


def test_registration_open_through_the_cgi_face(inst):
    c = fresh_client_data(inst)
    assert_success(cgi_register(inst, "client", c, "open"),
                   "register client successfully")
    u = fresh_user_data()
    assert_success(cgi_register(inst, "user", u, "open"),
                   "register user successfully")
    assert count_client(inst, c["client_id"]) == "1"
    assert count_user(inst, u["username"]) == "1"


def test_registration_off_refuses_both_endpoints(inst, new_user):
    name, pw = new_user()
    admin = user_with_level(inst, admin_level(inst))
    tok = legacy_token(inst, *admin)
    for token in (None, tok):
        c = fresh_client_data(inst)
        r = cgi_register(inst, "client", c, "off", token)
        assert_failed(r, 403, "registration is disabled on this server")
        u = fresh_user_data()
        r = cgi_register(inst, "user", u, "off", token)
        assert_failed(r, 403, "registration is disabled on this server")
        assert count_client(inst, c["client_id"]) == "0"
        assert count_user(inst, u["username"]) == "0"


def test_registration_off_even_for_a_duplicate_or_bad_request(inst, new_user):
    """Off answers before the request is looked at: nothing to learn."""
    name, pw = new_user()
    r = cgi_register(inst, "user", {"username": name, "password": "x"},
                     "off")
    assert_failed(r, 403, "registration is disabled on this server")
    r = cgi_register(inst, "client", {"client_id": 5}, "off")
    assert_failed(r, 403, "registration is disabled on this server")


def assert_needs_admin(r):
    assert_failed(r, 401, "registration requires an administrator's bearer "
                  "token")
    assert r.headers.get("WWW-Authenticate") == 'Bearer realm="oauth"'


def test_registration_token_without_a_token_gives_401(inst):
    c = fresh_client_data(inst)
    assert_needs_admin(cgi_register(inst, "client", c, "token"))
    u = fresh_user_data()
    assert_needs_admin(cgi_register(inst, "user", u, "token"))
    assert count_client(inst, c["client_id"]) == "0"
    assert count_user(inst, u["username"]) == "0"


def test_registration_token_refuses_a_non_admin_or_dead_token(inst,
                                                             new_user):
    name, pw = new_user()
    plain = legacy_token(inst, name, pw)
    admin = user_with_level(inst, admin_level(inst))
    expired = legacy_token(inst, *admin)
    inst.sql("UPDATE tokens SET expires_at = %s WHERE digest = %s",
             int(time.time()) - 1, digest(expired))
    for token in (plain, expired, "0" * 40, "garbage"):
        c = fresh_client_data(inst)
        assert_needs_admin(cgi_register(inst, "client", c, "token", token))
        u = fresh_user_data()
        assert_needs_admin(cgi_register(inst, "user", u, "token", token))
        assert count_client(inst, c["client_id"]) == "0"
        assert count_user(inst, u["username"]) == "0"


def test_registration_token_refuses_a_client_credentials_token(inst):
    cid, secret, _ = cli_client(inst, ["client_credentials"])
    tok = assert_tokens(token_request(inst, {
        "grant_type": "client_credentials", "client_id": cid,
        "client_secret": secret}), refresh=False)["access_token"]
    assert_needs_admin(cgi_register(inst, "user", fresh_user_data(), "token",
                                    tok))


def test_registration_token_accepts_an_administrators_token(inst):
    admin = user_with_level(inst, admin_level(inst))
    tok = legacy_token(inst, *admin)
    c = fresh_client_data(inst)
    assert_success(cgi_register(inst, "client", c, "token", tok),
                   "register client successfully")
    u = fresh_user_data()
    assert_success(cgi_register(inst, "user", u, "token", tok),
                   "register user successfully")
    assert count_client(inst, c["client_id"]) == "1"
    assert count_user(inst, u["username"]) == "1"
    # Duplicates still get their clear error behind the token.
    assert_failed(cgi_register(inst, "user", u, "token", tok), 409,
                  "username, phone or email already registered")


def test_registration_token_follows_admin_level(inst, new_user):
    name, pw = new_user()  # level 0
    tok = legacy_token(inst, name, pw)
    u = fresh_user_data()
    assert_success(cgi_register(inst, "user", u, "token", tok,
                                {"OAUTH_ADMIN_LEVEL": "0"}),
                   "register user successfully")
    admin = user_with_level(inst, 5)
    atok = legacy_token(inst, *admin)
    assert_needs_admin(cgi_register(inst, "user", fresh_user_data(), "token",
                                    atok, {"OAUTH_ADMIN_LEVEL": "6"}))


# --- GET /authorize → POST /token → /api: the seed's flow -------------------------
def test_authorization_code_flow_of_the_seed(inst, client, user):
    cid, secret, uri = client
    state = "state-" + secrets.token_hex(4)
    code = node_code(inst, client, user, scope="username email",
                     state=state)
    tok = assert_tokens(exchange(inst, client, code))
    assert tok["access_token"] != tok["refresh_token"]
    # POST with a form content type (the seed) and GET both answer.
    assert_api(api(inst, tok["access_token"]),
               {"username": user["username"], "email": user["email"]})
    assert_api(api(inst, tok["access_token"], method="GET"),
               {"username": user["username"], "email": user["email"]})
    row = inst.sql("SELECT t.kind, t.scope, c.client_id FROM tokens t JOIN "
                   "clients c ON c.id = t.client_ref WHERE t.digest = %s",
                   digest(tok["access_token"]))
    assert row == [("1", "username email", cid)]


def test_authorize_login_page_and_consent_name_client_and_scopes(inst,
                                                                 client,
                                                                 user):
    cid, secret, uri = client
    b = Browser(inst)
    params = {"client_id": cid, "response_type": "code",
              "redirect_uri": uri, "scope": "username email firstname "
              "lastname phone", "state": "x"}
    r = b.get("/authorize", params)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert "<title>Sign in</title>" in r.text and cid in r.text
    consent = sign_in_to_consent(b, "/authorize", params, user["username"],
                                 user["password"])
    assert "<title>Allow access?</title>" in consent.text
    for words in ("Your username", "Your email address", "Your first name",
                  "Your last name", "Your phone number", cid,
                  user["username"]):
        assert words in consent.text, words


def test_sign_in_by_phone_number_works_on_the_login_page(inst, client, user):
    cid, secret, uri = client
    params = {"client_id": cid, "response_type": "code",
              "redirect_uri": uri, "scope": "phone", "state": "p"}
    r = authorize(inst, "/authorize", params, user["phone"],
                  user["password"])
    base, q, _ = split_location(r)
    assert base == uri and q["state"] == "p"
    tok = assert_tokens(exchange(inst, client, q["code"]))
    assert_api(api(inst, tok["access_token"]), {"phone": user["phone"]})


def test_deny_sends_access_denied_back(inst, client, user):
    cid, secret, uri = client
    params = {"client_id": cid, "response_type": "code",
              "redirect_uri": uri, "scope": "email", "state": "no thanks"}
    r = authorize(inst, "/authorize", params, user["username"],
                  user["password"], decision="deny")
    assert r.headers["Location"] == (
        uri + "?error=access_denied&error_description=the%20user%20denied"
        "%20the%20request&state=no%20thanks" + iss(inst))


@pytest.mark.parametrize("scopes", [
    ("username",), ("email",), ("firstname",), ("lastname",), ("phone",),
    ("firstname", "lastname"), USER_SCOPES,
])
def test_api_returns_only_the_fields_the_scope_grants(inst, client, user,
                                                      scopes):
    code = node_code(inst, client, user, scope=" ".join(scopes))
    tok = assert_tokens(exchange(inst, client, code))
    assert_api(api(inst, tok["access_token"]), user_fields(user, scopes))


def test_api_scope_separated_by_commas_at_authorize(inst, client, user):
    """SPEC N: scopes separated by spaces or commas (the Node client joins
    its scope list with commas)."""
    code = node_code(inst, client, user, scope="username,email")
    tok = assert_tokens(exchange(inst, client, code))
    assert_api(api(inst, tok["access_token"]),
               {"username": user["username"], "email": user["email"]})


def test_api_scope_separated_by_commas_in_the_token(inst, client, user):
    """A token whose stored scope is comma-separated (written by the old
    Node server, imported as is) grants each of its scopes."""
    code = node_code(inst, client, user, scope="username email")
    tok = assert_tokens(exchange(inst, client, code))
    inst.sql("UPDATE tokens SET scope = %s WHERE digest = %s",
             b"lastname,phone", digest(tok["access_token"]))
    assert_api(api(inst, tok["access_token"]),
               {"lastname": user["lastname"], "phone": user["phone"]})


def test_api_without_scope_asks_for_all_user_fields(inst, client, user):
    cid, secret, uri = client
    params = {"client_id": cid, "response_type": "code",
              "redirect_uri": uri, "state": "all"}
    r = authorize(inst, "/authorize", params, user["username"],
                  user["password"])
    base, q, _ = split_location(r)
    tok = assert_tokens(exchange(inst, client, q["code"]))
    assert_api(api(inst, tok["access_token"]),
               user_fields(user, USER_SCOPES))


def test_api_leaves_out_fields_the_user_does_not_have(inst, client):
    u = register_user(inst, phone=None, email=None)
    code = node_code(inst, client, u, scope=" ".join(USER_SCOPES))
    tok = assert_tokens(exchange(inst, client, code))
    assert_api(api(inst, tok["access_token"]), {
        "username": u["username"], "firstname": u["firstname"],
        "lastname": u["lastname"]})


# --- POST /token -------------------------------------------------------------------
def test_token_authorization_code_accepts_a_json_body(inst, client, user):
    cid, secret, uri = client
    code = node_code(inst, client, user, scope="username")
    r = token_request(inst, {"grant_type": "authorization_code",
                             "client_id": cid, "client_secret": secret,
                             "code": code, "redirect_uri": uri},
                      as_json=True)
    tok = assert_tokens(r)
    assert_api(api(inst, tok["access_token"]),
               {"username": user["username"]})


def test_token_accepts_http_basic_client_authentication(inst, client, user):
    cid, secret, uri = client
    code = node_code(inst, client, user, scope="username")
    r = token_request(inst, {"grant_type": "authorization_code",
                             "code": code, "redirect_uri": uri},
                      auth=(cid, secret))
    assert_tokens(r)
    r = token_request(inst, {"grant_type": "authorization_code",
                             "code": "0" * 40, "redirect_uri": uri},
                      auth=(cid, "wrong"))
    assert_failed(r, 401, "invalid client")
    assert r.headers.get("WWW-Authenticate") == 'Basic realm="oauth"'


def test_code_is_single_use_and_a_replay_revokes_its_tokens(inst, client,
                                                            user):
    code = node_code(inst, client, user, scope="username")
    tok = assert_tokens(exchange(inst, client, code))
    assert_failed(exchange(inst, client, code), 400, "invalid grant")
    r = api(inst, tok["access_token"])
    assert_failed(r, 401, "invalid or expired access token")


def test_code_bound_to_redirect_uri_and_client(inst, client, user):
    cid, secret, uri = client
    other = register_client(inst)
    code = node_code(inst, client, user, scope="username")
    assert_failed(exchange(inst, client, code, redirect_uri=uri + "x"), 400,
                  "invalid grant")
    r = token_request(inst, {"grant_type": "authorization_code",
                             "client_id": cid, "client_secret": secret,
                             "code": code})
    assert_failed(r, 400, "invalid grant")
    assert_failed(exchange(inst, other, code, redirect_uri=uri), 400,
                  "invalid grant")
    # None of that used the code up.
    assert_tokens(exchange(inst, client, code))


def test_expired_code_gives_invalid_grant(inst, client, user):
    code = node_code(inst, client, user, scope="username")
    inst.sql("UPDATE tokens SET expires_at = %s WHERE digest = %s",
             int(time.time()) - 1, digest(code))
    assert_failed(exchange(inst, client, code), 400, "invalid grant")


def test_refresh_token_grant_rotates(inst, client, user):
    cid, secret, uri = client
    code = node_code(inst, client, user, scope="username email")
    first = assert_tokens(exchange(inst, client, code))
    r = token_request(inst, {"grant_type": "refresh_token", "client_id": cid,
                             "client_secret": secret,
                             "refresh_token": first["refresh_token"]})
    second = assert_tokens(r)
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    assert_api(api(inst, second["access_token"]),
               {"username": user["username"], "email": user["email"]})
    # The old refresh token is retired.
    r = token_request(inst, {"grant_type": "refresh_token", "client_id": cid,
                             "client_secret": secret,
                             "refresh_token": first["refresh_token"]})
    assert_failed(r, 400, "invalid grant")
    # The new one goes on.
    third = assert_tokens(token_request(inst, {
        "grant_type": "refresh_token", "client_id": cid,
        "client_secret": secret, "refresh_token": second["refresh_token"]}))
    assert third["refresh_token"] != second["refresh_token"]


def test_refresh_token_of_another_client_gives_invalid_grant(inst, client,
                                                             user):
    other = register_client(inst)
    code = node_code(inst, client, user, scope="username")
    tok = assert_tokens(exchange(inst, client, code))
    r = token_request(inst, {"grant_type": "refresh_token",
                             "client_id": other[0],
                             "client_secret": other[1],
                             "refresh_token": tok["refresh_token"]})
    assert_failed(r, 400, "invalid grant")


def test_client_credentials_gives_an_access_token_only(inst):
    cid, secret, uri = register_client(
        inst, grants="client_credentials authorization_code")
    r = token_request(inst, {"grant_type": "client_credentials",
                             "client_id": cid, "client_secret": secret})
    tok = assert_tokens(r, refresh=False)
    row = inst.sql("SELECT kind, user_id, session_id FROM tokens WHERE "
                   "digest = %s", digest(tok["access_token"]))
    assert row == [("1", None, None)]
    # A token of no user has no user data to give.
    assert_failed(api(inst, tok["access_token"]), 403,
                  "the token belongs to no user")


def test_client_credentials_for_a_client_without_that_grant(inst, client):
    cid, secret, uri = client
    r = token_request(inst, {"grant_type": "client_credentials",
                             "client_id": cid, "client_secret": secret})
    assert_failed(r, 400, "the client may not use this grant type")


@pytest.mark.parametrize("grant", ["password", "implicit", "bogus",
                                   "urn:ietf:params:oauth:grant-type:"
                                   "device_code"])
def test_token_other_grant_types_give_400(inst, client, user, grant):
    cid, secret, uri = client
    r = token_request(inst, {"grant_type": grant, "client_id": cid,
                             "client_secret": secret,
                             "username": user["username"],
                             "password": user["password"]})
    assert_failed(r, 400, "unsupported grant_type")


@pytest.mark.parametrize("data,message", [
    ({}, "grant_type is required"),
    ({"grant_type": ""}, "grant_type is required"),
    ({"grant_type": "authorization_code"}, "code is required"),
    ({"grant_type": "authorization_code", "code": ""}, "code is required"),
    ({"grant_type": "refresh_token"}, "refresh_token is required"),
])
def test_token_missing_fields_give_400(inst, client, data, message):
    cid, secret, uri = client
    data = dict(data, client_id=cid, client_secret=secret)
    assert_failed(token_request(inst, data), 400, message)
    assert_failed(token_request(inst, data, as_json=True), 400, message)


@pytest.mark.parametrize("data", [
    {"grant_type": "authorization_code", "client_id": "nobody-x",
     "client_secret": "x", "code": "0" * 40},
    {"grant_type": "authorization_code", "code": "0" * 40},
    {"grant_type": "client_credentials", "client_id": "nobody-x",
     "client_secret": "x"},
])
def test_token_unknown_or_missing_client_gives_401(inst, data):
    assert_failed(token_request(inst, data), 401, "invalid client")


@pytest.mark.parametrize("field", ["grant_type", "client_id",
                                   "client_secret", "code", "redirect_uri",
                                   "refresh_token", "scope"])
@pytest.mark.parametrize("value", [5, None, ["x"], {"x": "y"}, False])
def test_token_wrong_json_type_gives_400(inst, client, field, value):
    cid, secret, uri = client
    data = {"grant_type": "authorization_code", "client_id": cid,
            "client_secret": secret, "code": "0" * 40, "redirect_uri": uri}
    data[field] = value
    r = token_request(inst, data, as_json=True)
    assert_failed(r, 400, "a parameter is repeated or not a string")


def test_token_repeated_parameter_gives_400(inst, client):
    cid, secret, uri = client
    r = requests.post(inst.url + "/token", timeout=TIMEOUT, data=[
        ("grant_type", "client_credentials"), ("client_id", cid),
        ("client_secret", secret), ("client_secret", secret)])
    assert_failed(r, 400, "a parameter is repeated or not a string")


# --- /api errors -------------------------------------------------------------------
def test_api_without_a_token_gives_401(inst):
    for method in ("GET", "POST"):
        r = api(inst, None, method=method)
        assert_failed(r, 401, "an access token is required")
        assert r.headers.get("WWW-Authenticate") == 'Bearer realm="oauth"'
    r = api(inst, None, headers={"Authorization": "Basic Zm9vOmJhcg=="})
    assert_failed(r, 401, "an access token is required")


@pytest.mark.parametrize("token", ["0" * 40, "garbage", "a" * 300])
def test_api_with_an_unknown_token_gives_401(inst, token):
    r = api(inst, token)
    assert_failed(r, 401, "invalid or expired access token")
    assert r.headers.get("WWW-Authenticate") == \
        'Bearer realm="oauth", error="invalid_token"'


def test_api_with_an_expired_revoked_or_refresh_token_gives_401(inst, client,
                                                                user):
    code = node_code(inst, client, user, scope="username")
    tok = assert_tokens(exchange(inst, client, code))
    assert_failed(api(inst, tok["refresh_token"]), 401,
                  "invalid or expired access token")
    inst.sql("UPDATE tokens SET expires_at = %s WHERE digest = %s",
             int(time.time()) - 1, digest(tok["access_token"]))
    assert_failed(api(inst, tok["access_token"]), 401,
                  "invalid or expired access token")
    code = node_code(inst, client, user, scope="username")
    tok = assert_tokens(exchange(inst, client, code))
    inst.sql("UPDATE tokens SET revoked = 1 WHERE digest = %s",
             digest(tok["access_token"]))
    assert_failed(api(inst, tok["access_token"]), 401,
                  "invalid or expired access token")


# --- bad input on every node endpoint ------------------------------------------------
NODE_POST = ["/register_client", "/register_user", "/token", "/api"]


@pytest.mark.parametrize("path", NODE_POST)
def test_body_over_64_kib_gives_413(inst, path):
    for kw in ({"data": {"pad": "x" * (64 * 1024)}},
               {"json": {"pad": "x" * (64 * 1024)}}):
        r = requests.post(inst.url + path, timeout=TIMEOUT, **kw)
        assert_failed(r, 413, "request body too large")


@pytest.mark.parametrize("path", NODE_POST)
@pytest.mark.parametrize("raw", [b"{", b"[1]", b'{"a":1,}', b"nul"])
def test_malformed_json_gives_400(inst, path, raw):
    r = requests.post(inst.url + path, data=raw, timeout=TIMEOUT,
                      headers={"Content-Type": "application/json",
                               "Authorization": "Bearer " + "0" * 40})
    assert_failed(r, 400, "invalid request")


@pytest.mark.parametrize("path", NODE_POST)
@pytest.mark.parametrize("raw", [b"a=%zz", b"a=%ff", b"a=1%00"])
def test_malformed_form_gives_400(inst, path, raw):
    r = requests.post(inst.url + path, data=raw, timeout=TIMEOUT, headers={
        "Content-Type": "application/x-www-form-urlencoded"})
    assert_failed(r, 400, "invalid request")


@pytest.mark.parametrize("path,allow,method", [
    (path, allow, method)
    for path, allow in (("/register_client", "POST"),
                        ("/register_user", "POST"), ("/token", "POST"),
                        ("/api", "GET, HEAD, POST"))
    for method in ("GET", "PUT", "DELETE", "PATCH")
    if method not in allow.split(", ")
])
def test_wrong_method_gives_405_failed_with_allow(inst, path, allow, method):
    r = requests.request(method, inst.url + path, timeout=TIMEOUT)
    assert_failed(r, 405, "method not allowed")
    assert r.headers.get("Allow") == allow


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_wrong_method_on_authorize_gives_a_405_page(inst, method):
    # /authorize is a page a person sees (SPEC 9): never raw JSON.
    r = requests.request(method, inst.url + "/authorize", timeout=TIMEOUT)
    assert r.status_code == 405
    assert r.headers.get("Allow") == "GET, HEAD, POST"
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "<html" in r.text.lower() and "Not allowed" in r.text


# --- GET /authorize errors ------------------------------------------------------------
def test_authorize_unknown_client_is_an_error_page(inst):
    r = Browser(inst).get("/authorize", {
        "client_id": "nobody-" + secrets.token_hex(4),
        "response_type": "code", "redirect_uri": "https://evil.example/cb",
        "state": "s"})
    assert r.status_code == 400
    assert "Location" not in r.headers
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "Unknown application" in r.text
    assert "evil.example" not in r.text


def test_authorize_unregistered_redirect_uri_is_an_error_page(inst, client):
    cid, secret, uri = client
    r = Browser(inst).get("/authorize", {
        "client_id": cid, "response_type": "code",
        "redirect_uri": uri + "/x", "state": "s"})
    assert r.status_code == 400
    assert "Location" not in r.headers
    assert "Unknown return address" in r.text


@pytest.mark.parametrize("rt", ["token", "id_token", "", "CODE"])
def test_authorize_other_response_types_go_back_as_errors(inst, rt):
    """Seed 001 speaks response_type=code only, even for a client that
    may use the implicit grant elsewhere."""
    cid, secret, uri = cli_client(inst, ["authorization_code", "implicit"])
    r = Browser(inst).get("/authorize", {
        "client_id": cid, "response_type": rt, "redirect_uri": uri,
        "state": "s t"})
    assert r.status_code == 302
    desc = "response_type%20must%20be%20code" if rt else \
        "response_type%20is%20missing"
    err = "unsupported_response_type" if rt else "invalid_request"
    assert r.headers["Location"] == "%s?error=%s&error_description=%s&" \
        "state=s%%20t%s" % (uri, err, desc, iss(inst))


def test_authorize_post_without_csrf_is_refused(inst, client, user):
    cid, secret, uri = client
    r = requests.post(inst.url + "/authorize", timeout=TIMEOUT,
                      allow_redirects=False, data={
                          "client_id": cid, "response_type": "code",
                          "redirect_uri": uri, "action": "login",
                          "username": user["username"],
                          "password": user["password"]})
    assert r.status_code == 403
    assert "Location" not in r.headers
    assert "Form expired" in r.text


@pytest.mark.parametrize("query", ["client_id=%ff", "state=%zz",
                                   "client_id=a%00b"])
def test_authorize_malformed_link_gets_a_page_not_json(inst, query):
    """A person follows the link: SPEC 9 says errors are pages a person can
    read, never raw JSON (SPEC 11's bad-request error, as a page)."""
    from test_chat import raw_request
    r = raw_request(inst, "GET", "/authorize?response_type=code&" + query)
    assert r.status_code == 400, r.content
    assert r.headers.get("Content-Type") == "text/html; charset=utf-8", \
        r.content
    assert b"</html>" in r.content
    assert r.headers.get("Location") is None
