"""The standard OAuth 2.0 dialect, black box through Apache and MariaDB
(SPEC section R, 11, 12, 12b; seed 003_b9bba3917c3367e0.txt).

RFC 6749 (§2.3 client authentication, §3.1-3.3, §4.1-4.4 the grants, §5.1
and §5.2 the answers, §6 refresh), RFC 7636 (PKCE), RFC 7662
(introspection), RFC 7009 (revocation), RFC 6750 (bearer tokens at
/oauth/userinfo) and RFC 8414 (metadata).

This file: the token endpoint's grants, client authentication and every
§5.2 error; introspection; revocation; userinfo; metadata; a legacy token
seen through this dialect. The attacks (code replay, PKCE downgrade, refresh
reuse, concurrency, throttle, database down) are in test_oauth2_security.py,
and generic client libraries in test_interop.py; both import the helpers
below.
"""
import base64
import hashlib
import re
import secrets
import time
from html.parser import HTMLParser
from urllib.parse import parse_qs, quote, urljoin, urlsplit

import pytest
import requests

from conftest import clear_throttle

TIMEOUT = 30
TOKEN = "/oauth/token"
AUTHORIZE = "/oauth/authorize"
INTROSPECT = "/oauth/introspect"
REVOKE = "/oauth/revoke"
USERINFO = "/oauth/userinfo"
METADATA = "/.well-known/oauth-authorization-server"
HEX40 = re.compile(r"[0-9a-f]{40}")
ALL_SCOPES = "username email firstname lastname phone"
UA = "pytest-oauth2/1.0"

# error_description texts of docs/oauth2.md
D_GRANT = ("the grant is invalid, expired, revoked or was issued to another "
           "client")
D_CREDENTIALS = "invalid username or password"
D_CLIENT = "client authentication failed"
D_UNAUTHORIZED = "the client may not use this grant type"
D_SCOPE = "the requested scope is invalid or not allowed"
D_REPEATED = "a parameter is repeated or not a string"
D_TWO_METHODS = "more than one client authentication method"
D_UNSUPPORTED = "unsupported grant_type"
D_THROTTLED = "too many failed login attempts"
D_TOKEN_PARAM = "one token parameter is required"
BASIC_CHALLENGE = 'Basic realm="oauth", charset="UTF-8"'
INACTIVE = {"active": False}


# --- helpers (also imported by test_oauth2_security.py, test_interop.py) ----
def config_value(inst, key, default):
    """A key of the instance's configuration file, else the default."""
    try:
        with open(inst.config, encoding="utf-8") as f:
            for line in f:
                k, sep, v = line.partition("=")
                if sep and k.strip() == key:
                    return v.strip()
    except OSError:
        pass
    return default


def default_ttl(inst):
    return int(config_value(inst, "access_token_ttl", "3600"))


class Client:
    def __init__(self, client_id, secret, uris, ref):
        self.id = client_id
        self.secret = secret
        self.uris = uris
        self.uri = uris[0]
        self.ref = ref  # clients.id

    @property
    def auth(self):
        """requests' Basic auth (ids here need no form-encoding)."""
        return (self.id, self.secret)

    @property
    def post(self):
        """client_secret_post fields (client_id alone for a public one)."""
        if self.secret is None:
            return {"client_id": self.id}
        return {"client_id": self.id, "client_secret": self.secret}


def make_client(inst, grants=("password", "refresh_token"),
                scopes=("username", "email"), public=False,
                resource_server=False, access_ttl=None, uris=None,
                name="Test App", client_id=None):
    """Register a client with the CLI; returns a Client."""
    client_id = client_id or "o2_" + secrets.token_hex(8)
    if uris is None:
        uris = ["%s/cb/%s" % (inst.url, secrets.token_hex(6))]
    args = ["client", "add", client_id]
    for u in uris:
        args += ["--redirect-uri", u]
    for g in grants:
        args += ["--grant", g]
    if scopes:
        args += ["--scope", " ".join(scopes)]
    if public:
        args.append("--public")
    if resource_server:
        args.append("--resource-server")
    if access_ttl is not None:
        args += ["--access-ttl", str(access_ttl)]
    if name is not None:
        args += ["--name", name]
    proc = inst.cli(*args)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert "client_id: %s" % client_id in lines, proc.stdout
    secret = None
    for line in lines:
        if line.startswith("client_secret: "):
            secret = line.split(": ", 1)[1].strip()
    assert (secret is None) == public, proc.stdout
    if secret is not None:
        assert HEX40.fullmatch(secret), secret
    rows = inst.sql("SELECT id FROM clients WHERE client_id = %s",
                    client_id.encode())
    assert len(rows) == 1
    return Client(client_id, secret, uris, int(rows[0][0]))


def post(inst, path, data=None, **kw):
    kw.setdefault("timeout", TIMEOUT)
    kw.setdefault("allow_redirects", False)
    headers = {"User-Agent": UA}
    headers.update(kw.pop("headers", None) or {})
    return requests.post(inst.url + path, data=data, headers=headers, **kw)


def token_request(inst, data=None, **kw):
    return post(inst, TOKEN, data, **kw)


def digest(token):
    """tokens.digest of a token (SHA-256), as bytes for inst.sql."""
    return hashlib.sha256(token.encode()).digest()


def token_row(inst, token, columns="kind, revoked, used_at, HEX(family)"):
    rows = inst.sql("SELECT %s FROM tokens WHERE digest = " % columns + "%s",
                    digest(token))
    return rows[0] if rows else None


def issued_count(inst, client):
    """Access and refresh tokens ever issued to the client."""
    rows = inst.sql("SELECT COUNT(*) FROM tokens WHERE client_ref = %s AND "
                    "kind IN (1, 2)", client.ref)
    return int(rows[0][0])


def user_id(inst, username):
    rows = inst.sql("SELECT id FROM users WHERE username = %s",
                    username.encode())
    return int(rows[0][0])


def assert_tokens(r, ttl, scope, refresh=True):
    """A §5.1 / seed 003 answer, exactly; returns the body."""
    assert r.status_code == 200, (r.status_code, r.text)
    assert r.headers["Content-Type"] == "application/json"
    assert r.headers["Cache-Control"] == "no-store"
    assert r.headers["Pragma"] == "no-cache"
    body = r.json()
    keys = ["token_type", "expires_in", "access_token"]
    if refresh:
        keys.append("refresh_token")
    keys.append("scope")
    assert list(body) == keys, body
    assert body["token_type"] == "Bearer"
    assert type(body["expires_in"]) is int and body["expires_in"] == ttl
    assert HEX40.fullmatch(body["access_token"])
    if refresh:
        assert HEX40.fullmatch(body["refresh_token"])
        assert body["refresh_token"] != body["access_token"]
    assert body["scope"] == scope
    return body


def assert_error(r, status, error, description):
    """A §5.2 error answer, exactly (description None: no such key)."""
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["Content-Type"] == "application/json"
    assert r.headers["Cache-Control"] == "no-store"
    assert r.headers["Pragma"] == "no-cache"
    expected = {"error": error}
    if description is not None:
        expected["error_description"] = description
        # §5.2: error_description is NQSCHAR only.
        assert re.fullmatch(r"[\x20\x21\x23-\x5b\x5d-\x7e]*", description)
    assert r.json() == expected


def assert_invalid_client(r, basic):
    assert_error(r, 401, "invalid_client", D_CLIENT)
    if basic:
        assert r.headers["WWW-Authenticate"] == BASIC_CHALLENGE
    else:
        assert "WWW-Authenticate" not in r.headers


def password_grant(inst, client, user, scope=None, basic=False, **extra):
    data = {"grant_type": "password", "username": user[0],
            "password": user[1]}
    if scope is not None:
        data["scope"] = scope
    data.update(extra)
    if basic:
        return token_request(inst, data, auth=client.auth)
    data.update(client.post)
    return token_request(inst, data)


def login(inst, client, user, scope=None):
    """A password grant that must work; returns the token body."""
    r = password_grant(inst, client, user, scope)
    assert r.status_code == 200, r.text
    return r.json()


def refresh(inst, client, refresh_token, scope=None):
    data = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    if scope is not None:
        data["scope"] = scope
    data.update(client.post)
    return token_request(inst, data)


def introspect(inst, client, token, **kw):
    data = {"token": token}
    data.update(client.post)
    return post(inst, INTROSPECT, data, **kw)


def is_active(inst, client, token):
    r = introspect(inst, client, token)
    assert r.status_code == 200, r.text
    return r.json() != INACTIVE


def revoke(inst, client, token, **kw):
    data = {"token": token}
    data.update(client.post)
    return post(inst, REVOKE, data, **kw)


def assert_revoke_ok(r):
    assert r.status_code == 200, (r.status_code, r.text)
    assert r.content == b"{}"  # SPEC 14: {} as JSON
    assert r.headers["Content-Type"] == "application/json"


def userinfo(inst, token):
    return requests.get(inst.url + USERINFO, timeout=TIMEOUT,
                        headers={"Authorization": "Bearer " + token})


def userinfo_ok(inst, token):
    r = userinfo(inst, token)
    if r.status_code == 200:
        return True
    assert r.status_code == 401, (r.status_code, r.text)
    return False


def legacy_login(inst, user):
    r = requests.post(inst.url + "/v1/oauth/", data={
        "username": user[0], "password": user[1],
        "device-info": "pytest legacy"}, timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["success"] is True, body
    return body["data"]["access_token"]


def pkce_pair():
    verifier = secrets.token_urlsafe(48)[:64]
    challenge = base64.urlsafe_b64encode(
        hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


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


def submit(s, page, action, extra=()):
    """POST the form of `page` whose button is action=`action`, as a
    browser would (hidden fields, CSRF token included)."""
    p = _Forms()
    p.feed(page.text)
    for f in p.forms:
        if ("action", action) in f["buttons"]:
            break
    else:
        raise AssertionError("no %s form in %s" % (action, page.text[:800]))
    assert f["method"] == "post"
    data = list(f["fields"]) + list(extra) + [("action", action)]
    return s.post(urljoin(page.url, f["action"]), data=data,
                  allow_redirects=False, timeout=TIMEOUT)


def browser():
    s = requests.Session()
    s.trust_env = False
    s.headers["User-Agent"] = "pytest-oauth2-browser/1.0"
    return s


def browse_authorization(inst, url, user, s=None):
    """Play the person at the authorization URL `url`: sign in, approve.
    Returns the final redirect URL (to the client's redirect URI)."""
    s = s or browser()
    r = s.get(url, allow_redirects=False, timeout=TIMEOUT)
    assert r.status_code == 200 and 'name="password"' in r.text, (
        r.status_code, r.text[:800])
    r = submit(s, r, "login", [("username", user[0]),
                               ("password", user[1])])
    assert r.status_code == 303, (r.status_code, r.text[:800])
    r = s.get(urljoin(r.url, r.headers["Location"]), allow_redirects=False,
              timeout=TIMEOUT)
    assert r.status_code == 200 and 'value="approve"' in r.text, (
        r.status_code, r.text[:800])
    r = submit(s, r, "approve")
    assert r.status_code == 303, (r.status_code, r.text[:800])
    return r.headers["Location"]


def get_code(inst, client, user, scope=None, challenge=None, method="S256",
             redirect_uri=None, state=None):
    """An authorization code through the login and consent pages."""
    params = {"response_type": "code", "client_id": client.id,
              "redirect_uri": redirect_uri or client.uri}
    state = state or secrets.token_urlsafe(8)
    params["state"] = state
    if scope is not None:
        params["scope"] = scope
    if challenge is not None:
        params["code_challenge"] = challenge
        params["code_challenge_method"] = method
    url = inst.url + AUTHORIZE + "?" + "&".join(
        "%s=%s" % (k, quote(v, safe="")) for k, v in params.items())
    loc = browse_authorization(inst, url, user)
    parts = urlsplit(loc)
    assert "%s://%s%s" % (parts.scheme, parts.netloc, parts.path) == \
        params["redirect_uri"]
    q = parse_qs(parts.query, keep_blank_values=True)
    assert set(q) == {"code", "state", "iss"}, loc  # iss: RFC 9207
    assert q["state"] == [state]
    code = q["code"][0]
    assert HEX40.fullmatch(code)
    return code


def exchange(inst, client, code, verifier=None, redirect_uri=None,
             basic=False):
    data = {"grant_type": "authorization_code", "code": code,
            "redirect_uri": redirect_uri or client.uri}
    if verifier is not None:
        data["code_verifier"] = verifier
    if basic:
        return token_request(inst, data, auth=client.auth)
    data.update(client.post)
    return token_request(inst, data)


# --- fixtures ----------------------------------------------------------------
@pytest.fixture
def client(inst):
    """Confidential; password and refresh_token; scopes username email."""
    return make_client(inst)


@pytest.fixture
def user(new_user):
    return new_user(email="%s@example.com" % secrets.token_hex(6),
                    first="Ada", last="Lovelace",
                    phone="+1555%07d" % secrets.randbelow(10 ** 7))


# --- the token endpoint: grants ----------------------------------------------
def test_password_grant_with_the_seed_003_request(inst, client, user):
    # Seed 003's example, as it is: everything in the body, scope "".
    t0 = int(time.time())
    r = token_request(inst, {
        "client_id": client.id, "client_secret": client.secret,
        "grant_type": "password", "username": user[0],
        "password": user[1], "scope": ""})
    body = assert_tokens(r, default_ttl(inst), "username email")
    # Only digests at rest (SPEC 3), each of the right kind.
    assert token_row(inst, body["access_token"], "kind, revoked, used_at") \
        == ("1", "0", None)
    assert token_row(inst, body["refresh_token"], "kind, revoked, used_at") \
        == ("2", "0", None)
    # A new device session named after the User-Agent.
    rows = inst.sql("SELECT s.device_info, s.client_ref, s.created_at FROM "
                    "tokens t JOIN sessions s ON s.id = t.session_id WHERE "
                    "t.digest = %s", digest(body["access_token"]))
    assert rows[0][0] == UA and int(rows[0][1]) == client.ref
    assert t0 <= int(rows[0][2]) <= int(time.time())


def test_password_grant_with_basic_auth(inst, client, user):
    r = password_grant(inst, client, user, "email", basic=True)
    assert_tokens(r, default_ttl(inst), "email")


def test_unrecognized_parameters_are_ignored(inst, client, user):
    # §3.2: "The authorization server MUST ignore unrecognized request
    # parameters."
    r = password_grant(inst, client, user, "email", basic=True,
                       foo="bar", nonce="n", audience="x")
    assert_tokens(r, default_ttl(inst), "email")


def test_password_grant_without_refresh_grant_has_no_refresh_token(inst,
                                                                   user):
    c = make_client(inst, grants=("password",))
    assert_tokens(password_grant(inst, c, user), default_ttl(inst),
                  "username email", refresh=False)


def test_password_grant_default_scope_of_a_client_without_a_list(inst, user):
    c = make_client(inst, scopes=())
    assert_tokens(password_grant(inst, c, user), default_ttl(inst),
                  ALL_SCOPES)


def test_access_ttl_of_the_client(inst, client, user):
    c = make_client(inst, access_ttl=60)
    body = assert_tokens(password_grant(inst, c, user), 60,
                         "username email")
    info = introspect(inst, c, body["access_token"]).json()
    assert info["exp"] - info["iat"] == 60
    # The refresh grant keeps the client's lifetime.
    assert_tokens(refresh(inst, c, body["refresh_token"]), 60,
                  "username email")


def test_client_credentials_grant(inst):
    c = make_client(inst, grants=("client_credentials", "refresh_token"))
    r = token_request(inst, {"grant_type": "client_credentials"},
                      auth=c.auth)
    # §4.4.3: no refresh token, even for a client allowed the grant.
    body = assert_tokens(r, default_ttl(inst), "username email",
                         refresh=False)
    assert token_row(inst, body["access_token"],
                     "kind, user_id, session_id") == ("1", None, None)
    # client_secret_post, and a narrower scope.
    r = token_request(inst, dict(c.post, grant_type="client_credentials",
                                 scope="email"))
    assert_tokens(r, default_ttl(inst), "email", refresh=False)


# A process that issued to a client by client_credentials remembers the
# client and, next time, lets the token's INSERT check the client's row
# instead of reading it first (docs/performance.md). Whatever changes in
# the row must take effect at once, in every process: each case below sends
# enough requests that many processes have the client in memory first.
WARM = 24


def cc(inst, c, secret=None, **extra):
    data = dict(grant_type="client_credentials", **extra)
    return token_request(inst, data, auth=(c.id, secret or c.secret))


def warm(inst, c, **extra):
    for _ in range(WARM):
        r = cc(inst, c, **extra)
        assert r.status_code == 200, r.text


def test_remembered_client_loses_a_rotated_secret_at_once(inst):
    c = make_client(inst, grants=("client_credentials",))
    warm(inst, c)
    new = secrets.token_hex(20)
    inst.sql("UPDATE clients SET secret_hash = CONCAT('sha256:', "
             "SHA2(%s, 256)) WHERE id = %s", new, c.ref)
    for _ in range(WARM):
        clear_throttle(inst)  # WARM failures are more than SPEC 14 allows
        assert_invalid_client(cc(inst, c), basic=True)
    r = cc(inst, c, secret=new)
    assert_tokens(r, default_ttl(inst), "username email", refresh=False)


def test_remembered_client_deleted_or_changed_is_refused_at_once(inst):
    c = make_client(inst, grants=("client_credentials",))
    warm(inst, c, scope="email")
    # The scope it used is taken away: invalid_scope, never a token.
    inst.sql("UPDATE clients SET scopes = 'username' WHERE id = %s", c.ref)
    for _ in range(WARM):
        assert_error(cc(inst, c, scope="email"), 400, "invalid_scope",
                     D_SCOPE)
    warm(inst, c, scope="username")
    # The grant is taken away: unauthorized_client.
    inst.sql("UPDATE clients SET grants = 'password' WHERE id = %s", c.ref)
    for _ in range(WARM):
        assert_error(cc(inst, c), 400, "unauthorized_client",
                     D_UNAUTHORIZED)
    inst.sql("UPDATE clients SET grants = 'client_credentials' WHERE "
             "id = %s", c.ref)
    warm(inst, c)
    # A new access_ttl shows in the very next answer.
    inst.sql("UPDATE clients SET access_ttl = 123 WHERE id = %s", c.ref)
    for _ in range(WARM):
        r = cc(inst, c)
        assert r.status_code == 200 and r.json()["expires_in"] == 123
    # Deleted: invalid_client, and no token row written for it.
    issued = inst.sql("SELECT COUNT(*) FROM tokens WHERE client_ref = %s",
                      c.ref)
    proc = inst.cli("client", "del", c.id)
    assert proc.returncode == 0, proc.stderr
    for _ in range(WARM):
        clear_throttle(inst)  # WARM failures are more than SPEC 14 allows
        assert_invalid_client(cc(inst, c), basic=True)
    assert inst.sql("SELECT COUNT(*) FROM tokens WHERE client_ref = %s",
                    c.ref) == issued


def test_client_credentials_for_a_public_client_is_invalid_client(inst):
    # §4.4: only confidential clients; a public client cannot authenticate
    # (§2.3), so this is §5.2 "no client authentication included".
    # The CLI refuses to register such a client...
    proc = inst.cli("client", "add", "o2_" + secrets.token_hex(8),
                    "--redirect-uri", inst.url + "/cb", "--grant",
                    "client_credentials", "--public")
    assert proc.returncode != 0
    assert "public client cannot use client_credentials" in proc.stderr
    # ...and the token endpoint refuses one that has the grant anyway
    # (edited in the database), and one that has not.
    c = make_client(inst, grants=("password",), public=True)
    inst.sql("UPDATE clients SET grants = 'client_credentials' WHERE "
             "id = %s", c.ref)
    d = make_client(inst, grants=("password",), public=True)
    for pub in (c, d):
        r = token_request(inst, {"grant_type": "client_credentials",
                                 "client_id": pub.id})
        assert_invalid_client(r, basic=False)
        assert issued_count(inst, pub) == 0


def test_authorization_code_with_pkce_for_a_public_client(inst, user):
    c = make_client(inst, grants=("authorization_code", "refresh_token"),
                    public=True)
    verifier, challenge = pkce_pair()
    code = get_code(inst, c, user, scope="username", challenge=challenge)
    r = exchange(inst, c, code, verifier)
    body = assert_tokens(r, default_ttl(inst), "username")
    r = userinfo(inst, body["access_token"])
    assert r.status_code == 200
    assert r.json() == {"sub": str(user_id(inst, user[0])),
                        "username": user[0]}
    # The public client refreshes with its client_id alone.
    assert_tokens(refresh(inst, c, body["refresh_token"]), default_ttl(inst),
                  "username")


def test_authorization_code_with_pkce_and_basic_auth(inst, user):
    c = make_client(inst, grants=("authorization_code",),
                    scopes=("username", "email", "phone"))
    verifier, challenge = pkce_pair()
    code = get_code(inst, c, user, challenge=challenge)
    r = exchange(inst, c, code, verifier, basic=True)
    # No scope asked: the client's allowed ones; no refresh grant.
    body = assert_tokens(r, default_ttl(inst), "username email phone",
                         refresh=False)
    assert token_row(inst, code, "kind, used_at IS NOT NULL") == ("3", "1")
    info = introspect(inst, c, body["access_token"]).json()
    assert info["client_id"] == c.id and info["username"] == user[0]


def test_refresh_rotation(inst, client, user):
    body = login(inst, client, user)
    old_access, seen = body["access_token"], {body["refresh_token"]}
    current = body["refresh_token"]
    for _ in range(3):
        r = refresh(inst, client, current)
        new = assert_tokens(r, default_ttl(inst), "username email")
        assert new["refresh_token"] not in seen
        assert new["access_token"] != old_access
        assert userinfo_ok(inst, new["access_token"])
        # The retired one is refused.
        assert_error(refresh(inst, client, current), 400, "invalid_grant",
                     D_GRANT)
        seen.add(new["refresh_token"])
        current = new["refresh_token"]
    # Rotation leaves the first access token alone (docs/oauth2.md).
    assert userinfo_ok(inst, old_access)
    # All of one family.
    fams = {token_row(inst, t, "HEX(family)") for t in seen}
    assert len(fams) == 1


def test_refresh_may_narrow_the_scope_never_widen_it(inst, client, user):
    body = login(inst, client, user, "username")
    assert_error(refresh(inst, client, body["refresh_token"],
                         "username email"), 400, "invalid_scope", D_SCOPE)
    # The failed attempt did not use the token up.
    r = refresh(inst, client, body["refresh_token"], "username")
    new = assert_tokens(r, default_ttl(inst), "username")
    body = login(inst, client, user, "username email")
    r = refresh(inst, client, body["refresh_token"], "email")
    new = assert_tokens(r, default_ttl(inst), "email")
    assert userinfo(inst, new["access_token"]).json() == {
        "sub": str(user_id(inst, user[0])), "email": user_email(inst, user)}


def user_email(inst, user):
    return inst.sql("SELECT email FROM users WHERE username = %s",
                    user[0].encode())[0][0]


def test_refresh_token_is_bound_to_its_client(inst, client, user):
    other = make_client(inst)
    body = login(inst, client, user)
    assert_error(refresh(inst, other, body["refresh_token"]), 400,
                 "invalid_grant", D_GRANT)
    assert issued_count(inst, other) == 0
    # Still good for its own client.
    assert_tokens(refresh(inst, client, body["refresh_token"]),
                  default_ttl(inst), "username email")


# --- client authentication (§2.3) --------------------------------------------
def test_basic_credentials_are_form_urlencoded(inst, user):
    # §2.3.1: id and secret are application/x-www-form-urlencoded before
    # Base64. An id with ':', '+', '%', '/', '&', '=' and non-ASCII, and a
    # secret (set in the database, as a SHA-256 digest like generated
    # ones) with ':', space, '+', '%' and non-ASCII.
    cid = "o2:+%%/&=\u00e9_%s" % secrets.token_hex(4)
    c = make_client(inst, client_id=cid)
    secret = "s:e c+r%%t/\u00e9=%s" % secrets.token_hex(4)
    inst.sql("UPDATE clients SET secret_hash = %s WHERE id = %s",
             "sha256:" + hashlib.sha256(secret.encode()).hexdigest(), c.ref)
    enc = lambda s: quote(s, safe="").replace("%20", "+")  # noqa: E731
    cred = base64.b64encode(("%s:%s" % (enc(cid), enc(secret))).encode())
    data = {"grant_type": "password", "username": user[0],
            "password": user[1]}
    r = token_request(inst, data, headers={
        "Authorization": "Basic " + cred.decode()})
    assert_tokens(r, default_ttl(inst), "username email")
    # Spaces as %20 decode the same.
    cred = base64.b64encode(("%s:%s" % (quote(cid, safe=""),
                                        quote(secret, safe=""))).encode())
    r = token_request(inst, data, headers={
        "Authorization": "Basic " + cred.decode()})
    assert_tokens(r, default_ttl(inst), "username email")
    # Not encoded: '+' reads as a space and '%/' is no escape: refused.
    raw = base64.b64encode(("%s:%s" % (cid, secret)).encode())
    r = token_request(inst, data, headers={
        "Authorization": "Basic " + raw.decode()})
    assert_invalid_client(r, basic=True)
    # client_secret_post with the same id and secret (requests encodes).
    r = token_request(inst, dict(data, client_id=cid, client_secret=secret))
    assert_tokens(r, default_ttl(inst), "username email")


def test_both_client_authentication_methods_is_invalid_request(inst, client,
                                                               user):
    # §2.3: a client MUST NOT use more than one method in a request.
    data = {"grant_type": "password", "username": user[0],
            "password": user[1]}
    before = issued_count(inst, client)
    r = token_request(inst, dict(data, client_secret=client.secret),
                      auth=client.auth)
    assert_error(r, 400, "invalid_request", D_TWO_METHODS)
    r = token_request(inst, dict(data, client_id=client.id,
                                 client_secret=client.secret),
                      auth=client.auth)
    assert_error(r, 400, "invalid_request", D_TWO_METHODS)
    # Basic naming another client_id in the body.
    other = make_client(inst)
    r = token_request(inst, dict(data, client_id=other.id), auth=client.auth)
    assert_error(r, 400, "invalid_request", D_TWO_METHODS)
    assert issued_count(inst, client) == before
    assert issued_count(inst, other) == 0
    # The same client_id in the body beside Basic is no second method.
    r = token_request(inst, dict(data, client_id=client.id),
                      auth=client.auth)
    assert_tokens(r, default_ttl(inst), "username email")


def test_json_body(inst, client, user):
    r = token_request(inst, json={
        "grant_type": "password", "client_id": client.id,
        "client_secret": client.secret, "username": user[0],
        "password": user[1], "scope": "username"})
    assert_tokens(r, default_ttl(inst), "username")
    # With Basic as well.
    r = token_request(inst, json={"grant_type": "password",
                                  "username": user[0], "password": user[1]},
                      auth=client.auth)
    assert_tokens(r, default_ttl(inst), "username email")
    # A value that is not a string.
    r = token_request(inst, json={"grant_type": "password",
                                  "username": user[0],
                                  "password": 12345678}, auth=client.auth)
    assert_error(r, 400, "invalid_request", D_REPEATED)


@pytest.mark.parametrize("how", ["post", "basic"])
def test_invalid_client(inst, client, user, how):
    basic = how == "basic"
    data = {"grant_type": "password", "username": user[0],
            "password": user[1]}

    def send(cid, secret):
        if basic:
            return token_request(inst, data, auth=(cid, secret))
        return token_request(inst, dict(data, client_id=cid,
                                        client_secret=secret))

    # Wrong secret, unknown client, empty secret.
    assert_invalid_client(send(client.id, "0" * 40), basic)
    assert_invalid_client(send(client.id, client.secret[:-1]), basic)
    assert_invalid_client(send("no-such-" + client.id, client.secret), basic)
    assert_invalid_client(send(client.id, ""), basic)
    # A public client that sends a secret.
    pub = make_client(inst, public=True)
    assert_invalid_client(send(pub.id, "anything"), basic)
    assert issued_count(inst, client) == 0
    assert issued_count(inst, pub) == 0


def test_no_client_credentials_is_invalid_client(inst, client, user):
    data = {"grant_type": "password", "username": user[0],
            "password": user[1]}
    assert_invalid_client(token_request(inst, data), basic=False)
    # client_id alone, for a confidential client.
    assert_invalid_client(token_request(inst, dict(data,
                                                   client_id=client.id)),
                          basic=False)
    # Malformed Basic headers.
    for h in ("Basic !!!!", "Basic " + base64.b64encode(
            b"no-colon").decode(), "Basic " + base64.b64encode(
            client.id.encode() + b"\0:" + client.secret.encode()).decode()):
        r = token_request(inst, data, headers={"Authorization": h})
        assert_invalid_client(r, basic=True)
    assert issued_count(inst, client) == 0


def test_bare_basic_scheme_gets_the_basic_challenge(inst, client, user):
    # §5.2: the client attempted to authenticate with the Authorization
    # header (scheme Basic, no credentials): 401 with WWW-Authenticate.
    r = token_request(inst, {"grant_type": "password", "username": user[0],
                             "password": user[1]},
                      headers={"Authorization": "Basic"})
    assert_invalid_client(r, basic=True)


# --- §5.2 errors -------------------------------------------------------------
def test_missing_grant_type(inst, client):
    assert_error(token_request(inst, client.post), 400, "invalid_request",
                 "grant_type is required")
    assert_error(token_request(inst, dict(client.post, grant_type="")), 400,
                 "invalid_request", "grant_type is required")
    # Nothing at all, not even a client.
    assert_error(token_request(inst, {}), 400, "invalid_request",
                 "grant_type is required")
    # §3.2: parameters come from the body; the query string is not read.
    r = post(inst, TOKEN + "?grant_type=client_credentials", client.post)
    assert_error(r, 400, "invalid_request", "grant_type is required")


@pytest.mark.parametrize("how", ["absent", "empty"])
@pytest.mark.parametrize("missing", ["username", "password"])
def test_password_grant_needs_username_and_password(inst, client, user,
                                                    missing, how):
    # §3.2: "Parameters sent without a value MUST be treated as if they
    # were omitted from the request" (docs/oauth2.md: empty is absent).
    data = dict(client.post, grant_type="password", username=user[0],
                password=user[1])
    if how == "absent":
        del data[missing]
    else:
        data[missing] = ""
    assert_error(token_request(inst, data), 400, "invalid_request",
                 "username and password are required")
    # Not a failed login either: nothing for the throttle.
    assert inst.sql("SELECT COUNT(*) FROM login_failures") == [("0",)]


def test_missing_code_and_missing_refresh_token(inst):
    c = make_client(inst, grants=("authorization_code", "refresh_token"))
    for data in ({"grant_type": "authorization_code"},
                 {"grant_type": "authorization_code", "code": ""}):
        assert_error(token_request(inst, data, auth=c.auth), 400,
                     "invalid_request", "code is required")
    for data in ({"grant_type": "refresh_token"},
                 {"grant_type": "refresh_token", "refresh_token": ""}):
        assert_error(token_request(inst, data, auth=c.auth), 400,
                     "invalid_request", "refresh_token is required")


@pytest.mark.parametrize("name", ["grant_type", "username", "password",
                                  "scope", "client_id", "client_secret",
                                  "unknown_extra"])
def test_repeated_parameter_in_the_body(inst, client, user, name):
    # §3.1/§3.2: parameters MUST NOT be included more than once.
    data = [("grant_type", "password"), ("username", user[0]),
            ("password", user[1]), ("scope", "username"),
            ("client_id", client.id), ("client_secret", client.secret)]
    if name in dict(data):
        data.append((name, dict(data)[name]))
    else:  # an unrecognized one, twice
        data += [(name, "x"), (name, "x")]
    assert_error(token_request(inst, data), 400, "invalid_request",
                 D_REPEATED)
    assert issued_count(inst, client) == 0


@pytest.mark.parametrize("name", ["grant_type", "username", "client_id",
                                  "scope"])
def test_same_parameter_in_query_and_body(inst, client, user, name):
    data = dict(client.post, grant_type="password", username=user[0],
                password=user[1], scope="username")
    r = post(inst, TOKEN + "?" + name + "=" + quote(data[name], safe=""),
             data)
    assert_error(r, 400, "invalid_request", D_REPEATED)
    assert issued_count(inst, client) == 0


def test_repeated_parameter_in_json_and_with_basic(inst, client, user):
    # JSON: a repeated key in the object.
    body = ('{"grant_type":"password","username":"%s","password":"%s",'
            '"password":"%s"}' % (user[0], user[1], user[1]))
    r = token_request(inst, body, auth=client.auth,
                      headers={"Content-Type": "application/json"})
    # Refused by the JSON parser, as malformed input (docs/oauth2.md).
    assert_error(r, 400, "invalid_request", None)
    assert issued_count(inst, client) == 0


def test_wrong_password_is_invalid_grant(inst, client, user, new_user):
    r = password_grant(inst, client, (user[0], user[1] + "x"))
    assert_error(r, 400, "invalid_grant", D_CREDENTIALS)
    # An unknown user gets the same answer.
    r = password_grant(inst, client, ("nobody_" + secrets.token_hex(6),
                                      user[1]))
    assert_error(r, 400, "invalid_grant", D_CREDENTIALS)
    # A disabled one too.
    other = new_user()
    inst.sql("UPDATE users SET disabled = 1 WHERE username = %s",
             other[0].encode())
    assert_error(password_grant(inst, client, other), 400, "invalid_grant",
                 D_CREDENTIALS)
    assert issued_count(inst, client) == 0


def test_bad_code_is_invalid_grant(inst):
    c = make_client(inst, grants=("authorization_code",))
    for code in ("0" * 40, secrets.token_hex(20), "not-a-code",
                 secrets.token_hex(20).upper()):
        r = token_request(inst, {"grant_type": "authorization_code",
                                 "code": code, "redirect_uri": c.uri},
                          auth=c.auth)
        assert_error(r, 400, "invalid_grant", D_GRANT)


def test_expired_code_is_invalid_grant(inst, user):
    c = make_client(inst, grants=("authorization_code",))
    code = get_code(inst, c, user)
    inst.sql("UPDATE tokens SET expires_at = UNIX_TIMESTAMP() - 1 WHERE "
             "digest = %s", digest(code))
    assert_error(exchange(inst, c, code, basic=True), 400, "invalid_grant",
                 D_GRANT)
    assert issued_count(inst, c) == 0


def test_bad_refresh_token_is_invalid_grant(inst, client, user):
    body = login(inst, client, user)
    for t in ("0" * 40, "junk", body["access_token"],
              body["refresh_token"].upper()):
        assert_error(refresh(inst, client, t), 400, "invalid_grant", D_GRANT)
    # An expired one.
    inst.sql("UPDATE tokens SET expires_at = UNIX_TIMESTAMP() - 1 WHERE "
             "digest = %s", digest(body["refresh_token"]))
    assert_error(refresh(inst, client, body["refresh_token"]), 400,
                 "invalid_grant", D_GRANT)


def test_unauthorized_client(inst, user):
    # A client uses only the grants it was registered with.
    c = make_client(inst, grants=("client_credentials",))
    assert_error(password_grant(inst, c, user), 400, "unauthorized_client",
                 D_UNAUTHORIZED)
    assert_error(token_request(inst, {
        "grant_type": "authorization_code", "code": "0" * 40}, auth=c.auth),
        400, "unauthorized_client", D_UNAUTHORIZED)
    assert_error(refresh(inst, c, "0" * 40), 400, "unauthorized_client",
                 D_UNAUTHORIZED)
    p = make_client(inst, grants=("password",))
    assert_error(token_request(inst, {"grant_type": "client_credentials"},
                               auth=p.auth), 400, "unauthorized_client",
                 D_UNAUTHORIZED)
    # A refresh token of a client that lost the grant is no use either.
    rp = make_client(inst)
    body = login(inst, rp, user)
    inst.sql("UPDATE clients SET grants = 'password' WHERE id = %s", rp.ref)
    assert_error(refresh(inst, rp, body["refresh_token"]), 400,
                 "unauthorized_client", D_UNAUTHORIZED)
    assert issued_count(inst, c) == 0 and issued_count(inst, p) == 0


@pytest.mark.parametrize("grant", [
    "implicit", "foo", "PASSWORD", "password ", "token", "code",
    "urn:ietf:params:oauth:grant-type:device_code",
    "urn:ietf:params:oauth:grant-type:jwt-bearer"])
def test_unsupported_grant_type(inst, client, grant):
    r = token_request(inst, dict(client.post, grant_type=grant))
    assert_error(r, 400, "unsupported_grant_type", D_UNSUPPORTED)


def test_invalid_scope(inst, client, user):
    for scope in ("admin", "username admin", "phone", "username\"x",
                  "openid"):
        r = password_grant(inst, client, user, scope)
        assert_error(r, 400, "invalid_scope", D_SCOPE)
    cc = make_client(inst, grants=("client_credentials",))
    r = token_request(inst, {"grant_type": "client_credentials",
                             "scope": "firstname"}, auth=cc.auth)
    assert_error(r, 400, "invalid_scope", D_SCOPE)
    assert issued_count(inst, client) == 0 and issued_count(inst, cc) == 0


def test_token_endpoint_takes_post_only(inst):
    r = requests.get(inst.url + TOKEN, timeout=TIMEOUT)
    assert r.status_code == 405
    assert r.headers["Allow"] == "POST"
    assert r.json() == {"error": "invalid_request"}


# --- introspection (RFC 7662) ------------------------------------------------
def test_introspection_needs_client_authentication(inst, client, user):
    body = login(inst, client, user)
    t = body["access_token"]
    assert_invalid_client(post(inst, INTROSPECT, {"token": t}), basic=False)
    assert_invalid_client(post(inst, INTROSPECT, {
        "token": t, "client_id": client.id, "client_secret": "0" * 40}),
        basic=False)
    assert_invalid_client(post(inst, INTROSPECT, {"token": t},
                               auth=(client.id, "0" * 40)), basic=True)
    # A public client cannot authenticate: no introspection.
    pub = make_client(inst, public=True)
    assert_invalid_client(introspect(inst, pub, t), basic=False)
    # No token parameter.
    r = post(inst, INTROSPECT, client.post)
    assert_error(r, 400, "invalid_request", D_TOKEN_PARAM)
    r = post(inst, INTROSPECT, dict(client.post, token=""))
    assert_error(r, 400, "invalid_request", D_TOKEN_PARAM)
    r = post(inst, INTROSPECT, [("token", t), ("token", t)],
             auth=client.auth)
    assert_error(r, 400, "invalid_request", D_TOKEN_PARAM)


def test_introspection_answers_the_client_before_the_token(inst, client,
                                                           user):
    # The client and the token are read in one statement; the answer
    # still speaks of the client first, whatever the token is.
    t = login(inst, client, user)["access_token"]
    for token in (t, "f" * 40, "not-a-token"):
        assert_invalid_client(post(inst, INTROSPECT, {
            "token": token, "client_id": "no-such-client-" + token[:6],
            "client_secret": "0" * 40}), basic=False)
        assert_invalid_client(post(inst, INTROSPECT, {"token": token},
                                   auth=("no-such-client", "x")), basic=True)
    # An unknown client without a token parameter: still invalid_client.
    assert_invalid_client(post(inst, INTROSPECT, {
        "client_id": "no-such-client", "client_secret": "x"}), basic=False)
    # A known client and an unknown token: inactive, and the client may
    # go on (no error remembered from the lookup).
    r = post(inst, INTROSPECT, {"token": "f" * 40}, auth=client.auth)
    assert r.status_code == 200 and r.json() == {"active": False}
    r = post(inst, INTROSPECT, {"token": t}, auth=client.auth)
    assert r.status_code == 200 and r.json()["active"] is True


def test_introspection_of_live_tokens(inst, client, user):
    t0 = int(time.time())
    body = login(inst, client, user, "username")
    t1 = int(time.time())
    sub = str(user_id(inst, user[0]))
    r = introspect(inst, client, body["access_token"])
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json"
    assert r.headers["Cache-Control"] == "no-store"
    info = r.json()
    assert list(info) == ["active", "scope", "client_id", "username",
                          "token_type", "exp", "iat", "sub"]
    assert t0 <= info["iat"] <= t1
    assert info == {"active": True, "scope": "username",
                    "client_id": client.id, "username": user[0],
                    "token_type": "Bearer", "iat": info["iat"],
                    "exp": info["iat"] + default_ttl(inst), "sub": sub}
    # A refresh token, with Basic and a hint.
    r = post(inst, INTROSPECT, {"token": body["refresh_token"],
                                "token_type_hint": "refresh_token"},
             auth=client.auth)
    info = r.json()
    refresh_ttl = int(config_value(inst, "refresh_token_ttl", "2592000"))
    assert info == {"active": True, "scope": "username",
                    "client_id": client.id, "username": user[0],
                    "token_type": "refresh_token", "iat": info["iat"],
                    "exp": info["iat"] + refresh_ttl, "sub": sub}
    # A client_credentials token: no user.
    cc = make_client(inst, grants=("client_credentials",))
    t = token_request(inst, {"grant_type": "client_credentials"},
                      auth=cc.auth).json()["access_token"]
    info = introspect(inst, cc, t).json()
    assert info == {"active": True, "scope": "username email",
                    "client_id": cc.id, "token_type": "Bearer",
                    "iat": info["iat"],
                    "exp": info["iat"] + default_ttl(inst)}


def test_introspection_of_dead_tokens_is_exactly_inactive(inst, client, user):
    def assert_inactive(token):
        r = introspect(inst, client, token)
        assert r.status_code == 200, r.text
        assert r.headers["Content-Type"] == "application/json"
        assert r.text == '{"active":false}'

    assert_inactive("0" * 40)             # unknown
    assert_inactive("not a token at all")
    revoked = login(inst, client, user)["access_token"]
    assert_revoke_ok(revoke(inst, client, revoked))
    assert_inactive(revoked)               # revoked
    expired = login(inst, client, user)["access_token"]
    inst.sql("UPDATE tokens SET expires_at = UNIX_TIMESTAMP() - 1 WHERE "
             "digest = %s", digest(expired))
    assert_inactive(expired)               # expired
    # A retired refresh token.
    body = login(inst, client, user)
    assert refresh(inst, client, body["refresh_token"]).status_code == 200
    assert_inactive(body["refresh_token"])
    # An authorization code is not a token.
    c = make_client(inst, grants=("authorization_code",))
    code = get_code(inst, c, user)
    r = introspect(inst, c, code)
    assert r.json() == INACTIVE


def test_introspection_sees_own_and_clientless_tokens_only(inst, client,
                                                          user):
    other = make_client(inst)
    mine = login(inst, client, user)["access_token"]
    theirs = login(inst, other, user)["access_token"]
    assert introspect(inst, client, theirs).json() == INACTIVE
    assert introspect(inst, other, mine).json() == INACTIVE
    assert introspect(inst, client, mine).json()["active"] is True
    # A token issued without a client (legacy dialect) shows no client_id.
    legacy = legacy_login(inst, user)
    for c in (client, other):
        info = introspect(inst, c, legacy).json()
        assert info == {"active": True, "scope": ALL_SCOPES,
                        "username": user[0], "token_type": "Bearer",
                        "iat": info["iat"],
                        "exp": info["iat"] + int(config_value(
                            inst, "legacy_token_ttl", "2592000")),
                        "sub": str(user_id(inst, user[0]))}
    # A resource server sees every token, with its owner.
    rs = make_client(inst, grants=("client_credentials",),
                     resource_server=True)
    info = introspect(inst, rs, theirs).json()
    assert info["active"] is True and info["client_id"] == other.id
    assert introspect(inst, rs, mine).json()["client_id"] == client.id
    assert "client_id" not in introspect(inst, rs, legacy).json()


# --- revocation (RFC 7009) ---------------------------------------------------
def chat_verify(inst, uid, token):
    return requests.get("%s/api/oauth/%d/verify-token/v1/" % (inst.url, uid),
                        headers={"Authorization": "Bearer " + token},
                        timeout=TIMEOUT)


def legacy_sessions(inst, token):
    return requests.get(inst.url + "/v1/oauth/sessions/",
                        headers={"Authorization": "Token " + token},
                        timeout=TIMEOUT)


LEGACY_1403 = {"success": False, "errors": {
    "message": "Invalid OAuth access token.", "type": "OAuthException",
    "code": "1403"}}


def test_revoking_an_own_access_token(inst, client, user):
    body = login(inst, client, user)
    t = body["access_token"]
    uid = user_id(inst, user[0])
    # Live everywhere first.
    assert userinfo_ok(inst, t)
    assert chat_verify(inst, uid, t).status_code == 200
    # SPEC 14: a client's token manages no sessions (first party only).
    assert legacy_sessions(inst, t).json() == LEGACY_1403
    r = revoke(inst, client, t)
    assert_revoke_ok(r)
    assert introspect(inst, client, t).json() == INACTIVE
    r = userinfo(inst, t)
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_token"
    r = legacy_sessions(inst, t)
    assert r.status_code == 200 and r.json() == LEGACY_1403
    r = chat_verify(inst, uid, t)
    assert r.status_code == 401 and r.json()["status"] == 401
    assert token_row(inst, t, "revoked") == ("1",)
    # Revoking it again is still a 200 (§2.2), with Basic and a hint.
    assert_revoke_ok(post(inst, REVOKE, {"token": t,
                                         "token_type_hint": "access_token"},
                          auth=client.auth))
    # An access token is revoked alone: the refresh token still works.
    assert_tokens(refresh(inst, client, body["refresh_token"]),
                  default_ttl(inst), "username email")


@pytest.mark.parametrize("hint", ["refresh_token", "access_token",
                                  "no_such_type"])
def test_a_wrong_hint_does_not_stop_the_search(inst, client, user, hint):
    # RFC 7009 §2.1 / RFC 7662 §2.1: a hint that does not fit, the server
    # extends its search to every token type.
    body = login(inst, client, user)
    for t in (body["access_token"], body["refresh_token"]):
        r = post(inst, INTROSPECT, {"token": t, "token_type_hint": hint},
                 auth=client.auth)
        assert r.json()["active"] is True
    t = body["access_token"] if hint == "refresh_token" else \
        body["refresh_token"]
    assert_revoke_ok(post(inst, REVOKE, {"token": t, "token_type_hint": hint},
                          auth=client.auth))
    assert introspect(inst, client, t).json() == INACTIVE


def test_revoking_an_unknown_token_is_200(inst, client):
    for t in ("0" * 40, secrets.token_hex(20), "garbage"):
        assert_revoke_ok(revoke(inst, client, t))


def test_revoking_another_clients_token_does_nothing(inst, client, user):
    other = make_client(inst)
    body = login(inst, other, user)
    for t in (body["access_token"], body["refresh_token"]):
        assert_revoke_ok(revoke(inst, client, t))
        assert is_active(inst, other, t)
    assert userinfo_ok(inst, body["access_token"])
    # A resource server may revoke it.
    rs = make_client(inst, grants=("client_credentials",),
                     resource_server=True)
    assert_revoke_ok(revoke(inst, rs, body["access_token"]))
    assert not is_active(inst, other, body["access_token"])


def test_revoking_a_refresh_token_kills_its_access_tokens(inst, client,
                                                          user):
    first = login(inst, client, user)
    second = refresh(inst, client, first["refresh_token"]).json()
    unrelated = login(inst, client, user)
    assert_revoke_ok(revoke(inst, client, second["refresh_token"]))
    for t in (first["access_token"], second["access_token"],
              second["refresh_token"]):
        assert not is_active(inst, client, t), t
    assert not userinfo_ok(inst, second["access_token"])
    assert_error(refresh(inst, client, second["refresh_token"]), 400,
                 "invalid_grant", D_GRANT)
    # Another login of the same user is another family.
    assert userinfo_ok(inst, unrelated["access_token"])
    assert is_active(inst, client, unrelated["refresh_token"])


def test_revocation_needs_client_authentication(inst, client, user):
    t = login(inst, client, user)["access_token"]
    assert_invalid_client(post(inst, REVOKE, {"token": t}), basic=False)
    assert_invalid_client(post(inst, REVOKE, {"token": t},
                               auth=(client.id, "0" * 40)), basic=True)
    pub = make_client(inst, public=True)
    assert_invalid_client(revoke(inst, pub, t), basic=False)
    assert_error(post(inst, REVOKE, client.post), 400, "invalid_request",
                 D_TOKEN_PARAM)
    assert is_active(inst, client, t)


def test_a_legacy_token_is_introspectable_and_revocable_here(inst, client,
                                                            user):
    t = legacy_login(inst, user)
    uid = user_id(inst, user[0])
    assert is_active(inst, client, t)
    assert userinfo(inst, t).json() == {
        "sub": str(uid), "username": user[0], "email": user_email(inst, user),
        "firstname": "Ada", "lastname": "Lovelace",
        "phone_number": inst.sql("SELECT phone_number FROM users WHERE "
                                 "id = %s", uid)[0][0]}
    assert_revoke_ok(revoke(inst, client, t))
    # Dead on every dialect.
    assert introspect(inst, client, t).json() == INACTIVE
    assert userinfo(inst, t).status_code == 401
    r = legacy_sessions(inst, t)
    assert r.status_code == 200 and r.json() == LEGACY_1403
    r = requests.post(inst.url + "/v1/oauth/revoke/",
                      headers={"Authorization": "Token " + t},
                      timeout=TIMEOUT)
    assert r.status_code == 200 and r.json() == LEGACY_1403
    assert chat_verify(inst, uid, t).status_code == 401
    r = requests.get(inst.url + "/api", timeout=TIMEOUT,
                     headers={"Authorization": "Bearer " + t})
    assert r.status_code == 401
    assert r.json() == {"status": "FAILED",
                        "message": "invalid or expired access token"}
    r = requests.get(inst.url + "/v4/oauth/access-token", timeout=TIMEOUT,
                     headers={"Authorization": "Bearer " + t})
    assert r.status_code == 401 and r.json()["error"] == "invalid_token"


# --- userinfo (RFC 6750) -----------------------------------------------------
@pytest.mark.parametrize("scope,fields", [
    ("username", ["username"]),
    ("email", ["email"]),
    ("firstname lastname", ["firstname", "lastname"]),
    ("phone", ["phone_number"]),
    (ALL_SCOPES, ["username", "email", "firstname", "lastname",
                  "phone_number"]),
])
def test_userinfo_fields_follow_the_scope(inst, user, scope, fields):
    c = make_client(inst, scopes=ALL_SCOPES.split())
    t = login(inst, c, user, scope)["access_token"]
    uid = user_id(inst, user[0])
    row = inst.sql("SELECT username, email, firstname, lastname, "
                   "phone_number FROM users WHERE id = %s", uid)[0]
    values = dict(zip(["username", "email", "firstname", "lastname",
                       "phone_number"], row))
    r = userinfo(inst, t)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json"
    assert r.headers["Cache-Control"] == "no-store"
    expected = {"sub": str(uid)}
    expected.update((f, values[f]) for f in fields)
    assert r.json() == expected
    assert list(r.json()) == ["sub"] + fields


def test_userinfo_leaves_out_what_the_user_does_not_have(inst, new_user):
    u = new_user()  # no email, phone, names
    c = make_client(inst, scopes=ALL_SCOPES.split())
    t = login(inst, c, u)["access_token"]
    assert userinfo(inst, t).json() == {
        "sub": str(user_id(inst, u[0])), "username": u[0], "firstname": "",
        "lastname": ""}


def test_userinfo_token_in_a_form_body(inst, client, user):
    t = login(inst, client, user, "username")["access_token"]
    expected = {"sub": str(user_id(inst, user[0])), "username": user[0]}
    r = requests.post(inst.url + USERINFO, data={"access_token": t},
                      timeout=TIMEOUT)
    assert r.status_code == 200 and r.json() == expected
    # The scheme name is case-insensitive (RFC 7235 §2.1).
    r = requests.get(inst.url + USERINFO, timeout=TIMEOUT,
                     headers={"Authorization": "bearer " + t})
    assert r.status_code == 200 and r.json() == expected
    # §2.2 is form-encoded only: a JSON body is not a way to send it.
    r = requests.post(inst.url + USERINFO, json={"access_token": t},
                      timeout=TIMEOUT)
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"
    # POST with the header works too.
    r = requests.post(inst.url + USERINFO, timeout=TIMEOUT,
                      headers={"Authorization": "Bearer " + t})
    assert r.status_code == 200 and r.json() == expected


def bearer_error(r, status, error, description, challenge):
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["WWW-Authenticate"] == challenge
    assert r.headers["Content-Type"] == "application/json"
    assert r.json() == {"error": error, "error_description": description}


def test_userinfo_errors(inst, client, user):
    t = login(inst, client, user)["access_token"]
    # No token: the challenge carries no error (RFC 6750 §3.1).
    r = requests.get(inst.url + USERINFO, timeout=TIMEOUT)
    bearer_error(r, 401, "invalid_request", "an access token is required",
                 'Bearer realm="oauth"')
    # Two methods at once (§2).
    r = requests.post(inst.url + USERINFO, data={"access_token": t},
                      headers={"Authorization": "Bearer " + t},
                      timeout=TIMEOUT)
    bearer_error(r, 400, "invalid_request", "more than one token",
                 'Bearer realm="oauth", error="invalid_request", '
                 'error_description="more than one token"')
    # The query string (§2.3) is not supported.
    r = requests.get(inst.url + USERINFO, params={"access_token": t},
                     timeout=TIMEOUT)
    d = "send the token in the Authorization header or a form body"
    bearer_error(r, 400, "invalid_request", d,
                 'Bearer realm="oauth", error="invalid_request", '
                 'error_description="%s"' % d)
    # The form field twice.
    r = requests.post(inst.url + USERINFO, data=[("access_token", t),
                                                 ("access_token", t)],
                      timeout=TIMEOUT)
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"
    # Invalid tokens.
    d = "the access token is invalid, expired or revoked"
    challenge = ('Bearer realm="oauth", error="invalid_token", '
                 'error_description="%s"' % d)
    body = login(inst, client, user)
    for bad in ("0" * 40, "junk", body["refresh_token"]):
        bearer_error(userinfo(inst, bad), 401, "invalid_token", d, challenge)
    r = requests.post(inst.url + USERINFO, data={"access_token": "0" * 40},
                      timeout=TIMEOUT)
    bearer_error(r, 401, "invalid_token", d, challenge)


def test_userinfo_with_a_client_credentials_token_is_insufficient_scope(
        inst):
    c = make_client(inst, grants=("client_credentials",))
    t = token_request(inst, {"grant_type": "client_credentials"},
                      auth=c.auth).json()["access_token"]
    d = "the token belongs to no user"
    bearer_error(userinfo(inst, t), 403, "insufficient_scope", d,
                 'Bearer realm="oauth", error="insufficient_scope", '
                 'error_description="%s"' % d)


# --- metadata (RFC 8414) -----------------------------------------------------
def test_metadata(inst):
    issuer = config_value(inst, "issuer", None)
    assert issuer, "the instance's configuration names no issuer"
    r = requests.get(inst.url + METADATA, timeout=TIMEOUT)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json"
    doc = r.json()
    methods = ["S256"]
    if config_value(inst, "pkce_plain", "0") in ("1", "yes", "true", "on"):
        methods.append("plain")
    assert doc == {
        "issuer": issuer,
        "authorization_endpoint": issuer + AUTHORIZE,
        "token_endpoint": issuer + TOKEN,
        "introspection_endpoint": issuer + INTROSPECT,
        "revocation_endpoint": issuer + REVOKE,
        "userinfo_endpoint": issuer + USERINFO,
        "scopes_supported": ALL_SCOPES.split(),
        "response_types_supported": ["code", "token"],
        "response_modes_supported": ["query", "fragment"],
        "grant_types_supported": ["authorization_code", "implicit",
                                  "password", "client_credentials",
                                  "refresh_token"],
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic", "client_secret_post", "none"],
        "introspection_endpoint_auth_methods_supported": [
            "client_secret_basic", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": [
            "client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": methods,
        "authorization_response_iss_parameter_supported": True,  # RFC 9207
    }
    # RFC 8414 §3.3: the issuer has no query or fragment.
    assert "?" not in issuer and "#" not in issuer
    # The endpoints it names answer.
    assert requests.get(doc["token_endpoint"], timeout=TIMEOUT
                        ).status_code == 405
    assert requests.get(doc["userinfo_endpoint"], timeout=TIMEOUT
                        ).status_code == 401
