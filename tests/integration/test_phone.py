"""Telephony dialect (SPEC section P, seed 004), mounted at /v4:
POST /v4/oauth/access-token (all four grants, parameters from a JSON body,
a form body or the query string), GET /v4/oauth/authorization
(response_type code, and token: the implicit grant in the fragment), and
GET /v4/oauth/access-token (scope, expires_at, scope_details), through
Apache + mod_fcgid + MariaDB. Errors are in the RFC 6749 shape
{"error","error_description"}, compared byte for byte.
"""
import hashlib
import json
import re
import secrets
import time
from urllib.parse import quote, urlencode

import pytest
import requests

from conftest import session_from
from test_node import (Browser, authorize, cli_client, iss,
                       sign_in_to_consent, split_location)

TOKEN = "/v4/oauth/access-token"
AUTHZ = "/v4/oauth/authorization"
TIMEOUT = 30
ALL_SCOPES = "account-owner extension-user methods:ALL"
TOKEN_RE = "[0-9a-f]{40}"


# --- helpers -----------------------------------------------------------------
def compact(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def digest(token):
    return hashlib.sha256(token.encode()).digest()


def config_int(inst, key, default):
    value = default
    with open(inst.config, encoding="utf-8") as f:
        for line in f:
            k, sep, v = line.partition("=")
            if sep and k.strip() == key:
                value = int(v.strip())
    return value


def access_ttl(inst):
    return config_int(inst, "access_token_ttl", 3600)


def phone_client(inst, grants=("authorization_code", "refresh_token",
                               "client_credentials", "password",
                               "implicit"), scopes=ALL_SCOPES,
                 name="Phone App"):
    return cli_client(inst, grants, scopes=scopes, name=name)


def user_id(inst, username):
    rows = inst.sql("SELECT id FROM users WHERE username = %s",
                    username.encode())
    return int(rows[0][0])


def post_token(inst, params, how="json", auth=None, headers=None):
    """POST /v4/oauth/access-token with the parameters in a JSON body
    ("json"), a form body ("form") or the query string ("query")."""
    url = inst.url + TOKEN
    kw = {"timeout": TIMEOUT, "auth": auth, "headers": headers,
          "allow_redirects": False}
    if how == "json":
        return requests.post(url, json=params, **kw)
    if how == "form":
        return requests.post(url, data=params, **kw)
    assert how == "query"
    return requests.post(url + "?" + urlencode(params), **kw)


def assert_tokens(inst, r, scope, refresh=True):
    """{"access_token","token_type","scope","refresh_token","expires_in"}
    in the seed's order, byte for byte. Returns the dict."""
    assert r.status_code == 200, (r.status_code, r.text)
    assert r.headers.get("Content-Type") == "application/json"
    assert r.headers.get("Cache-Control") == "no-store"
    assert r.headers.get("Pragma") == "no-cache"
    doc = json.loads(r.text)
    keys = ["access_token", "token_type", "scope"] + (
        ["refresh_token"] if refresh else []) + ["expires_in"]
    assert list(doc) == keys, r.text
    assert re.fullmatch(TOKEN_RE, doc["access_token"])
    if refresh:
        assert re.fullmatch(TOKEN_RE, doc["refresh_token"])
    assert r.text == compact(dict(doc, token_type="Bearer", scope=scope,
                                  expires_in=access_ttl(inst)))
    return doc


def assert_rfc(r, status, error, description=None):
    """The RFC 6749 §5.2 error, byte for byte."""
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers.get("Content-Type") == "application/json"
    assert r.headers.get("Cache-Control") == "no-store"
    body = {"error": error}
    if description is not None:
        body["error_description"] = description
    assert r.text == compact(body)


def details(inst, token, scheme="Bearer"):
    headers = {} if token is None else {
        "Authorization": "%s %s" % (scheme, token)}
    return requests.get(inst.url + TOKEN, headers=headers, timeout=TIMEOUT)


def assert_details(inst, r, token, scope, uid, voip):
    """GET /v4/oauth/access-token, byte for byte; expires_at is the one
    stored for the token."""
    assert r.status_code == 200, (r.status_code, r.text)
    assert r.headers.get("Content-Type") == "application/json"
    assert r.headers.get("Cache-Control") == "no-store"
    exp = int(inst.sql("SELECT expires_at FROM tokens WHERE digest = %s",
                       digest(token))[0][0])
    detail = [] if uid is None else [
        {"extension_id": uid, "voip_id": uid} if voip else
        {"extension_id": uid}]
    assert r.text == compact({"scope": scope, "expires_at": exp,
                              "scope_details": detail})


def password_params(client, name, pw, scope=None):
    cid, secret, _ = client
    p = {"grant_type": "password", "client_id": cid, "client_secret": secret,
         "username": name, "password": pw}
    if scope is not None:
        p["scope"] = scope
    return p


def phone_code(inst, client, name, pw, scope="account-owner",
               state="st"):
    cid, secret, uri = client
    params = {"client_id": cid, "response_type": "code", "scope": scope,
              "redirect_uri": uri, "state": state}
    r = authorize(inst, AUTHZ, params, name, pw)
    # Seed 004: "Return type nil (empty response body)": a redirect.
    assert r.content == b""
    base, q, f = split_location(r)
    assert base == uri and f == {}, r.headers["Location"]
    assert set(q) == {"code", "state", "iss"} and q["state"] == state
    assert re.fullmatch(TOKEN_RE, q["code"])
    return q["code"]


@pytest.fixture
def client(inst):
    return phone_client(inst)


@pytest.fixture
def user(inst, new_user):
    name, pw = new_user(email=secrets.token_hex(5) + "@example.com")
    return name, pw, user_id(inst, name)


HOWS = ["json", "form", "query"]


# --- POST /v4/oauth/access-token: the four grants --------------------------------
@pytest.mark.parametrize("how", HOWS)
def test_password_grant(inst, client, user, how):
    name, pw, uid = user
    r = post_token(inst, password_params(client, name, pw, ALL_SCOPES), how)
    tok = assert_tokens(inst, r, ALL_SCOPES)
    rows = inst.sql("SELECT t.kind, t.user_id, t.scope, c.client_id FROM "
                    "tokens t JOIN clients c ON c.id = t.client_ref WHERE "
                    "t.digest = %s", digest(tok["access_token"]))
    assert rows == [("1", str(uid), ALL_SCOPES, client[0])]


def test_password_grant_without_scope_gets_the_clients_scopes(inst, client,
                                                              user):
    name, pw, uid = user
    r = post_token(inst, password_params(client, name, pw))
    assert_tokens(inst, r, ALL_SCOPES)


def test_password_grant_by_phone_number(inst, client, new_user):
    phone = "+33%09d" % secrets.randbelow(10 ** 9)
    name, pw = new_user(phone=phone)
    r = post_token(inst, password_params(client, phone, pw, "extension-user"))
    assert_tokens(inst, r, "extension-user")


@pytest.mark.parametrize("how", HOWS)
def test_client_credentials_grant(inst, client, how):
    cid, secret, _ = client
    r = post_token(inst, {"grant_type": "client_credentials",
                          "client_id": cid, "client_secret": secret,
                          "scope": "methods:ALL"}, how)
    tok = assert_tokens(inst, r, "methods:ALL", refresh=False)
    assert inst.sql("SELECT user_id, session_id FROM tokens WHERE digest = "
                    "%s", digest(tok["access_token"])) == [(None, None)]


@pytest.mark.parametrize("how", HOWS)
def test_refresh_token_grant_rotates(inst, client, user, how):
    name, pw, uid = user
    cid, secret, _ = client
    first = assert_tokens(inst, post_token(
        inst, password_params(client, name, pw, ALL_SCOPES)), ALL_SCOPES)
    r = post_token(inst, {"grant_type": "refresh_token", "client_id": cid,
                          "client_secret": secret,
                          "refresh_token": first["refresh_token"]}, how)
    second = assert_tokens(inst, r, ALL_SCOPES)
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    # The retired one is refused.
    r = post_token(inst, {"grant_type": "refresh_token", "client_id": cid,
                          "client_secret": secret,
                          "refresh_token": first["refresh_token"]}, how)
    assert_rfc(r, 400, "invalid_grant")


def test_refresh_may_narrow_the_scope_never_widen_it(inst, client, user):
    name, pw, uid = user
    cid, secret, _ = client
    tok = assert_tokens(inst, post_token(
        inst, password_params(client, name, pw, "extension-user "
                              "methods:ALL")), "extension-user methods:ALL")
    r = post_token(inst, {"grant_type": "refresh_token", "client_id": cid,
                          "client_secret": secret, "scope": "account-owner",
                          "refresh_token": tok["refresh_token"]})
    assert_rfc(r, 400, "invalid_scope")
    r = post_token(inst, {"grant_type": "refresh_token", "client_id": cid,
                          "client_secret": secret, "scope": "methods:ALL",
                          "refresh_token": tok["refresh_token"]})
    narrow = assert_tokens(inst, r, "methods:ALL")
    assert_details(inst, details(inst, narrow["access_token"]),
                   narrow["access_token"], "methods:ALL", uid, False)


@pytest.mark.parametrize("how", HOWS)
def test_authorization_code_grant(inst, client, user, how):
    name, pw, uid = user
    cid, secret, uri = client
    code = phone_code(inst, client, name, pw, scope="account-owner "
                      "extension-user")
    r = post_token(inst, {"grant_type": "authorization_code",
                          "client_id": cid, "client_secret": secret,
                          "code": code, "redirect_uri": uri}, how)
    tok = assert_tokens(inst, r, "account-owner extension-user")
    assert_details(inst, details(inst, tok["access_token"]),
                   tok["access_token"], "account-owner extension-user", uid,
                   True)
    # Single use.
    r = post_token(inst, {"grant_type": "authorization_code",
                          "client_id": cid, "client_secret": secret,
                          "code": code, "redirect_uri": uri}, how)
    assert_rfc(r, 400, "invalid_grant")


def test_parameters_may_be_split_between_query_and_body(inst, client):
    cid, secret, _ = client
    r = requests.post(inst.url + TOKEN + "?" + urlencode({
        "client_secret": secret}), json={"grant_type": "client_credentials",
                                         "client_id": cid},
        timeout=TIMEOUT)
    assert_tokens(inst, r, ALL_SCOPES, refresh=False)


def test_parameter_in_both_query_and_body_is_refused(inst, client):
    cid, secret, _ = client
    r = requests.post(inst.url + TOKEN + "?" + urlencode({"client_id": cid}),
                      data={"grant_type": "client_credentials",
                            "client_id": cid, "client_secret": secret},
                      timeout=TIMEOUT)
    assert_rfc(r, 400, "invalid_request",
               "a parameter is repeated or not a string")


def test_http_basic_client_authentication(inst, client):
    cid, secret, _ = client
    r = post_token(inst, {"grant_type": "client_credentials"}, "query",
                   auth=(cid, secret))
    assert_tokens(inst, r, ALL_SCOPES, refresh=False)
    r = post_token(inst, {"grant_type": "client_credentials"}, "json",
                   auth=(cid, secret + "x"))
    assert_rfc(r, 401, "invalid_client")
    assert r.headers.get("WWW-Authenticate") == 'Basic realm="oauth"'
    # One method per request (RFC 6749 §2.3).
    r = post_token(inst, {"grant_type": "client_credentials",
                          "client_secret": secret}, "json",
                   auth=(cid, secret))
    assert_rfc(r, 400, "invalid_request")


# --- POST /v4/oauth/access-token: errors ------------------------------------------
@pytest.mark.parametrize("how", HOWS)
def test_missing_grant_type(inst, client, how):
    cid, secret, _ = client
    r = post_token(inst, {"client_id": cid, "client_secret": secret}, how)
    assert_rfc(r, 400, "invalid_request", "grant_type is required")


@pytest.mark.parametrize("grant", ["implicit", "bogus", "token", "code"])
def test_unsupported_grant_type(inst, client, grant):
    cid, secret, _ = client
    r = post_token(inst, {"grant_type": grant, "client_id": cid,
                          "client_secret": secret})
    assert_rfc(r, 400, "unsupported_grant_type", "unsupported grant_type")


@pytest.mark.parametrize("params,description", [
    ({"grant_type": "password"}, "username and password are required"),
    ({"grant_type": "password", "username": "x"},
     "username and password are required"),
    ({"grant_type": "authorization_code"}, "code is required"),
    ({"grant_type": "refresh_token"}, "refresh_token is required"),
])
def test_missing_grant_parameters(inst, client, params, description):
    cid, secret, _ = client
    r = post_token(inst, dict(params, client_id=cid, client_secret=secret))
    assert_rfc(r, 400, "invalid_request", description)


@pytest.mark.parametrize("creds", [
    {"client_id": "nobody-x", "client_secret": "x"},
    {"client_id": "", "client_secret": "x"},
    {},
])
def test_unknown_or_missing_client(inst, creds):
    r = post_token(inst, dict(creds, grant_type="client_credentials"))
    assert_rfc(r, 401, "invalid_client")
    assert "WWW-Authenticate" not in r.headers


def test_wrong_client_secret(inst, client, user):
    name, pw, uid = user
    cid, secret, _ = client
    r = post_token(inst, dict(password_params(client, name, pw),
                              client_secret=secret + "0"))
    assert_rfc(r, 401, "invalid_client")


def test_wrong_password_and_unknown_user_give_the_same_invalid_grant(
        inst, client, user):
    name, pw, uid = user
    a = post_token(inst, password_params(client, name, pw + "x"))
    b = post_token(inst, password_params(client, "nobody-" +
                                         secrets.token_hex(5), pw))
    assert_rfc(a, 400, "invalid_grant")
    assert_rfc(b, 400, "invalid_grant")


def test_scope_the_client_may_not_have(inst, client, user):
    name, pw, uid = user
    for scope in ("username", "account-owner admin", "ALL"):
        r = post_token(inst, password_params(client, name, pw, scope))
        assert_rfc(r, 400, "invalid_scope")


def test_grant_the_client_may_not_use(inst, user):
    name, pw, uid = user
    client = phone_client(inst, grants=("client_credentials",))
    r = post_token(inst, password_params(client, name, pw))
    assert_rfc(r, 400, "unauthorized_client")


def test_code_of_another_client_or_redirect_uri(inst, client, user):
    name, pw, uid = user
    cid, secret, uri = client
    other = phone_client(inst)
    code = phone_code(inst, client, name, pw)
    r = post_token(inst, {"grant_type": "authorization_code",
                          "client_id": other[0], "client_secret": other[1],
                          "code": code, "redirect_uri": uri})
    assert_rfc(r, 400, "invalid_grant")
    r = post_token(inst, {"grant_type": "authorization_code",
                          "client_id": cid, "client_secret": secret,
                          "code": code, "redirect_uri": uri + "/x"})
    assert_rfc(r, 400, "invalid_grant")


@pytest.mark.parametrize("field", ["grant_type", "client_id",
                                   "client_secret", "username", "password",
                                   "scope", "code", "redirect_uri",
                                   "refresh_token"])
@pytest.mark.parametrize("value", [7, None, True, ["x"], {"x": "y"}])
def test_wrong_json_type(inst, client, field, value):
    cid, secret, _ = client
    params = {"grant_type": "password", "client_id": cid,
              "client_secret": secret, "username": "u", "password": "p"}
    params[field] = value
    r = post_token(inst, params, "json")
    assert_rfc(r, 400, "invalid_request",
               "a parameter is repeated or not a string")


def test_repeated_parameter_in_a_form(inst, client):
    cid, secret, _ = client
    r = requests.post(inst.url + TOKEN, timeout=TIMEOUT, data=[
        ("grant_type", "client_credentials"), ("client_id", cid),
        ("client_secret", secret), ("grant_type", "client_credentials")])
    assert_rfc(r, 400, "invalid_request",
               "a parameter is repeated or not a string")


def test_body_over_64_kib(inst, client):
    cid, secret, _ = client
    params = {"grant_type": "client_credentials", "client_id": cid,
              "client_secret": secret, "pad": "x" * (64 * 1024)}
    for how in ("json", "form"):
        assert_rfc(post_token(inst, params, how), 413, "invalid_request")


@pytest.mark.parametrize("raw,ctype", [
    (b"{", "application/json"), (b"[]", "application/json"),
    (b'{"grant_type":"password",}', "application/json"),
    (b'{"a":"1","a":"2"}', "application/json"),
    (b"grant_type=%zz", "application/x-www-form-urlencoded"),
    (b"grant_type=%ff", "application/x-www-form-urlencoded"),
    (b"grant_type=pass%00word", "application/x-www-form-urlencoded"),
])
def test_malformed_body(inst, raw, ctype):
    r = requests.post(inst.url + TOKEN, data=raw, timeout=TIMEOUT,
                      headers={"Content-Type": ctype})
    assert_rfc(r, 400, "invalid_request")


@pytest.mark.parametrize("query", ["grant_type=%zz", "grant_type=%ff",
                                   "grant_type=a%00"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_malformed_query_string(inst, query, method):
    from test_chat import raw_request
    r = raw_request(inst, method, TOKEN + "?" + query)
    assert r.status_code == 400, r.content
    assert r.headers.get("Content-Type") == "application/json"
    assert json.loads(r.content) == {"error": "invalid_request"}


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_wrong_method(inst, method):
    r = requests.request(method, inst.url + TOKEN, timeout=TIMEOUT)
    assert_rfc(r, 405, "invalid_request")
    assert r.headers.get("Allow") == "GET, HEAD, POST"


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_wrong_method_on_authorization_gives_a_405_page(inst, method):
    # The authorization endpoint is a page a person sees (SPEC 9).
    r = requests.request(method, inst.url + AUTHZ, timeout=TIMEOUT)
    assert r.status_code == 405
    assert r.headers.get("Allow") == "GET, HEAD, POST"
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "Not allowed" in r.text


def test_password_grant_is_throttled(inst, client, user):
    name, pw, uid = user
    limit = config_int(inst, "throttle_user_max", 5)
    s = session_from("127.0.4.%d" % (secrets.randbelow(200) + 20))
    for _ in range(limit):
        r = s.post(inst.url + TOKEN, json=password_params(client, name, "x"),
                   timeout=TIMEOUT)
        assert_rfc(r, 400, "invalid_grant")
    r = s.post(inst.url + TOKEN, json=password_params(client, name, pw),
               timeout=TIMEOUT)
    assert_rfc(r, 429, "invalid_grant")
    assert re.fullmatch("[1-9][0-9]*", r.headers.get("Retry-After", ""))


def test_unknown_path_under_v4_is_a_plain_404(inst):
    for path in ("/v4/oauth/", "/v4/oauth/token", "/v4/oauth/access-tokens",
                 "/v4"):
        r = requests.get(inst.url + path, timeout=TIMEOUT)
        assert r.status_code == 404, (path, r.text)
        assert r.content == b"Not Found\n"


# --- GET /v4/oauth/access-token -------------------------------------------------------
@pytest.mark.parametrize("scope,voip", [
    (ALL_SCOPES, True), ("account-owner", True), ("extension-user", False),
    ("methods:ALL", False), ("extension-user methods:ALL", False),
])
def test_token_details(inst, client, user, scope, voip):
    name, pw, uid = user
    tok = assert_tokens(inst, post_token(
        inst, password_params(client, name, pw, scope)), scope)
    assert_details(inst, details(inst, tok["access_token"]),
                   tok["access_token"], scope, uid, voip)


def test_token_details_expires_at_is_issue_time_plus_lifetime(inst, client,
                                                              user):
    name, pw, uid = user
    before = int(time.time())
    tok = assert_tokens(inst, post_token(
        inst, password_params(client, name, pw, "extension-user")),
        "extension-user")
    after = int(time.time())
    exp = details(inst, tok["access_token"]).json()["expires_at"]
    assert before + access_ttl(inst) <= exp <= after + access_ttl(inst)


def test_token_details_of_a_client_credentials_token(inst, client):
    cid, secret, _ = client
    tok = assert_tokens(inst, post_token(inst, {
        "grant_type": "client_credentials", "client_id": cid,
        "client_secret": secret, "scope": "account-owner"}),
        "account-owner", refresh=False)
    assert_details(inst, details(inst, tok["access_token"]),
                   tok["access_token"], "account-owner", None, False)


def test_token_details_without_a_token(inst):
    for headers in ({}, {"Authorization": "Basic Zm9vOmJhcg=="},
                    {"Authorization": "Bearer "}):
        r = requests.get(inst.url + TOKEN, headers=headers, timeout=TIMEOUT)
        assert_rfc(r, 401, "invalid_request", "an access token is required")
        assert r.headers.get("WWW-Authenticate") == 'Bearer realm="oauth"'


def assert_invalid_token(r):
    assert_rfc(r, 401, "invalid_token",
               "the access token is invalid, expired or revoked")
    assert r.headers.get("WWW-Authenticate") == \
        'Bearer realm="oauth", error="invalid_token"'


def test_token_details_of_unknown_expired_revoked_or_refresh_token(
        inst, client, user):
    name, pw, uid = user
    for bad in ("0" * 40, "garbage", "a" * 500):
        assert_invalid_token(details(inst, bad))
    tok = assert_tokens(inst, post_token(
        inst, password_params(client, name, pw, "account-owner")),
        "account-owner")
    assert_invalid_token(details(inst, tok["refresh_token"]))
    inst.sql("UPDATE tokens SET expires_at = %s WHERE digest = %s",
             int(time.time()) - 1, digest(tok["access_token"]))
    assert_invalid_token(details(inst, tok["access_token"]))
    tok = assert_tokens(inst, post_token(
        inst, password_params(client, name, pw, "account-owner")),
        "account-owner")
    inst.sql("UPDATE tokens SET revoked = 1 WHERE digest = %s",
             digest(tok["access_token"]))
    assert_invalid_token(details(inst, tok["access_token"]))


# --- GET /v4/oauth/authorization ----------------------------------------------------
def test_authorization_code_with_space_separated_scopes(inst, client, user):
    """Seed 004: scopes separated by space (%20): the browser's URL may
    carry %20 or '+'."""
    name, pw, uid = user
    cid, secret, uri = client
    for sep in ("%20", "+"):
        url = "%s?client_id=%s&response_type=code&scope=%s&redirect_uri=%s" \
            "&state=s" % (AUTHZ, quote(cid), sep.join(
                ["account-owner", "extension-user", "methods:ALL"]),
                quote(uri, safe=""))
        b = Browser(inst)
        r = b.get(url)
        assert r.status_code == 200 and 'name="password"' in r.text
        r = b.submit(r, "login", [("username", name), ("password", pw)])
        assert r.status_code == 303
        consent = b.get(r.headers["Location"])
        for words in ("Act as the account owner", "Act as an extension user",
                      "Use every API method", "Phone App"):
            assert words in consent.text, words
        r = b.submit(consent, "approve")
        base, q, _ = split_location(r)
        assert base == uri and q["state"] == "s"
        tok = assert_tokens(inst, post_token(inst, {
            "grant_type": "authorization_code", "client_id": cid,
            "client_secret": secret, "code": q["code"],
            "redirect_uri": uri}), ALL_SCOPES)
        assert_details(inst, details(inst, tok["access_token"]),
                       tok["access_token"], ALL_SCOPES, uid, True)


def test_implicit_grant_returns_the_token_in_the_fragment(inst, client,
                                                          user):
    name, pw, uid = user
    cid, secret, uri = client
    state = "imp licit/" + secrets.token_hex(3)
    params = {"client_id": cid, "response_type": "token",
              "scope": "account-owner methods:ALL", "redirect_uri": uri,
              "state": state}
    r = authorize(inst, AUTHZ, params, name, pw)
    assert r.content == b""
    loc = r.headers["Location"]
    m = re.fullmatch(re.escape(uri) + "#access_token=(%s)&token_type=Bearer"
                     "&expires_in=%d&scope=account-owner%%20methods%%3AALL"
                     "&state=%s" % (TOKEN_RE, access_ttl(inst),
                                    re.escape(quote(state, safe="") +
                                              iss(inst))), loc)
    assert m, loc
    token = m.group(1)
    assert_details(inst, details(inst, token), token,
                   "account-owner methods:ALL", uid, True)
    # No refresh token, no code for the implicit grant.
    rows = inst.sql("SELECT kind FROM tokens t JOIN clients c ON c.id = "
                    "t.client_ref WHERE c.client_id = %s ORDER BY kind",
                    cid.encode())
    assert rows == [("1",)]


def test_implicit_grant_refused_for_a_client_not_allowed_it(inst, user):
    name, pw, uid = user
    cid, secret, uri = phone_client(inst, grants=("authorization_code",))
    r = Browser(inst).get(AUTHZ, {"client_id": cid, "response_type": "token",
                                  "redirect_uri": uri, "state": "z"})
    assert r.status_code == 302
    assert r.headers["Location"] == (
        uri + "#error=unauthorized_client&error_description=this%20client"
        "%20may%20not%20use%20the%20implicit%20grant&state=z" + iss(inst))


def test_implicit_deny_answers_in_the_fragment(inst, client, user):
    name, pw, uid = user
    cid, secret, uri = client
    params = {"client_id": cid, "response_type": "token",
              "scope": "extension-user", "redirect_uri": uri, "state": "d"}
    r = authorize(inst, AUTHZ, params, name, pw, decision="deny")
    assert r.headers["Location"] == (
        uri + "#error=access_denied&error_description=the%20user%20denied"
        "%20the%20request&state=d" + iss(inst))


def test_code_deny_answers_in_the_query(inst, client, user):
    name, pw, uid = user
    cid, secret, uri = client
    params = {"client_id": cid, "response_type": "code",
              "scope": "extension-user", "redirect_uri": uri, "state": "d"}
    r = authorize(inst, AUTHZ, params, name, pw, decision="deny")
    assert r.headers["Location"] == (
        uri + "?error=access_denied&error_description=the%20user%20denied"
        "%20the%20request&state=d" + iss(inst))


@pytest.mark.parametrize("rt,error,description", [
    ("bogus", "unsupported_response_type",
     "response_type%20must%20be%20code%20or%20token"),
    ("", "invalid_request", "response_type%20is%20missing"),
])
def test_authorization_bad_response_type(inst, client, rt, error,
                                         description):
    cid, secret, uri = client
    r = Browser(inst).get(AUTHZ, {"client_id": cid, "response_type": rt,
                                  "redirect_uri": uri, "state": "q"})
    assert r.status_code == 302
    assert r.headers["Location"] == "%s?error=%s&error_description=%s&" \
        "state=q%s" % (uri, error, description, iss(inst))


def test_authorization_unknown_scope(inst, client):
    cid, secret, uri = client
    r = Browser(inst).get(AUTHZ, {"client_id": cid, "response_type": "code",
                                  "scope": "account-owner root",
                                  "redirect_uri": uri, "state": "q"})
    assert r.status_code == 302
    assert r.headers["Location"] == (
        uri + "?error=invalid_scope&error_description=the%20requested%20"
        "scope%20is%20unknown%20or%20not%20allowed%20for%20this%20client"
        "&state=q" + iss(inst))


@pytest.mark.parametrize("mangle", ["client", "uri"])
def test_authorization_untrusted_request_is_an_error_page(inst, client,
                                                          mangle):
    cid, secret, uri = client
    params = {"client_id": cid, "response_type": "code",
              "redirect_uri": uri, "state": "q"}
    if mangle == "client":
        params["client_id"] = "nobody-" + secrets.token_hex(4)
    else:
        params["redirect_uri"] = "https://evil.example/cb"
    r = Browser(inst).get(AUTHZ, params)
    assert r.status_code == 400
    assert "Location" not in r.headers
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    assert "evil.example" not in r.text


def test_authorization_post_without_csrf_is_refused(inst, client, user):
    name, pw, uid = user
    cid, secret, uri = client
    r = requests.post(inst.url + AUTHZ, timeout=TIMEOUT,
                      allow_redirects=False, data={
                          "client_id": cid, "response_type": "token",
                          "redirect_uri": uri, "action": "login",
                          "username": name, "password": pw})
    assert r.status_code == 403
    assert "Location" not in r.headers


def test_authorization_forms_post_back_to_v4(inst, client, user):
    """The pages of /v4/oauth/authorization post to that same path."""
    name, pw, uid = user
    cid, secret, uri = client
    b = Browser(inst)
    params = {"client_id": cid, "response_type": "code",
              "redirect_uri": uri, "scope": "extension-user"}
    r = b.get(AUTHZ, params)
    assert 'action="%s"' % AUTHZ in r.text
    consent = sign_in_to_consent(b, AUTHZ, params, name, pw)
    assert 'action="%s"' % AUTHZ in consent.text


@pytest.mark.parametrize("query", ["client_id=%ff", "scope=%zz",
                                   "client_id=a%00b"])
def test_authorization_malformed_link_gets_a_page_not_json(inst, query):
    """A person follows the link: SPEC 9 says errors are pages a person can
    read, never raw JSON (SPEC 11's bad-request error, as a page)."""
    from test_chat import raw_request
    r = raw_request(inst, "GET", AUTHZ + "?response_type=token&" + query)
    assert r.status_code == 400, r.content
    assert r.headers.get("Content-Type") == "text/html; charset=utf-8", \
        r.content
    assert b"</html>" in r.content
    assert r.headers.get("Location") is None
