"""The authorization endpoint and its pages (SPEC R authorize, section 9;
RFC 6749 §3.1, §4.1, §4.2, §10.12; RFC 7636; RFC 9700 §4.1-4.2), and the
devices page, at the HTTP level: a requests.Session plays the browser.

What is checked: an error page (400, no Location) until the client and its
redirect URI are trusted; after that every error goes back to the redirect
URI with error, error_description and the state byte for byte; exact
redirect URI matching; parameters sent twice; PKCE rules; sign-in, consent,
remembered consent; the CSRF token on every POST; the headers and cookie
attributes of every page; HTML escaping; 303 after a POST, 302 after a GET.
"""
import base64
import hashlib
import html
import re
import secrets
from html.parser import HTMLParser
from urllib.parse import parse_qs, parse_qsl, quote, urlsplit

import pytest
import requests

from conftest import session_from

AUTHORIZE = "/oauth/authorize"
TOKEN = "/oauth/token"
DEVICES = "/account/devices"
TIMEOUT = 30
ODD_STATE = "a b&c=d/\u00e9+%41?#\"<'>"


# --- helpers ---------------------------------------------------------------
def esc(s):
    """HTML-escaped the way the pages do it (& < > " ' as &#39;)."""
    return html.escape(s, quote=True).replace("&#x27;", "&#39;")


def config_value(inst, key, default):
    try:
        with open(inst.config, encoding="utf-8") as f:
            for line in f:
                k, sep, v = line.partition("=")
                if sep and k.strip() == key:
                    return v.strip()
    except OSError:
        pass
    return default


def make_client(inst, grants=("authorization_code",), public=False,
                uris=None, name="Test App", scopes=None):
    """Register a client; returns (client_id, secret or None, first URI)."""
    client_id = "c_" + secrets.token_hex(6)
    if uris is None:
        uris = ["%s/cb/%s" % (inst.url, client_id)]
    args = ["client", "add", client_id]
    for u in uris:
        args += ["--redirect-uri", u]
    for g in grants:
        args += ["--grant", g]
    for s in scopes or ():
        args += ["--scope", s]
    if public:
        args.append("--public")
    if name is not None:
        args += ["--name", name]
    proc = inst.cli(*args)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    secret = None
    for line in proc.stdout.splitlines():
        if line.startswith("client_secret: "):
            secret = line.split(": ", 1)[1].strip()
    return client_id, secret, uris[0]


def pkce_pair():
    verifier = secrets.token_urlsafe(48)[:64]
    challenge = base64.urlsafe_b64encode(
        hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


class Form:
    def __init__(self, method, action):
        self.method = method
        self.action = action
        self.fields = []   # hidden inputs, in order
        self.buttons = []  # (name, value)
        self.checkboxes = []


class FormParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append(Form(a.get("method"), a.get("action")))
        elif not self.forms:
            return
        elif tag == "input" and a.get("type") == "hidden":
            self.forms[-1].fields.append((a.get("name"), a.get("value")))
        elif tag == "input" and a.get("type") == "checkbox":
            self.forms[-1].checkboxes.append((a.get("name"), a.get("value")))
        elif tag == "button":
            self.forms[-1].buttons.append((a.get("name"), a.get("value")))


def forms_of(text):
    p = FormParser()
    p.feed(text)
    return p.forms


def form_with(text, action_value):
    """The form holding a button name=action value=action_value."""
    for f in forms_of(text):
        if ("action", action_value) in f.buttons:
            return f
    raise AssertionError("no form with action=%s in page" % action_value)


class Browser:
    """A requests.Session that never follows redirects."""

    def __init__(self, inst, mount="", source=None):
        self.inst = inst
        self.base = inst.url + mount
        self.s = session_from(source) if source else requests.Session()
        self.s.trust_env = False
        self.s.headers["User-Agent"] = "pytest-browser/1.0 (test_authorize)"

    def get(self, path, params=None, **kw):
        return self.s.get(self.base + path, params=params,
                          allow_redirects=False, timeout=TIMEOUT, **kw)

    def post(self, path, data, **kw):
        return self.s.post(self.base + path, data=data,
                           allow_redirects=False, timeout=TIMEOUT, **kw)

    def submit(self, page, action, extra=(), drop=()):
        """Submit the form of `page` that has the button action=`action`."""
        f = form_with(page.text, action)
        data = [(k, v) for k, v in f.fields if k not in drop]
        data += list(extra) + [("action", action)]
        assert f.method == "post"
        return self.s.post(self.inst.url + f.action, data=data,
                           allow_redirects=False, timeout=TIMEOUT)

    def cookie(self, name):
        for c in self.s.cookies:
            if c.name == name:
                return c.value
        return None


def authorize(b, params):
    return b.get(AUTHORIZE, params=params)


def sign_in(b, page, username, password):
    """Sign in through the login page; returns the response to the POST."""
    return b.submit(page, "login", [("username", username),
                                   ("password", password)])


def to_consent(b, params, user):
    """GET authorize, sign in, follow the 303: the consent page."""
    r = authorize(b, params)
    assert r.status_code == 200 and 'name="password"' in r.text
    r = sign_in(b, r, *user)
    assert r.status_code == 303, r.text
    r = b.s.get(b.inst.url + r.headers["Location"], allow_redirects=False,
                timeout=TIMEOUT)
    assert r.status_code == 200 and 'value="approve"' in r.text, r.text
    return r


def location(r):
    """(base without query/fragment, query dict, fragment dict) of a
    redirect; values are lists, as parse_qs gives them."""
    loc = r.headers["Location"]
    parts = urlsplit(loc)
    base = "%s://%s%s" % (parts.scheme, parts.netloc, parts.path)
    q = parse_qs(parts.query, keep_blank_values=True)
    f = parse_qs(parts.fragment, keep_blank_values=True)
    return base, q, f


def assert_page_headers(r, form_to=None):
    h = r.headers
    assert h["Content-Type"] == "text/html; charset=utf-8"
    assert h["X-Frame-Options"] == "DENY"
    assert h["Referrer-Policy"] == "no-referrer"
    assert "no-store" in h["Cache-Control"]
    csp = [d.strip() for d in h["Content-Security-Policy"].split(";")]
    assert "default-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "base-uri 'none'" in csp
    assert "style-src 'self'" in csp
    fa = [d for d in csp if d.startswith("form-action ")]
    assert len(fa) == 1 and fa[0].split()[1] == "'self'"
    if form_to:
        assert form_to in fa[0].split()[2:]
    assert "<script" not in r.text.lower()


def assert_error_page(r, status=400):
    assert r.status_code == status, (r.status_code, r.text[:300])
    assert "Location" not in r.headers
    assert_page_headers(r)
    assert "<h1" in r.text and "</html>" in r.text


def code_count(inst, client_id):
    rows = inst.sql("SELECT COUNT(*) FROM tokens t JOIN clients c ON "
                    "c.id = t.client_ref WHERE c.client_id = %s AND "
                    "t.kind = 3", client_id)
    return int(rows[0][0])


def set_cookie_headers(r):
    raw = r.raw.headers
    if hasattr(raw, "get_all"):
        return raw.get_all("Set-Cookie") or []
    return raw.getlist("Set-Cookie")


def cookie_attrs(r, name):
    """The attributes of the Set-Cookie for `name` as a dict (lower-case
    keys; flags map to True), with '_value'."""
    for line in set_cookie_headers(r):
        parts = [p.strip() for p in line.split(";")]
        k, _, v = parts[0].partition("=")
        if k != name:
            continue
        attrs = {"_value": v}
        for p in parts[1:]:
            ak, sep, av = p.partition("=")
            attrs[ak.lower()] = av if sep else True
        return attrs
    return None


@pytest.fixture
def client(inst):
    return make_client(inst)


@pytest.fixture
def user(new_user):
    return new_user(email="%s@example.com" % secrets.token_hex(6))


# --- before the redirect URI is trusted: error pages --------------------------
def test_unknown_client_gets_an_error_page(inst):
    b = Browser(inst)
    r = authorize(b, {"response_type": "code", "client_id": "no-such-client",
                      "redirect_uri": "https://evil.example/cb",
                      "state": "s"})
    assert_error_page(r)
    assert "evil.example" not in r.text
    assert "not registered" in r.text


def test_missing_client_id_gets_an_error_page(inst):
    assert_error_page(authorize(Browser(inst), {"response_type": "code"}))
    assert_error_page(authorize(Browser(inst), {"response_type": "code",
                                                "client_id": ""}))


@pytest.mark.parametrize("mangle", [
    lambda u: u + "/",                      # trailing slash
    lambda u: u.upper().replace("HTTP://", "http://"),  # case of the path
    lambda u: u.replace("127.0.0.1", "localhost"),      # another host
    lambda u: u + "?x=1",                   # an extra query
    lambda u: u + "#frag",                  # a fragment
    lambda u: u[:-1],                       # a prefix
    lambda u: u.replace("http://", "https://"),
    lambda u: "https://evil.example/cb",
])
def test_redirect_uri_must_match_exactly(inst, client, mangle):
    client_id, _, uri = client
    bad = mangle(uri)
    assert bad != uri
    r = authorize(Browser(inst), {"response_type": "code",
                                  "client_id": client_id,
                                  "redirect_uri": bad, "state": "s"})
    assert_error_page(r)
    assert "not registered" in r.text


def test_empty_redirect_uri_is_a_mismatch(inst, client):
    r = authorize(Browser(inst), {"response_type": "code",
                                  "client_id": client[0], "redirect_uri": ""})
    assert_error_page(r)


def test_absent_redirect_uri_uses_the_only_registered_one(inst, client):
    r = authorize(Browser(inst), {"response_type": "bogus",
                                  "client_id": client[0], "state": "x"})
    assert r.status_code == 302
    base, q, _ = location(r)
    assert base == client[2]
    assert q["error"] == ["unsupported_response_type"]


def test_absent_redirect_uri_with_two_registered_is_an_error_page(inst):
    cid, _, _ = make_client(inst, uris=["%s/cb/one" % inst.url,
                                        "%s/cb/two" % inst.url])
    assert_error_page(authorize(Browser(inst), {"response_type": "code",
                                                "client_id": cid}))
    # Either one, named, is fine.
    r = authorize(Browser(inst), {"response_type": "code", "client_id": cid,
                                  "redirect_uri": "%s/cb/two" % inst.url})
    assert r.status_code == 200 and 'name="password"' in r.text


@pytest.mark.parametrize("name", ["client_id", "redirect_uri"])
def test_duplicated_client_id_or_redirect_uri_is_an_error_page(inst, client,
                                                                name):
    cid, _, uri = client
    params = [("response_type", "code"), ("client_id", cid),
              ("redirect_uri", uri), ("state", "s"), (name, dict(
                  client_id=cid, redirect_uri=uri)[name])]
    assert_error_page(authorize(Browser(inst), params))


# --- after it is trusted: errors go back to the client -------------------------
@pytest.mark.parametrize("name,value", [
    ("response_type", "code"), ("scope", "username"), ("state", "s"),
    ("code_challenge", "x" * 43), ("code_challenge_method", "S256"),
])
def test_other_duplicated_parameters_are_invalid_request(inst, client, name,
                                                         value):
    cid, _, uri = client
    params = [("response_type", "code"), ("client_id", cid),
              ("redirect_uri", uri), ("state", "st"),
              ("code_challenge", "y" * 43), ("code_challenge_method", "S256"),
              ("scope", "email")]
    params.append((name, value))
    r = authorize(Browser(inst), params)
    assert r.status_code == 302
    base, q, f = location(r)
    assert base == uri and not f
    assert q["error"] == ["invalid_request"]
    assert name in q["error_description"][0]
    # A repeated state can't be returned: which one would it be?
    assert q.get("state") == (None if name == "state" else ["st"])


def test_unsupported_response_type(inst, client):
    cid, _, uri = client
    for rt in ("bogus", "code token", "CODE", "id_token"):
        r = authorize(Browser(inst), {"response_type": rt, "client_id": cid,
                                      "redirect_uri": uri, "state": "s1"})
        assert r.status_code == 302, rt
        _, q, _ = location(r)
        assert q["error"] == ["unsupported_response_type"], rt
        assert q["state"] == ["s1"]
        assert q["error_description"][0]


def test_missing_response_type_is_invalid_request(inst, client):
    cid, _, uri = client
    r = authorize(Browser(inst), {"client_id": cid, "redirect_uri": uri,
                                  "state": "s1"})
    assert r.status_code == 302
    _, q, _ = location(r)
    assert q["error"] == ["invalid_request"]


def test_token_without_the_implicit_grant_is_unauthorized_client(inst,
                                                                  client):
    cid, _, uri = client
    r = authorize(Browser(inst), {"response_type": "token", "client_id": cid,
                                  "redirect_uri": uri, "state": "s1"})
    assert r.status_code == 302
    _, q, f = location(r)
    assert not q  # SPEC 12b: in the fragment
    assert f["error"] == ["unauthorized_client"]
    assert f["state"] == ["s1"]


def test_code_without_the_code_grant_is_unauthorized_client(inst):
    cid, _, uri = make_client(inst, grants=("implicit",))
    r = authorize(Browser(inst), {"response_type": "code", "client_id": cid,
                                  "redirect_uri": uri, "state": "s1"})
    assert r.status_code == 302
    _, q, _ = location(r)
    assert q["error"] == ["unauthorized_client"]


def test_invalid_scope(inst, client):
    cid, _, uri = client
    for scope in ("admin", "username admin", "bad\"scope"):
        r = authorize(Browser(inst), {"response_type": "code",
                                      "client_id": cid, "redirect_uri": uri,
                                      "scope": scope, "state": "s1"})
        assert r.status_code == 302, scope
        _, q, _ = location(r)
        assert q["error"] == ["invalid_scope"], scope
        assert q["state"] == ["s1"]


def test_public_client_needs_pkce(inst):
    cid, _, uri = make_client(inst, public=True)
    r = authorize(Browser(inst), {"response_type": "code", "client_id": cid,
                                  "redirect_uri": uri, "state": "s1"})
    assert r.status_code == 302
    _, q, _ = location(r)
    assert q["error"] == ["invalid_request"]
    assert "challenge" in q["error_description"][0]
    _, challenge = pkce_pair()
    r = authorize(Browser(inst), {"response_type": "code", "client_id": cid,
                                  "redirect_uri": uri, "state": "s1",
                                  "code_challenge": challenge,
                                  "code_challenge_method": "S256"})
    assert r.status_code == 200 and 'name="password"' in r.text


def test_pkce_method_and_challenge_rules(inst, client):
    cid, _, uri = client
    plain_ok = config_value(inst, "pkce_plain", "0") in ("1", "yes", "true",
                                                         "on")
    _, challenge = pkce_pair()
    cases = [
        ({"code_challenge": challenge, "code_challenge_method": "S512"},
         False),
        ({"code_challenge": challenge, "code_challenge_method": "s256"},
         False),
        ({"code_challenge_method": "S256"}, False),  # method, no challenge
        ({"code_challenge": "short", "code_challenge_method": "S256"}, False),
        ({"code_challenge": "x" * 129, "code_challenge_method": "S256"},
         False),
        ({"code_challenge": "a" * 42 + "!", "code_challenge_method": "S256"},
         False),
        ({"code_challenge": "", "code_challenge_method": "S256"}, False),
        # RFC 7636 §4.3: no method means plain.
        ({"code_challenge": challenge}, plain_ok),
        ({"code_challenge": challenge, "code_challenge_method": "plain"},
         plain_ok),
        ({"code_challenge": challenge, "code_challenge_method": "S256"},
         True),
    ]
    for extra, ok in cases:
        params = {"response_type": "code", "client_id": cid,
                  "redirect_uri": uri, "state": "s1"}
        params.update(extra)
        r = authorize(Browser(inst), params)
        if ok:
            assert r.status_code == 200, extra
        else:
            assert r.status_code == 302, extra
            _, q, _ = location(r)
            assert q["error"] == ["invalid_request"], extra
            assert q["state"] == ["s1"]


def test_state_comes_back_byte_for_byte(inst, client):
    cid, _, uri = client
    r = authorize(Browser(inst), {"response_type": "nope", "client_id": cid,
                                  "redirect_uri": uri, "state": ODD_STATE})
    assert r.status_code == 302
    loc = r.headers["Location"]
    # Percent-encoded properly: nothing in the query that could be read
    # as a separator or that is not plain ASCII.
    query = urlsplit(loc).query
    assert "#" not in loc and " " not in loc
    assert all(32 < ord(ch) < 127 for ch in loc)
    pairs = parse_qsl(query, keep_blank_values=True)
    assert ("state", ODD_STATE) in pairs
    assert "state=" + quote(ODD_STATE, safe="") in query


def test_state_is_left_out_when_absent_and_kept_when_empty(inst, client):
    cid, _, uri = client
    r = authorize(Browser(inst), {"response_type": "nope", "client_id": cid,
                                  "redirect_uri": uri})
    _, q, _ = location(r)
    assert "state" not in q
    r = authorize(Browser(inst), {"response_type": "nope", "client_id": cid,
                                  "redirect_uri": uri, "state": ""})
    _, q, _ = location(r)
    assert q["state"] == [""]


def test_registered_uri_with_a_query_gets_an_ampersand(inst):
    uri = "%s/cb/q?app=1&x=y" % inst.url
    cid, _, _ = make_client(inst, uris=[uri])
    r = authorize(Browser(inst), {"response_type": "nope", "client_id": cid,
                                  "redirect_uri": uri, "state": "s"})
    assert r.status_code == 302
    loc = r.headers["Location"]
    assert loc.startswith(uri + "&error=unsupported_response_type")
    q = parse_qs(urlsplit(loc).query)
    assert q["app"] == ["1"] and q["x"] == ["y"] and q["state"] == ["s"]


def test_errors_after_a_get_are_302_and_carry_page_headers(inst, client):
    cid, _, uri = client
    r = authorize(Browser(inst), {"response_type": "nope", "client_id": cid,
                                  "redirect_uri": uri})
    assert r.status_code == 302
    assert "no-store" in r.headers["Cache-Control"]
    assert r.headers["Referrer-Policy"] == "no-referrer"


# --- the pages -------------------------------------------------------------------
def test_login_page_headers_cookie_and_form(inst, client):
    cid, _, uri = client
    b = Browser(inst)
    r = authorize(b, {"response_type": "code", "client_id": cid,
                      "redirect_uri": uri, "state": ODD_STATE,
                      "scope": "username email"})
    assert r.status_code == 200
    assert_page_headers(r, form_to=inst.url)
    csrf = cookie_attrs(r, "oauth_csrf")
    assert csrf and re.fullmatch(r"[0-9a-f]{40}", csrf["_value"])
    assert csrf.get("httponly") is True
    assert csrf.get("samesite") == "Strict"
    assert csrf.get("path") == "/"
    assert "secure" not in csrf  # plain HTTP here
    f = form_with(r.text, "login")
    assert f.action == AUTHORIZE
    fields = dict(f.fields)
    # SPEC 14: an HMAC bound to the cookie's value, not the value itself.
    assert re.fullmatch(r"[0-9a-f]{64}", fields["csrf"])
    assert fields["state"] == ODD_STATE       # escaped in the page ...
    assert esc(ODD_STATE) in r.text  # ... like this
    assert fields["client_id"] == cid and fields["redirect_uri"] == uri
    assert "Test App" in r.text
    assert 'for="username"' in r.text and 'for="password"' in r.text
    assert 'href="/static/style.css"' in r.text
    # The same CSRF token while the cookie lives (two tabs keep working).
    r2 = authorize(b, {"response_type": "code", "client_id": cid,
                       "redirect_uri": uri})
    assert dict(form_with(r2.text, "login").fields)["csrf"] == fields["csrf"]


def test_wrong_password_shows_the_form_again(inst, client, user):
    cid, _, uri = client
    b = Browser(inst)
    r = authorize(b, {"response_type": "code", "client_id": cid,
                      "redirect_uri": uri, "state": "s"})
    r = sign_in(b, r, user[0], "wrong-" + user[1])
    assert r.status_code == 200
    assert_page_headers(r, form_to=inst.url)
    assert "not right" in r.text
    assert 'value="%s"' % user[0] in r.text  # the name stays
    assert user[1] not in r.text
    assert cookie_attrs(r, "oauth_session") is None
    # Unknown user: the same words.
    r = sign_in(b, r, "nobody-" + user[0], "x")
    assert r.status_code == 200 and "not right" in r.text


def test_throttle_says_when_to_try_again(inst, client, new_user):
    cid, _, uri = client
    name, pw = new_user()
    b = Browser(inst, source="127.0.0.%d" % secrets.choice(range(20, 250)))
    page = authorize(b, {"response_type": "code", "client_id": cid,
                         "redirect_uri": uri})
    limit = int(config_value(inst, "throttle_user_max", "5"))
    r = None
    for _ in range(limit + 1):
        r = sign_in(b, page, name, "wrong")
        if r.status_code == 429:
            break
    assert r.status_code == 429
    assert_page_headers(r)
    retry = int(r.headers["Retry-After"])
    assert retry > 0
    assert "Too many failed attempts. Try again in %d second" % retry in r.text
    # Refused while locked, even with the right password (SPEC 12b).
    r = sign_in(b, page, name, pw)
    assert r.status_code == 429
    assert cookie_attrs(r, "oauth_session") is None


def test_sign_in_by_phone_number(inst, client, new_user):
    cid, _, uri = client
    phone = "+1555%07d" % secrets.randbelow(10**7)
    name, pw = new_user(phone=phone)
    b = Browser(inst)
    r = authorize(b, {"response_type": "code", "client_id": cid,
                      "redirect_uri": uri})
    r = sign_in(b, r, phone, pw)
    assert r.status_code == 303


def test_full_code_flow_with_pkce(inst, user):
    cid, secret, uri = make_client(inst, grants=("authorization_code",
                                                 "refresh_token"))
    verifier, challenge = pkce_pair()
    b = Browser(inst)
    params = {"response_type": "code", "client_id": cid, "redirect_uri": uri,
              "scope": "username email", "state": ODD_STATE,
              "code_challenge": challenge, "code_challenge_method": "S256"}
    r = page_before = authorize(b, params)
    r = sign_in(b, r, *user)
    # Post/Redirect/Get back to the endpoint with the request in the query.
    assert r.status_code == 303
    loc = r.headers["Location"]
    assert loc.startswith(AUTHORIZE + "?")
    assert dict(parse_qsl(urlsplit(loc).query)) == params
    sess = cookie_attrs(r, "oauth_session")
    assert sess and re.fullmatch(r"[0-9a-f]{40}", sess["_value"])
    assert sess.get("httponly") is True
    assert sess.get("samesite") == "Lax"
    assert sess.get("path") == "/"
    assert sess.get("max-age") == config_value(inst, "login_cookie_ttl",
                                               "86400")
    # A new CSRF token with the sign-in (none planted before survives it).
    renewed = cookie_attrs(r, "oauth_csrf")
    assert renewed and renewed.get("samesite") == "Strict"
    assert renewed["_value"] != cookie_attrs(page_before,
                                             "oauth_csrf")["_value"]
    assert "no-store" in r.headers["Cache-Control"]
    assert r.headers["Referrer-Policy"] == "no-referrer"
    # The consent page.
    r = b.s.get(inst.url + loc, allow_redirects=False, timeout=TIMEOUT)
    assert r.status_code == 200
    assert_page_headers(r, form_to=inst.url)
    assert "Test App" in r.text
    assert "Your username" in r.text and "Your email address" in r.text
    assert user[0] in r.text
    f = form_with(r.text, "approve")
    assert ("action", "deny") in f.buttons
    assert ("remember", "1") in f.checkboxes
    # Approve.
    r = b.submit(r, "approve")
    assert r.status_code == 303
    base, q, frag = location(r)
    assert base == uri and not frag
    assert set(q) == {"code", "state", "iss"}  # iss: RFC 9207
    assert q["state"] == [ODD_STATE]
    code = q["code"][0]
    assert re.fullmatch(r"[0-9a-f]{40}", code)
    assert "no-store" in r.headers["Cache-Control"]
    # The code, at the token endpoint, with the verifier.
    t = requests.post(inst.url + TOKEN, data={
        "grant_type": "authorization_code", "code": code,
        "redirect_uri": uri, "code_verifier": verifier},
        auth=(cid, secret), timeout=TIMEOUT)
    assert t.status_code == 200, t.text
    body = t.json()
    assert body["token_type"] == "Bearer"
    assert re.fullmatch(r"[0-9a-f]{40}", body["access_token"])
    assert body["scope"] == "username email"


def test_code_without_explicit_redirect_uri(inst, client, user):
    cid, secret, uri = client
    b = Browser(inst)
    r = to_consent(b, {"response_type": "code", "client_id": cid}, user)
    r = b.submit(r, "approve")
    base, q, _ = location(r)
    assert base == uri
    t = requests.post(inst.url + TOKEN, data={
        "grant_type": "authorization_code", "code": q["code"][0]},
        auth=(cid, secret), timeout=TIMEOUT)
    assert t.status_code == 200, t.text


def test_deny_is_access_denied(inst, client, user):
    cid, _, uri = client
    b = Browser(inst)
    r = to_consent(b, {"response_type": "code", "client_id": cid,
                       "redirect_uri": uri, "state": ODD_STATE}, user)
    before = code_count(inst, cid)
    r = b.submit(r, "deny")
    assert r.status_code == 303
    base, q, _ = location(r)
    assert base == uri
    assert q["error"] == ["access_denied"]
    assert q["state"] == [ODD_STATE]
    assert "code" not in q
    assert code_count(inst, cid) == before


def test_implicit_grant_answers_in_the_fragment(inst, user):
    cid, _, uri = make_client(inst, grants=("implicit",), public=True,
                              name="Implicit App")
    b = Browser(inst)
    r = to_consent(b, {"response_type": "token", "client_id": cid,
                       "redirect_uri": uri, "state": ODD_STATE,
                       "scope": "username"}, user)
    r = b.submit(r, "approve")
    assert r.status_code == 303
    assert "no-store" in r.headers["Cache-Control"]
    base, q, f = location(r)
    assert base == uri and not q
    assert f["token_type"] == ["Bearer"]
    assert re.fullmatch(r"[0-9a-f]{40}", f["access_token"][0])
    assert int(f["expires_in"][0]) > 0
    assert f["scope"] == ["username"]
    assert f["state"] == [ODD_STATE]
    assert "refresh_token" not in f


def test_remembered_consent_skips_the_page(inst, client, user):
    cid, _, uri = client
    b = Browser(inst)
    params = {"response_type": "code", "client_id": cid, "redirect_uri": uri,
              "scope": "username", "state": "one"}
    r = to_consent(b, params, user)
    r = b.submit(r, "approve", extra=[("remember", "1")])
    assert r.status_code == 303 and "code" in location(r)[1]
    # Same scope again: straight back with a code, 302 after the GET.
    params["state"] = "two"
    r = authorize(b, params)
    assert r.status_code == 302
    base, q, _ = location(r)
    assert base == uri and q["state"] == ["two"] and "code" in q
    # A scope not approved before: the page again.
    params["scope"] = "username email"
    r = authorize(b, params)
    assert r.status_code == 200 and 'value="approve"' in r.text


def test_consent_not_remembered_without_the_box(inst, client, user):
    cid, _, uri = client
    b = Browser(inst)
    params = {"response_type": "code", "client_id": cid, "redirect_uri": uri}
    r = to_consent(b, params, user)
    assert b.submit(r, "approve").status_code == 303
    r = authorize(b, params)
    assert r.status_code == 200 and 'value="approve"' in r.text


@pytest.mark.parametrize("how", ["wrong", "missing", "query", "no-cookie",
                                 "twice", "empty"])
def test_csrf_refusal(inst, client, user, how):
    cid, _, uri = client
    b = Browser(inst)
    page = to_consent(b, {"response_type": "code", "client_id": cid,
                          "redirect_uri": uri, "state": "s"}, user)
    f = form_with(page.text, "approve")
    token = dict(f.fields)["csrf"]
    data = [(k, v) for k, v in f.fields if k != "csrf"]
    data.append(("action", "approve"))
    url = inst.url + f.action
    if how == "wrong":
        data.append(("csrf", "0" * 40))
    elif how == "query":
        url += "?csrf=" + token
    elif how == "no-cookie":
        # SPEC 14: the token is bound to the session, not to oauth_csrf.
        data.append(("csrf", token))
        sess = b.cookie("oauth_session")
        b.s.cookies.set("oauth_session", None)
    elif how == "twice":
        data += [("csrf", token), ("csrf", token)]
    elif how == "empty":
        data.append(("csrf", ""))
    before = code_count(inst, cid)
    r = b.s.post(url, data=data, allow_redirects=False, timeout=TIMEOUT)
    assert_error_page(r, 403)
    assert ("The form expired or was sent from another site. Go back and "
            "try again.") in r.text
    assert code_count(inst, cid) == before
    # The right token still works afterwards.
    if how == "no-cookie":
        b.s.cookies.set("oauth_session", sess, path="/")
    r = b.submit(page, "approve")
    assert r.status_code == 303 and "code" in location(r)[1]


def test_login_post_needs_csrf_too(inst, client, user):
    cid, _, uri = client
    b = Browser(inst)
    page = authorize(b, {"response_type": "code", "client_id": cid,
                         "redirect_uri": uri})
    r = b.submit(page, "login", [("username", user[0]),
                                 ("password", user[1])], drop=("csrf",))
    assert_error_page(r, 403)
    assert cookie_attrs(r, "oauth_session") is None


def test_a_cross_site_post_without_cookies_does_nothing(inst, client):
    cid, _, uri = client
    r = requests.post(inst.url + AUTHORIZE, data={
        "response_type": "code", "client_id": cid, "redirect_uri": uri,
        "action": "approve", "csrf": "a" * 40}, allow_redirects=False,
        timeout=TIMEOUT)
    assert_error_page(r, 403)


def test_html_is_escaped(inst, user):
    evil = "<script>alert(1)</script> & \"Co\" 'x'"
    cid, _, uri = make_client(inst, name=evil)
    b = Browser(inst)
    r = to_consent(b, {"response_type": "code", "client_id": cid,
                       "redirect_uri": uri, "state": "<b>\"'&"}, user)
    assert "<script>" not in r.text
    assert esc(evil) in r.text
    assert esc("<b>\"'&") in r.text
    assert "<b>" not in r.text


def test_client_without_a_name_is_shown_by_id(inst, user):
    cid, _, uri = make_client(inst, name=None)
    r = to_consent(Browser(inst), {"response_type": "code", "client_id": cid,
                                   "redirect_uri": uri}, user)
    assert cid in r.text


def test_scopes_in_words(inst, user):
    cid, _, uri = make_client(inst, scopes=[
        "username", "email", "firstname", "lastname", "phone",
        "account-owner", "extension-user", "methods:ALL", "custom:thing"])
    r = to_consent(Browser(inst), {
        "response_type": "code", "client_id": cid, "redirect_uri": uri,
        "scope": "username email firstname lastname phone account-owner "
                 "extension-user methods:ALL custom:thing"}, user)
    for words in ("Your username", "Your email address", "Your first name",
                  "Your last name", "Your phone number",
                  "Act as the account owner", "Act as an extension user",
                  "Use every API method", "custom:thing"):
        assert words in r.text, words


def test_not_you_signs_this_browser_out(inst, client, user):
    cid, _, uri = client
    b = Browser(inst)
    r = to_consent(b, {"response_type": "code", "client_id": cid,
                       "redirect_uri": uri}, user)
    old = b.cookie("oauth_session")
    r = b.submit(r, "logout")
    assert r.status_code == 303
    gone = cookie_attrs(r, "oauth_session")
    assert gone and gone["_value"] == "" and gone.get("max-age") == "0"
    # The old cookie is dead even if a browser kept it.
    b.s.cookies.set("oauth_session", old, path="/")
    r = authorize(b, {"response_type": "code", "client_id": cid,
                      "redirect_uri": uri})
    assert r.status_code == 200 and 'name="password"' in r.text


def test_cookie_header_parsing(inst, client, user):
    cid, _, uri = client
    b = Browser(inst)
    to_consent(b, {"response_type": "code", "client_id": cid,
                   "redirect_uri": uri}, user)
    tok = b.cookie("oauth_session")
    params = {"response_type": "code", "client_id": cid, "redirect_uri": uri}

    def with_cookie(header):
        return requests.get(inst.url + AUTHORIZE, params=params,
                            headers={"Cookie": header},
                            allow_redirects=False, timeout=TIMEOUT)

    def signed_in(r):
        return r.status_code == 200 and 'value="approve"' in r.text

    assert signed_in(with_cookie("oauth_session=" + tok))
    assert signed_in(with_cookie("a=1;oauth_session=%s;b=2" % tok))
    assert signed_in(with_cookie("a=1;   oauth_session = %s ;  b=\"x y\""
                                 % tok))
    # SPEC 14: a cookie name sent twice is refused (400), even if one is junk.
    assert with_cookie("junk; =x; oauth_session=zz; "
                       "oauth_session=%s" % tok).status_code == 400
    assert not signed_in(with_cookie("oauth_session=\"%s\"" % tok))
    assert not signed_in(with_cookie("xoauth_session=%s" % tok))
    assert not signed_in(with_cookie("oauth_session=%s" % tok.upper()))
    assert not signed_in(with_cookie("oauth_session=" + "0" * 40))


def test_other_dialects_share_the_pages(inst, user):
    cid, _, uri = make_client(inst, grants=("authorization_code", "implicit"))
    # Dialect N has no implicit grant.
    r = requests.get(inst.url + "/authorize", params={
        "response_type": "token", "client_id": cid, "redirect_uri": uri,
        "state": "n"}, allow_redirects=False, timeout=TIMEOUT)
    if r.status_code == 404:
        pytest.skip("dialect N switched off")
    assert r.status_code == 302
    _, q, f = location(r)
    assert q["error"] == ["unsupported_response_type"] and not f
    # Dialect P has it, and its form posts back to its own path.
    b = Browser(inst)
    r = b.get("/v4/oauth/authorization", params={
        "response_type": "token", "client_id": cid, "redirect_uri": uri})
    if r.status_code == 404:
        return
    assert r.status_code == 200
    assert form_with(r.text, "login").action == "/v4/oauth/authorization"


def test_under_a_mount(inst, client, user):
    cid, _, uri = client
    b = Browser(inst, mount="/visitor-management")
    r = b.get(AUTHORIZE, params={"response_type": "code", "client_id": cid,
                                 "redirect_uri": uri})
    assert r.status_code == 200
    assert cookie_attrs(r, "oauth_csrf")["path"] == "/visitor-management/"
    assert 'href="/visitor-management/static/style.css"' in r.text
    assert form_with(r.text, "login").action == \
        "/visitor-management" + AUTHORIZE
    css = requests.get(inst.url + "/visitor-management/static/style.css",
                       timeout=TIMEOUT)
    assert css.status_code == 200 and "text/css" in css.headers["Content-Type"]
    r = sign_in(b, r, *user)
    assert r.status_code == 303
    assert r.headers["Location"].startswith("/visitor-management" + AUTHORIZE)
    assert cookie_attrs(r, "oauth_session")["path"] == "/visitor-management/"


def test_static_css_is_served(inst):
    r = requests.get(inst.url + "/static/style.css", timeout=TIMEOUT)
    assert r.status_code == 200
    assert "text/css" in r.headers["Content-Type"]


# --- the devices page --------------------------------------------------------------
def legacy_login(inst, user, device):
    r = requests.post(inst.url + "/v1/oauth/", data={
        "username": user[0], "password": user[1], "device-info": device},
        timeout=TIMEOUT)
    body = r.json()
    assert body["success"], body
    return body["data"]["access_token"]


def test_devices_page(inst, client, user):
    b = Browser(inst)
    r = b.get(DEVICES)
    assert r.status_code == 200 and 'name="password"' in r.text
    assert_page_headers(r)
    assert form_with(r.text, "login").action == DEVICES
    r = sign_in(b, r, *user)
    assert r.status_code == 303 and r.headers["Location"] == DEVICES
    phone = legacy_login(inst, user, "Phone <one>")
    legacy_login(inst, user, "Tablet two")
    r = b.get(DEVICES)
    assert r.status_code == 200
    assert_page_headers(r)
    assert "This browser" in r.text
    assert "Phone &lt;one&gt;" in r.text and "Tablet two" in r.text
    assert "pytest-browser/1.0" in r.text
    assert re.search(r"\d{2} \w{3} \d{4}, \d{2}:\d{2} UTC", r.text)
    # Sign out the phone: its token dies.
    sid = None
    for f in forms_of(r.text):
        if ("action", "signout") in f.buttons:
            fields = dict(f.fields)
            row = r.text.split('value="%s"' % fields["session_id"])[0]
            if row.rfind("Phone &lt;one&gt;") > row.rfind("<li"):
                sid = fields["session_id"]
                form = f
    assert sid is not None
    r = b.s.post(inst.url + form.action, data=form.fields + [
        ("action", "signout")], allow_redirects=False, timeout=TIMEOUT)
    assert r.status_code == 303 and r.headers["Location"] == DEVICES
    s = requests.get(inst.url + "/v1/oauth/sessions/",
                     headers={"Authorization": "Token " + phone},
                     timeout=TIMEOUT)
    assert s.json()["errors"]["code"] == "1403"
    r = b.get(DEVICES)
    assert "Phone &lt;one&gt;" not in r.text and "Tablet two" in r.text
    # Sign out all others: only this browser stays.
    r = b.submit(r, "signout_others")
    assert r.status_code == 303
    r = b.get(DEVICES)
    assert "Tablet two" not in r.text and "This browser" in r.text
    assert re.search(r'<form[^>]*class="others"[^>]*hidden', r.text)
    # Sign this browser out: cookie cleared, the form again.
    r = b.submit(r, "signout")
    assert r.status_code == 303
    assert cookie_attrs(r, "oauth_session")["max-age"] == "0"
    r = b.get(DEVICES)
    assert 'name="password"' in r.text


def test_devices_post_needs_csrf(inst, user):
    b = Browser(inst)
    r = sign_in(b, b.get(DEVICES), *user)
    r = b.get(DEVICES)
    f = form_with(r.text, "signout")
    data = [(k, v) for k, v in f.fields if k != "csrf"]
    r = b.s.post(inst.url + DEVICES, data=data + [("action", "signout"),
                                                  ("csrf", "f" * 40)],
                 allow_redirects=False, timeout=TIMEOUT)
    assert_error_page(r, 403)
    assert "This browser" in b.get(DEVICES).text


def test_devices_cannot_sign_out_someone_elses_session(inst, user, new_user):
    other = new_user()
    tok = legacy_login(inst, other, "victim phone")
    b = Browser(inst)
    sign_in(b, b.get(DEVICES), *user)
    r = b.get(DEVICES)
    f = form_with(r.text, "signout")
    fields = dict(f.fields)
    rows = inst.sql("SELECT MAX(id) FROM sessions")
    fields["session_id"] = rows[0][0]
    r = b.s.post(inst.url + DEVICES, data=list(fields.items()) + [
        ("action", "signout")], allow_redirects=False, timeout=TIMEOUT)
    assert r.status_code == 303
    s = requests.get(inst.url + "/v1/oauth/sessions/",
                     headers={"Authorization": "Token " + tok},
                     timeout=TIMEOUT)
    assert s.json()["success"] is True


def test_devices_bad_session_id(inst, user):
    b = Browser(inst)
    sign_in(b, b.get(DEVICES), *user)
    r = b.get(DEVICES)
    f = form_with(r.text, "signout")
    fields = dict(f.fields)
    fields["session_id"] = "12abc"
    r = b.s.post(inst.url + DEVICES, data=list(fields.items()) + [
        ("action", "signout")], allow_redirects=False, timeout=TIMEOUT)
    assert_error_page(r, 400)


def test_a_script_scheme_redirect_uri_is_never_followed(inst):
    # Registration should refuse these; the endpoint refuses them anyway.
    for uri in ("javascript:alert(1)", "JavaScript:alert(1)"):
        cid = "c_" + secrets.token_hex(6)
        proc = inst.cli("client", "add", cid, "--redirect-uri", uri,
                        "--grant", "authorization_code")
        if proc.returncode != 0:
            continue  # refused at registration: fine too
        r = authorize(Browser(inst), {"response_type": "nope",
                                      "client_id": cid, "redirect_uri": uri})
        assert_error_page(r)


def test_state_with_control_characters_is_refused(inst, client):
    # A browser would turn a line break in a hidden field into CRLF, so
    # such a state could not come back as sent: refused (RFC 6749 A.5).
    cid, _, uri = client
    for state in ("a\nb", "a\rb", "tab\there", "\x7f"):
        r = authorize(Browser(inst), {"response_type": "code",
                                      "client_id": cid, "redirect_uri": uri,
                                      "state": state})
        assert r.status_code == 302, repr(state)
        _, q, _ = location(r)
        assert q["error"] == ["invalid_request"]
        assert q["state"] == [state]


def test_database_down_gives_a_readable_503_page(inst, client):
    cid, _, uri = client
    inst.db_stop()
    try:
        r = authorize(Browser(inst), {"response_type": "code",
                                      "client_id": cid, "redirect_uri": uri})
        assert_error_page(r, 503)
        assert int(r.headers["Retry-After"]) > 0
        r = Browser(inst).get(DEVICES, headers={
            "Cookie": "oauth_session=" + "a" * 40})
        assert_error_page(r, 503)
    finally:
        inst.db_start()
    # Back by itself.
    r = authorize(Browser(inst), {"response_type": "code", "client_id": cid,
                                  "redirect_uri": uri})
    assert r.status_code == 200


def test_a_state_too_long_to_send_back_is_refused_up_front(inst, client):
    cid, _, uri = client
    r = authorize(Browser(inst), {"response_type": "code", "client_id": cid,
                                  "redirect_uri": uri, "state": "\u00e9" * 400})
    assert_error_page(r, 400)
    # A long one that fits comes back whole.
    state = "s" * 1200
    r = authorize(Browser(inst), {"response_type": "nope", "client_id": cid,
                                  "redirect_uri": uri, "state": state})
    assert r.status_code == 302
    assert location(r)[1]["state"] == [state]
