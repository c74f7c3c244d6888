"""Hardening of registration, the pages' cookies and CSRF, authorization
responses, lifetimes and the revocation answer (SPEC 14; issue 9 points 8,
9 and 11).

One test (or a small group) per point; each fails on the code before the
issue and passes after it. HTTPS and short lifetimes are exercised through
the binary's CGI face (run_cgi, as test_dialect_switch.py does): the same
binary on the same database, with HTTPS=on or an OAUTH_<KEY> override in
its environment, while the rest of each flow goes through Apache.
"""
import base64
import hashlib
import os
import re
import secrets
import tempfile
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from test_authorize import (AUTHORIZE, DEVICES, TOKEN, Browser, config_value,
                            cookie_attrs, form_with, location,
                            make_client, sign_in, to_consent)
from test_dialect_switch import run_cgi

TIMEOUT = 30
INTROSPECT = "/oauth/introspect"
REVOKE = "/oauth/revoke"
PHONE_SHAPED_MSG = "username must not look like a phone number"
TAKEN_NODE_MSG = "username, phone or email already registered"
TAKEN_CLI_MSG = "username, phone number or email already registered"
SCOPE_MSG = ("scope may hold only username, email, firstname, lastname, "
             "phone, openid and profile")
FORM_EXPIRED = ("The form expired or was sent from another site. Go back "
                "and try again.")


# --- helpers -----------------------------------------------------------------
def node_post(inst, path, data):
    return requests.post(inst.url + path, json=data, timeout=TIMEOUT)


def failed(r, status, message):
    assert r.status_code == status, (r.status_code, r.text)
    assert r.json() == {"status": "FAILED", "message": message}, r.text


def user_fields(**override):
    name = "wh_" + secrets.token_hex(5)
    data = {"firstname": "Ada", "lastname": "Lovelace", "username": name,
            "phone": "+44%010d" % secrets.randbelow(10 ** 10),
            "email": name + "@example.com",
            "password": "pw-" + secrets.token_urlsafe(12)}
    data.update(override)
    return data


def client_fields(**override):
    cid = "whc_" + secrets.token_hex(5)
    data = {"client_id": cid, "client_secret": "s-" + secrets.token_hex(8),
            "redirect_uri": "https://app.example/cb/" + cid}
    data.update(override)
    return data


def token_post(inst, cid, secret, **data):
    return requests.post(inst.url + TOKEN, data=data, auth=(cid, secret),
                         timeout=TIMEOUT)


def introspect(inst, cid, secret, token):
    r = requests.post(inst.url + INTROSPECT, data={"token": token},
                      auth=(cid, secret), timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    return r.json()


def set_cookies(resp):
    """Set-Cookie lines of a CgiResponse as {name: attribute dict}."""
    out = {}
    for k, v in resp.header_lines:
        if k.lower() != "set-cookie":
            continue
        parts = [p.strip() for p in v.split(";")]
        name, _, value = parts[0].partition("=")
        attrs = {"_value": value}
        for p in parts[1:]:
            ak, sep, av = p.partition("=")
            attrs[ak.lower()] = av if sep else True
        out[name] = attrs
    return out


def cgi_form(text, action):
    """(action URL, [(name, value)]) of the form with button `action`."""
    f = form_with(text, action)
    return f.action, list(f.fields) + [("action", action)]


def issuer(inst):
    return config_value(inst, "issuer", inst.url)


# --- point 8: registration ---------------------------------------------------
@pytest.mark.parametrize("shape", ["+44 20 %s %s", "030%s%s", "%s",
                                   "+1 (%s) %s-9999"])
def test_phone_shaped_usernames_are_refused(inst, shape):
    """A username shaped like a phone number is refused by /register_user
    and by the CLI alike; names that merely hold digits are not."""
    name = shape % tuple("%04d" % secrets.randbelow(10 ** 4)
                         for _ in range(shape.count("%s")))
    r = node_post(inst, "/register_user", user_fields(username=name))
    failed(r, 400, PHONE_SHAPED_MSG)
    proc = inst.cli("user", "add", name, input="pw-12345678\n")
    assert proc.returncode != 0, proc.stdout
    assert PHONE_SHAPED_MSG in proc.stderr
    # Letters, or a first character that is neither + nor a digit: fine.
    ok = node_post(inst, "/register_user",
                   user_fields(username="n%s1x" % secrets.token_hex(3)))
    assert ok.status_code == 200, ok.text


def test_a_username_may_not_be_someones_phone_and_back(inst, new_user):
    """Login by phone can't be hijacked: a username equal to any user's
    phone, or a phone equal to any username (compared case-insensitively,
    as the login lookup does), is refused on both paths."""
    phone = "ext.Q%s" % secrets.token_hex(4)  # a phone that isn't digits
    owner, _ = new_user(phone=phone)
    # A username equal to that phone, in another case.
    r = node_post(inst, "/register_user",
                  user_fields(username=phone.upper()))
    failed(r, 409, TAKEN_NODE_MSG)
    proc = inst.cli("user", "add", phone.lower(), input="pw-12345678\n")
    assert proc.returncode != 0 and TAKEN_CLI_MSG in proc.stderr, \
        proc.stdout + proc.stderr
    # A phone equal to someone's username, in another case.
    r = node_post(inst, "/register_user", user_fields(phone=owner.upper()))
    failed(r, 409, TAKEN_NODE_MSG)
    proc = inst.cli("user", "add", "wh_" + secrets.token_hex(5), "--phone",
                    owner.upper(), input="pw-12345678\n")
    assert proc.returncode != 0 and TAKEN_CLI_MSG in proc.stderr, \
        proc.stdout + proc.stderr
    # Nothing of it was stored.
    rows = inst.sql("SELECT COUNT(*) FROM users WHERE username = %s OR "
                    "phone_number = %s", phone, owner)
    assert rows == [("0",)]


@pytest.mark.parametrize("scope", ["account-owner methods:ALL", "sessions",
                                   "admin", "extension-user",
                                   "username,methods:ALL", "unknown-thing",
                                   ["email", "account-owner"]])
def test_register_client_may_ask_only_for_user_scopes(inst, scope):
    """An anonymous registrant can't give its client the telephony,
    session-management or any unknown scope; the CLI still can."""
    data = client_fields(scope=scope)
    r = node_post(inst, "/register_client", data)
    failed(r, 400, SCOPE_MSG)
    rows = inst.sql("SELECT COUNT(*) FROM clients WHERE client_id = %s",
                    data["client_id"])
    assert rows == [("0",)]


def test_register_client_user_and_openid_scopes_are_allowed(inst):
    for scope in ("username email firstname lastname phone",
                  "openid profile email phone", "", "username,email",
                  ["openid", "profile"]):
        r = node_post(inst, "/register_client", client_fields(scope=scope))
        assert r.status_code == 200, (scope, r.text)
    # The administrator's CLI may give any scope.
    cid, _, _ = make_client(inst, scopes=["account-owner", "methods:ALL"])
    assert cid


# --- point 9: cookies and CSRF ------------------------------------------------
def authorize_params(cid, uri, **extra):
    p = {"response_type": "code", "client_id": cid, "redirect_uri": uri,
         "state": "st"}
    p.update(extra)
    return p


def test_self_chosen_csrf_pair_is_refused(inst, new_user):
    """Login CSRF by cookie tossing: a cookie and field the attacker chose
    (the same value in both) no longer sign anyone in; the form's own
    token is not the cookie's value but bound to it."""
    cid, _, uri = make_client(inst)
    name, pw = new_user()
    b = Browser(inst)
    page = b.get(AUTHORIZE, params=authorize_params(cid, uri))
    assert page.status_code == 200
    own = dict(form_with(page.text, "login").fields)["csrf"]
    assert own != cookie_attrs(page, "oauth_csrf")["_value"]
    chosen = secrets.token_hex(20)
    b.s.cookies.clear()
    b.s.cookies.set("oauth_csrf", chosen, path="/")
    data = [(k, v) for k, v in form_with(page.text, "login").fields
            if k != "csrf"]
    data += [("csrf", chosen), ("username", name), ("password", pw),
             ("action", "login")]
    r = b.s.post(inst.url + AUTHORIZE, data=data, allow_redirects=False,
                 timeout=TIMEOUT)
    assert r.status_code == 403, (r.status_code, r.headers)
    assert FORM_EXPIRED in r.text
    assert cookie_attrs(r, "oauth_session") is None


def test_planted_csrf_cookie_cannot_approve_for_a_signed_in_user(inst,
                                                                 new_user):
    """A signed-in browser: an attacker who planted oauth_csrf=X and posts
    approve with csrf=X gets nothing; the token is the session's, so it
    differs from the one of another session of the same user too."""
    cid, _, uri = make_client(inst)
    user = new_user()
    b = Browser(inst)
    page = to_consent(b, authorize_params(cid, uri), user)
    mine = dict(form_with(page.text, "approve").fields)["csrf"]
    other = to_consent(Browser(inst), authorize_params(cid, uri), user)
    assert dict(form_with(other.text, "approve").fields)["csrf"] != mine
    planted = secrets.token_hex(20)
    # Overwritten (planted beside it, the browser would send both: 400).
    b.s.cookies.set("oauth_csrf", None)
    b.s.cookies.set("oauth_csrf", planted, path="/")
    data = [(k, v) for k, v in form_with(page.text, "approve").fields
            if k != "csrf"] + [("csrf", planted), ("action", "approve")]
    r = b.s.post(inst.url + AUTHORIZE, data=data, allow_redirects=False,
                 timeout=TIMEOUT)
    assert r.status_code == 403 and FORM_EXPIRED in r.text, r.status_code
    # The other session's token does not work here either.
    data[-2] = ("csrf", dict(form_with(other.text, "approve").fields)["csrf"])
    r = b.s.post(inst.url + AUTHORIZE, data=data, allow_redirects=False,
                 timeout=TIMEOUT)
    assert r.status_code == 403
    # The page's own token does, whatever csrf cookie is there.
    r = b.submit(page, "approve")
    assert r.status_code == 303 and "code" in location(r)[1]


@pytest.mark.parametrize("path", [AUTHORIZE, DEVICES])
def test_a_cookie_name_sent_twice_is_refused(inst, new_user, path):
    cid, _, uri = make_client(inst)
    b = Browser(inst)
    page = to_consent(b, authorize_params(cid, uri), new_user())
    tok = b.cookie("oauth_session")
    params = authorize_params(cid, uri) if path == AUTHORIZE else None
    for header in ("oauth_session=%s; oauth_session=%s" % (tok, tok),
                   "oauth_session=%s; a=1; oauth_session=junk" % tok,
                   "oauth_csrf=%s; oauth_session=%s; oauth_csrf=%s" % (
                       "a" * 40, tok, "b" * 40)):
        r = requests.get(inst.url + path, params=params,
                         headers={"Cookie": header}, allow_redirects=False,
                         timeout=TIMEOUT)
        assert r.status_code == 400, (header, r.status_code)
        assert "sent one of this site&#39;s cookies twice" in r.text
    # A POST too: nothing happens.
    f = form_with(page.text, "approve")
    r = requests.post(inst.url + f.action,
                      data=list(f.fields) + [("action", "approve")],
                      headers={"Cookie": "oauth_session=%s; oauth_session=%s"
                               % (tok, tok)},
                      allow_redirects=False, timeout=TIMEOUT)
    assert r.status_code == 400
    # Once is fine.
    r = requests.get(inst.url + path, params=params,
                     headers={"Cookie": "oauth_session=" + tok},
                     allow_redirects=False, timeout=TIMEOUT)
    assert r.status_code == 200


def test_https_cookies_are_host_prefixed_and_bound(inst, new_user):
    """Under HTTPS (HTTPS=on from Apache; here through the CGI face) the
    cookies are __Host-oauth_session and __Host-oauth_csrf: Secure, Path=/
    (also under a mount), no Domain; the plain names are ignored, and the
    whole sign-in and consent flow works with the new ones."""
    cid, _, uri = make_client(inst)
    name, pw = new_user()
    https = {"HTTPS": "on"}
    q = urlencode(authorize_params(cid, uri))
    r = run_cgi(inst, "GET", AUTHORIZE, query=q, env=https)
    assert r.status_code == 200, r.raw[:300]
    cookies = set_cookies(r)
    assert "oauth_csrf" not in cookies
    csrf = cookies["__Host-oauth_csrf"]
    assert csrf["path"] == "/" and csrf.get("secure") is True
    assert csrf.get("httponly") is True and csrf["samesite"] == "Strict"
    assert "domain" not in csrf
    action, fields = cgi_form(r.text, "login")
    fields = [f for f in fields if f[0] != "action"]
    fields += [("username", name), ("password", pw), ("action", "login")]
    cookie = "__Host-oauth_csrf=" + csrf["_value"]
    # The same pair under the plain name is refused over HTTPS.
    r = run_cgi(inst, "POST", AUTHORIZE, body=urlencode(fields),
                content_type="application/x-www-form-urlencoded",
                headers={"Cookie": "oauth_csrf=" + csrf["_value"]},
                env=https)
    assert r.status_code == 403, r.raw[:300]
    r = run_cgi(inst, "POST", AUTHORIZE, body=urlencode(fields),
                content_type="application/x-www-form-urlencoded",
                headers={"Cookie": cookie}, env=https)
    assert r.status_code == 303, r.raw[:500]
    cookies = set_cookies(r)
    sess = cookies["__Host-oauth_session"]
    assert re.fullmatch(r"[0-9a-f]{40}", sess["_value"])
    assert sess["path"] == "/" and sess.get("secure") is True
    assert sess["samesite"] == "Lax" and "domain" not in sess
    assert "oauth_session" not in cookies
    # Signed in under the __Host- name only.
    loc = r.headers["Location"]
    q = urlsplit(loc).query
    r = run_cgi(inst, "GET", AUTHORIZE, query=q,
                headers={"Cookie": "oauth_session=" + sess["_value"]},
                env=https)
    assert r.status_code == 200 and 'name="password"' in r.text
    cookie = "__Host-oauth_session=" + sess["_value"]
    consent = run_cgi(inst, "GET", AUTHORIZE, query=q,
                      headers={"Cookie": cookie}, env=https)
    assert consent.status_code == 200, consent.raw[:300]
    assert 'value="approve"' in consent.text
    # __Host- twice: refused.
    r = run_cgi(inst, "GET", AUTHORIZE, query=q,
                headers={"Cookie": cookie + "; " + cookie}, env=https)
    assert r.status_code == 400
    # Approve with the session's token: a code.
    action, fields = cgi_form(consent.text, "approve")
    r = run_cgi(inst, "POST", AUTHORIZE, body=urlencode(fields),
                content_type="application/x-www-form-urlencoded",
                headers={"Cookie": cookie}, env=https)
    assert r.status_code == 303, r.raw[:500]
    assert "code=" in r.headers["Location"]
    # Under a mount the __Host- cookies still say Path=/.
    r = run_cgi(inst, "GET", AUTHORIZE, query=urlencode(
        authorize_params(cid, uri)),
        env=dict(https, SCRIPT_NAME="/visitor-management"))
    assert set_cookies(r)["__Host-oauth_csrf"]["path"] == "/"


def test_pages_need_the_instance_secret(inst):
    """Without instance_secret the pages refuse to run (503) rather than
    derive a weak key; a malformed one stops the binary from starting."""
    cid, _, uri = make_client(inst)
    with open(inst.config, encoding="utf-8") as f:
        lines = [ln for ln in f if not ln.startswith("instance_secret")]
    fd, path = tempfile.mkstemp(prefix="oauth-nosecret-", suffix=".conf")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.writelines(lines)
        r = run_cgi(inst, "GET", AUTHORIZE,
                    query=urlencode(authorize_params(cid, uri)),
                    env={"OAUTH_CONFIG": path})
        assert r.status_code == 503, r.raw[:300]
        assert "Set-Cookie" not in r.headers
    finally:
        os.unlink(path)
    for bad in ("abc", "0" * 63, "zz" * 32, "ab" * 10):
        proc = inst.cli("user", "list",
                        env={"OAUTH_INSTANCE_SECRET": bad})
        assert proc.returncode != 0, bad
        assert "instance_secret" in proc.stderr
        assert bad not in proc.stderr or len(bad) < 4


# --- point 11: RFC 9207 iss -----------------------------------------------------
def test_metadata_says_iss_is_supported(inst):
    r = requests.get(inst.url + "/.well-known/oauth-authorization-server",
                     timeout=TIMEOUT)
    assert r.status_code == 200
    assert r.json()["authorization_response_iss_parameter_supported"] is True


@pytest.mark.parametrize("path", ["/oauth/authorize", "/authorize",
                                  "/v4/oauth/authorization"])
def test_every_authorization_response_carries_iss(inst, new_user, path):
    iss = issuer(inst)
    cid, secret, uri = make_client(
        inst, grants=("authorization_code", "implicit"))
    user = new_user()
    b = Browser(inst)
    # An error redirect, straight from the GET.
    r = b.get(path, params=authorize_params(cid, uri, response_type="nope"))
    assert r.status_code == 302
    base, q, frag = location(r)
    assert q["error"] == ["unsupported_response_type"]
    assert q["iss"] == [iss] and q["state"] == ["st"]
    # A code.
    r = b.get(path, params=authorize_params(cid, uri))
    r = sign_in(b, r, *user)
    assert r.status_code == 303
    page = b.s.get(inst.url + r.headers["Location"], allow_redirects=False,
                   timeout=TIMEOUT)
    r = b.submit(page, "approve")
    base, q, frag = location(r)
    assert set(q) == {"code", "state", "iss"} and q["iss"] == [iss]
    assert r.headers["Location"].endswith(
        "&iss=" + requests.utils.quote(iss, safe=""))
    # Denied: access_denied, with iss.
    r = b.submit(page, "deny")
    base, q, frag = location(r)
    assert q["error"] == ["access_denied"] and q["iss"] == [iss]
    if path == "/authorize":
        return  # dialect N has no implicit grant
    # Implicit: in the fragment.
    r = b.get(path, params=authorize_params(cid, uri, response_type="token"))
    assert r.status_code == 200
    r = b.submit(r, "approve")
    base, q, frag = location(r)
    assert "access_token" in frag and frag["iss"] == [iss]


# --- point 11: lifetimes ---------------------------------------------------------
def test_refresh_family_has_an_absolute_lifetime(inst, new_user):
    """refresh_max_ttl: a family started by a process with
    refresh_max_ttl=4 (CGI face, OAUTH_REFRESH_MAX_TTL) rotates through
    Apache, but no rotated token outlives the family's end, and past it
    the refresh gives invalid_grant."""
    cid, secret, _ = make_client(inst, grants=("password", "refresh_token"))
    name, pw = new_user()
    auth = "Basic " + base64.b64encode(
        ("%s:%s" % (cid, secret)).encode()).decode()
    start = time.time()
    r = run_cgi(inst, "POST", TOKEN, body=urlencode(
        {"grant_type": "password", "username": name, "password": pw}),
        content_type="application/x-www-form-urlencoded",
        headers={"Authorization": auth},
        env={"OAUTH_REFRESH_MAX_TTL": "4"})
    assert r.status_code == 200, r.raw[:300]
    first = r.json()
    assert introspect(inst, cid, secret, first["refresh_token"])["exp"] \
        <= int(start) + 5
    r = token_post(inst, cid, secret, grant_type="refresh_token",
                   refresh_token=first["refresh_token"])
    assert r.status_code == 200, r.text
    second = r.json()
    body = introspect(inst, cid, secret, second["refresh_token"])
    assert body["active"] is True
    # Apache's processes have the 90-day default; the family keeps its end.
    assert body["exp"] <= int(start) + 5, (body, start)
    time.sleep(max(0.0, start + 5.5 - time.time()))
    r = token_post(inst, cid, secret, grant_type="refresh_token",
                   refresh_token=second["refresh_token"])
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant", \
        r.text


def test_default_refresh_max_ttl_caps_the_family(inst, new_user):
    """The default (90 days) is written on the family: the refresh token's
    own expiry stays the sliding 30 days."""
    cid, secret, _ = make_client(inst, grants=("password", "refresh_token"))
    name, pw = new_user()
    now = int(time.time())
    r = token_post(inst, cid, secret, grant_type="password", username=name,
                   password=pw)
    assert r.status_code == 200
    tok = r.json()["refresh_token"]
    rows = inst.sql("SELECT expires_at, family_expires_at FROM tokens "
                    "WHERE digest = %s", hashlib.sha256(tok.encode()).digest())
    exp, fend = (int(v) for v in rows[0])
    ttl = int(config_value(inst, "refresh_token_ttl", "2592000"))
    cap = int(config_value(inst, "refresh_max_ttl", "7776000"))
    assert now + ttl - 2 <= exp <= now + ttl + 2
    assert now + cap - 2 <= fend <= now + cap + 2


def test_code_replay_revokes_after_the_purge(inst, new_user):
    """A code exchanged, then expired and purged (oauth.fcgi purge), then
    replayed: the replay still revokes what the exchange issued. The code
    is issued by a process with code_ttl=2 (CGI face) so that it expires
    within the test."""
    cid, secret, uri = make_client(inst, grants=("authorization_code",
                                                 "refresh_token"))
    user = new_user()
    b = Browser(inst)
    page = to_consent(b, authorize_params(cid, uri), user)
    r = b.submit(page, "approve", extra=[("remember", "1")])
    assert r.status_code == 303
    # Consent remembered: the CGI face answers with a code at once.
    r = run_cgi(inst, "GET", AUTHORIZE,
                query=urlencode(authorize_params(cid, uri)),
                headers={"Cookie": "oauth_session=" +
                         b.cookie("oauth_session")},
                env={"OAUTH_CODE_TTL": "2"})
    assert r.status_code == 302, r.raw[:300]
    code = parse_qs(urlsplit(r.headers["Location"]).query)["code"][0]
    r = token_post(inst, cid, secret, grant_type="authorization_code",
                   code=code, redirect_uri=uri)
    assert r.status_code == 200, r.text
    issued = r.json()
    time.sleep(3.5)
    proc = inst.cli("purge")
    assert proc.returncode == 0, proc.stderr
    assert introspect(inst, cid, secret, issued["access_token"])["active"]
    r = token_post(inst, cid, secret, grant_type="authorization_code",
                   code=code, redirect_uri=uri)
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
    for t in (issued["access_token"], issued["refresh_token"]):
        assert introspect(inst, cid, secret, t) == {"active": False}


# --- point 11: the revocation answer --------------------------------------------
def test_revocation_answers_an_empty_json_object(inst, new_user):
    cid, secret, _ = make_client(inst, grants=("password",))
    name, pw = new_user()
    tok = token_post(inst, cid, secret, grant_type="password",
                     username=name, password=pw).json()["access_token"]
    for token in (tok, "0" * 40):
        r = requests.post(inst.url + REVOKE, data={"token": token},
                          auth=(cid, secret), timeout=TIMEOUT)
        assert r.status_code == 200
        assert r.headers["Content-Type"] == "application/json"
        assert r.content == b"{}"
    assert introspect(inst, cid, secret, tok) == {"active": False}
