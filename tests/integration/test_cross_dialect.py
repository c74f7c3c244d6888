"""One core behind five dialects (SPEC intro, issue item 4): a token issued
through any dialect is accepted, introspected and revoked through the
others where that makes sense, and each dialect's errors keep its own
shape. Through Apache + mod_fcgid + MariaDB.

The five faces a token is checked on:
  legacy  GET  /v1/oauth/sessions/            Authorization: Token <t>
  oauth2  GET  /oauth/userinfo (and POST /oauth/introspect by a client)
  chat    GET  /api/oauth/<user_id>/verify-token/v1/
  node    POST /api
  phone   GET  /v4/oauth/access-token
"""
import hashlib
import json
import secrets
import time

import pytest
import requests

from conftest import session_from
from test_chat import (assert_five, assert_verified, chat_token, iso_ms,
                       new_phone)
from test_node import (assert_failed, assert_tokens as node_tokens,
                       cli_client, node_code, register_client)
from test_phone import (ALL_SCOPES, assert_details, assert_rfc,
                        assert_tokens as phone_tokens, phone_code)

TIMEOUT = 30
USER_SCOPES = "username email firstname lastname phone"
GOLDEN_1403 = ('{\n    "success": false,\n    "errors": {\n        '
               '"message": "Invalid OAuth access token.",\n        '
               '"type": "OAuthException",\n        "code": "1403"\n    }\n}')
GOLDEN_2400 = ('{\n    "success": false,\n    "errors": {\n        '
               '"message": "Incorrect data format or data supplied is too '
               'large. Please check documentation for more information.",'
               '\n        "type": "APIMethodException",\n        '
               '"code": "2400"\n    }\n}')
GOLDEN_5501 = ('{\n    "success": false,\n    "errors": {\n        '
               '"message": "Server encountered an error. Please try again '
               'later",\n        "type": "ServerSideException",\n        '
               '"code": "5501"\n    }\n}')


# --- helpers -----------------------------------------------------------------
def compact(value):
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def digest(token):
    return hashlib.sha256(token.encode()).digest()


def row(inst, token):
    """(created_ms, expires_at, session_id, client_id or None, scope)."""
    rows = inst.sql("SELECT t.created_ms, t.expires_at, t.session_id, "
                    "c.client_id, t.scope FROM tokens t LEFT JOIN clients c "
                    "ON c.id = t.client_ref WHERE t.digest = %s",
                    digest(token))
    assert len(rows) == 1, rows
    return rows[0]


class Person:
    """A user with every field, and a way to log in through each dialect."""

    def __init__(self, inst, new_user):
        self.phone = new_phone()
        self.email = secrets.token_hex(5) + "@example.com"
        self.first, self.last = "Katherine", "Johnson"
        self.name, self.pw = new_user(phone=self.phone, email=self.email,
                                      first=self.first, last=self.last)
        self.id = int(inst.sql("SELECT id FROM users WHERE username = %s",
                               self.name.encode())[0][0])

    def fields(self, scope):
        have = {"username": self.name, "email": self.email,
                "firstname": self.first, "lastname": self.last,
                "phone": self.phone}
        return {k: v for k, v in have.items() if k in scope.split()}


@pytest.fixture
def person(inst, new_user):
    return Person(inst, new_user)


@pytest.fixture(scope="module")
def rs(inst):
    """A resource server: may introspect and revoke every token."""
    return cli_client(inst, ["client_credentials"], resource_server=True,
                      name="Resource Server")


@pytest.fixture(scope="module")
def std(inst):
    """A client of the standard and telephony dialects."""
    return cli_client(inst, ["authorization_code", "refresh_token",
                             "password", "client_credentials"],
                      scopes=USER_SCOPES + " " + ALL_SCOPES,
                      name="Cross App")


def legacy_login(inst, p):
    r = requests.post(inst.url + "/v1/oauth/", data={
        "username": p.name, "password": p.pw}, timeout=TIMEOUT)
    assert '"success": true' in r.text, r.text
    return json.loads(r.text)["data"]["access_token"]


def issue(inst, issuer, p, std_client):
    """A token for person p through `issuer`; returns (token, scope)."""
    cid, secret, uri = std_client or (None, None, None)
    if issuer == "legacy":
        return legacy_login(inst, p), USER_SCOPES
    if issuer == "chat":
        return chat_token(inst, p.phone, p.pw)["access_token"], USER_SCOPES
    if issuer == "oauth2":
        scope = "username email account-owner"
        r = requests.post(inst.url + "/oauth/token", data={
            "grant_type": "password", "username": p.name, "password": p.pw,
            "scope": scope}, auth=(cid, secret), timeout=TIMEOUT)
        assert r.status_code == 200, r.text
        return r.json()["access_token"], scope
    if issuer == "node":
        scope = "username phone"
        code = node_code(inst, std_client, {"username": p.name,
                                            "password": p.pw}, scope=scope)
        r = requests.post(inst.url + "/token", data={
            "grant_type": "authorization_code", "client_id": cid,
            "client_secret": secret, "code": code, "redirect_uri": uri},
            timeout=TIMEOUT)
        return node_tokens(r)["access_token"], scope
    if issuer == "phone":
        scope = "account-owner extension-user firstname"
        r = requests.post(inst.url + "/v4/oauth/access-token", json={
            "grant_type": "password", "client_id": cid,
            "client_secret": secret, "username": p.name, "password": p.pw,
            "scope": scope}, timeout=TIMEOUT)
        return phone_tokens(inst, r, scope)["access_token"], scope
    raise AssertionError(issuer)


def legacy_sessions(inst, token, scheme="Token"):
    return requests.get(inst.url + "/v1/oauth/sessions/", timeout=TIMEOUT,
                        headers={"Authorization": "%s %s" % (scheme, token)})


def userinfo(inst, token):
    return requests.get(inst.url + "/oauth/userinfo", timeout=TIMEOUT,
                        headers={"Authorization": "Bearer " + token})


def chat_verify(inst, uid, token):
    return requests.get(inst.url + "/api/oauth/%s/verify-token/v1/" % uid,
                        headers={"Authorization": "Bearer " + token},
                        timeout=TIMEOUT)


def node_api(inst, token):
    return requests.post(inst.url + "/api", data={}, timeout=TIMEOUT,
                         headers={"Authorization": "Bearer " + token})


def phone_details(inst, token):
    return requests.get(inst.url + "/v4/oauth/access-token", timeout=TIMEOUT,
                        headers={"Authorization": "Bearer " + token})


def introspect(inst, client, token):
    return requests.post(inst.url + "/oauth/introspect", data={
        "token": token}, auth=client[:2], timeout=TIMEOUT)


def revoke(inst, client, token, post=False):
    data = {"token": token}
    if post:
        data.update(client_id=client[0], client_secret=client[1])
        return requests.post(inst.url + "/oauth/revoke", data=data,
                             timeout=TIMEOUT)
    return requests.post(inst.url + "/oauth/revoke", data=data,
                         auth=client[:2], timeout=TIMEOUT)


def assert_revoke_ok(r):
    assert r.status_code == 200, r.text
    assert r.content == b"{}"  # SPEC 14: {} as JSON


def assert_alive_everywhere(inst, token, scope, p):
    """The token works on all five dialects, with what its scope grants."""
    created_ms, expires_at, sid, owner, stored = row(inst, token)
    assert stored == scope
    # chat: verify for its user
    assert_verified(chat_verify(inst, p.id, token), token, p.id,
                    iso_ms(int(created_ms)))
    # oauth2: userinfo
    r = userinfo(inst, token)
    assert r.status_code == 200, r.text
    want = {"sub": str(p.id)}
    for k, v in p.fields(scope).items():
        want["phone_number" if k == "phone" else k] = v
    assert r.json() == want
    # node: /api
    r = node_api(inst, token)
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "SUCCESS", "data": p.fields(scope)}
    # phone: token details
    assert_details(inst, phone_details(inst, token), token, scope, p.id,
                   "account-owner" in scope.split())
    # legacy: the sessions list, with this token's session as current;
    # only for a token of no client or with the scope `sessions` (SPEC 14)
    r = legacy_sessions(inst, token)
    if owner is not None and "sessions" not in scope.split():
        assert r.status_code == 200 and r.text == GOLDEN_1403, r.text
        return
    assert r.status_code == 200, r.text
    doc = json.loads(r.text)
    assert doc["success"] is True
    mine = [s for s in doc["data"] if s["current"]]
    assert len(mine) == 1, doc
    assert mine[0]["session_id"] == int(sid)
    assert mine[0]["expiry"] == int(expires_at)


def assert_dead_everywhere(inst, token, p):
    assert_five(chat_verify(inst, p.id, token), 401, "unauthorized",
                "Invalid or expired token")
    r = userinfo(inst, token)
    assert r.status_code == 401 and r.json()["error"] == "invalid_token"
    assert_failed(node_api(inst, token), 401,
                  "invalid or expired access token")
    assert_rfc(phone_details(inst, token), 401, "invalid_token",
               "the access token is invalid, expired or revoked")
    r = legacy_sessions(inst, token)
    assert r.status_code == 200 and r.text == GOLDEN_1403, r.text


ISSUERS = ["legacy", "oauth2", "chat", "node", "phone"]


# --- accepted everywhere --------------------------------------------------------
@pytest.mark.parametrize("issuer", ISSUERS)
def test_token_of_each_dialect_is_accepted_by_all_five(inst, person, std,
                                                       issuer):
    token, scope = issue(inst, issuer, person, std)
    assert_alive_everywhere(inst, token, scope, person)


def test_chat_token_on_userinfo_api_v4_and_legacy_sessions(inst, person):
    """The issue's example, spelled out: a chat token carries all five
    user scopes (SPEC 12b)."""
    ua = "BongoChat/2.0 (iPhone)"
    res = chat_token(inst, person.phone, person.pw,
                     headers={"User-Agent": ua})
    token = res["access_token"]
    r = userinfo(inst, token)
    assert r.text == compact({"sub": str(person.id), "username": person.name,
                              "email": person.email,
                              "firstname": person.first,
                              "lastname": person.last,
                              "phone_number": person.phone})
    r = node_api(inst, token)
    assert r.text == compact({"status": "SUCCESS", "data": {
        "username": person.name, "email": person.email,
        "firstname": person.first, "lastname": person.last,
        "phone": person.phone}})
    exp = int(row(inst, token)[1])
    assert phone_details(inst, token).text == compact({
        "scope": USER_SCOPES, "expires_at": exp,
        "scope_details": [{"extension_id": person.id}]})
    doc = json.loads(legacy_sessions(inst, token).text)
    assert [(s["device_info"], s["expiry"]) for s in doc["data"]
            if s["current"]] == [(ua, exp)]
    # Bearer works on the legacy endpoint too (SPEC L).
    assert json.loads(legacy_sessions(inst, token, "Bearer").text)[
        "success"] is True


def test_legacy_token_verifies_on_chat_for_its_user_only(inst, person,
                                                         new_user):
    token = legacy_login(inst, person)
    created_ms = int(row(inst, token)[0])
    assert_verified(chat_verify(inst, person.id, token), token, person.id,
                    iso_ms(created_ms))
    other = Person(inst, new_user)
    assert_five(chat_verify(inst, other.id, token), 401, "unauthorized",
                "Invalid or expired token")


def test_client_credentials_token_where_it_makes_sense(inst, std):
    """A token of no user: details and introspection yes; user data no."""
    cid, secret, _ = std
    r = requests.post(inst.url + "/token", data={
        "grant_type": "client_credentials", "client_id": cid,
        "client_secret": secret, "scope": "methods:ALL"}, timeout=TIMEOUT)
    token = node_tokens(r, refresh=False)["access_token"]
    assert_details(inst, phone_details(inst, token), token, "methods:ALL",
                   None, False)
    r = introspect(inst, std, token)
    assert r.json()["active"] is True and "sub" not in r.json()
    assert_failed(node_api(inst, token), 403, "the token belongs to no user")
    r = userinfo(inst, token)
    assert r.status_code == 403 and r.json()["error"] == "insufficient_scope"
    assert_five(chat_verify(inst, 1, token), 401, "unauthorized",
                "Invalid or expired token")


# --- introspection ----------------------------------------------------------------
def test_node_token_is_introspectable_by_its_client(inst, person):
    client = register_client(inst)
    code = node_code(inst, client, {"username": person.name,
                                    "password": person.pw},
                     scope="username email")
    tok = node_tokens(requests.post(inst.url + "/token", data={
        "grant_type": "authorization_code", "client_id": client[0],
        "client_secret": client[1], "code": code,
        "redirect_uri": client[2]}, timeout=TIMEOUT))
    created_ms, expires_at, _, _, _ = row(inst, tok["access_token"])
    want = compact({"active": True, "scope": "username email",
                    "client_id": client[0], "username": person.name,
                    "token_type": "Bearer", "exp": int(expires_at),
                    "iat": int(created_ms) // 1000, "sub": str(person.id)})
    # By the node client with its chosen secret, in the body or by Basic.
    for r in (introspect(inst, client, tok["access_token"]),
              requests.post(inst.url + "/oauth/introspect", data={
                  "token": tok["access_token"], "client_id": client[0],
                  "client_secret": client[1]}, timeout=TIMEOUT)):
        assert r.status_code == 200, r.text
        assert r.headers["Cache-Control"] == "no-store"
        assert r.text == want
    # Its refresh token too.
    r = introspect(inst, client, tok["refresh_token"])
    assert r.json()["active"] is True
    assert r.json()["token_type"] == "refresh_token"


def test_token_introspection_is_limited_to_its_client(inst, person, std,
                                                      rs):
    token, scope = issue(inst, "node", person, std)
    other = register_client(inst)
    r = introspect(inst, other, token)
    assert r.status_code == 200 and r.text == '{"active":false}'
    r = introspect(inst, rs, token)
    assert r.json()["active"] is True
    assert r.json()["client_id"] == std[0]


@pytest.mark.parametrize("issuer", ["legacy", "chat"])
def test_token_without_a_client_is_introspectable_by_any_client(
        inst, person, issuer):
    token, scope = issue(inst, issuer, person, None)
    client = register_client(inst)
    created_ms, expires_at, _, _, _ = row(inst, token)
    r = introspect(inst, client, token)
    assert r.text == compact({"active": True, "scope": USER_SCOPES,
                              "username": person.name,
                              "token_type": "Bearer",
                              "exp": int(expires_at),
                              "iat": int(created_ms) // 1000,
                              "sub": str(person.id)})


# --- revocation -------------------------------------------------------------------
@pytest.mark.parametrize("issuer", ISSUERS)
def test_revocation_by_a_resource_server_kills_it_on_all_five(
        inst, person, std, rs, issuer):
    token, scope = issue(inst, issuer, person, std)
    keep, _ = issue(inst, issuer, person, std)
    assert_revoke_ok(revoke(inst, rs, token))
    assert_dead_everywhere(inst, token, person)
    assert introspect(inst, rs, token).text == '{"active":false}'
    # Only that token: the same user's other device goes on.
    assert_alive_everywhere(inst, keep, scope, person)


def test_revocation_by_the_tokens_own_client(inst, person):
    client = register_client(inst)
    code = node_code(inst, client, {"username": person.name,
                                    "password": person.pw},
                     scope="username email")
    tok = node_tokens(requests.post(inst.url + "/token", data={
        "grant_type": "authorization_code", "client_id": client[0],
        "client_secret": client[1], "code": code,
        "redirect_uri": client[2]}, timeout=TIMEOUT))
    assert_alive_everywhere(inst, tok["access_token"], "username email",
                            person)
    assert_revoke_ok(revoke(inst, client, tok["access_token"], post=True))
    assert_dead_everywhere(inst, tok["access_token"], person)


def test_revoking_a_refresh_token_ends_its_rotation(inst, person, std):
    cid, secret, uri = std
    r = requests.post(inst.url + "/v4/oauth/access-token", json={
        "grant_type": "password", "client_id": cid, "client_secret": secret,
        "username": person.name, "password": person.pw,
        "scope": "extension-user"}, timeout=TIMEOUT)
    tok = phone_tokens(inst, r, "extension-user")
    assert_revoke_ok(revoke(inst, std, tok["refresh_token"]))
    r = requests.post(inst.url + "/token", data={
        "grant_type": "refresh_token", "client_id": cid,
        "client_secret": secret, "refresh_token": tok["refresh_token"]},
        timeout=TIMEOUT)
    assert_failed(r, 400, "invalid grant")


def test_revocation_by_another_client_does_nothing(inst, person, std):
    token, scope = issue(inst, "phone", person, std)
    other = register_client(inst)
    assert_revoke_ok(revoke(inst, other, token))
    assert_alive_everywhere(inst, token, scope, person)


def test_chat_token_revoked_by_any_client_it_was_issued_without(inst,
                                                                person):
    """SPEC 12b: a client may revoke tokens issued without a client."""
    token, scope = issue(inst, "chat", person, None)
    client = register_client(inst)
    assert_revoke_ok(revoke(inst, client, token))
    assert_dead_everywhere(inst, token, person)


@pytest.mark.parametrize("issuer", ["chat", "oauth2", "phone"])
def test_legacy_revoke_signs_out_a_token_of_another_dialect(inst, person,
                                                            std, issuer):
    token, scope = issue(inst, issuer, person, std)
    sid = int(row(inst, token)[2])
    r = requests.post(inst.url + "/v1/oauth/revoke/", data={},
                      headers={"Authorization": "Token " + token},
                      timeout=TIMEOUT)
    assert r.status_code == 200
    if issuer != "chat":
        # SPEC 14: a client's token without the scope `sessions` manages
        # no sessions, not even its own: 1403, and it stays alive.
        assert r.text == GOLDEN_1403, r.text
        assert_alive_everywhere(inst, token, scope, person)
        return
    assert r.text == ('{\n    "success": true,\n    "data": {\n        '
                      '"session_id": %d,\n        "revoked": true\n    }\n}'
                      % sid)
    assert_dead_everywhere(inst, token, person)


def test_legacy_revoke_of_another_device_kills_a_chat_token(inst, person):
    chat = issue(inst, "chat", person, None)[0]
    legacy = legacy_login(inst, person)
    sid = int(row(inst, chat)[2])
    r = requests.post(inst.url + "/v1/oauth/revoke/", timeout=TIMEOUT,
                      data={"session_id": str(sid)},
                      headers={"Authorization": "Token " + legacy})
    assert r.status_code == 200 and '"revoked": true' in r.text, r.text
    assert_dead_everywhere(inst, chat, person)
    assert_alive_everywhere(inst, legacy, USER_SCOPES, person)


# --- codes and refresh tokens across dialects ------------------------------------------
def test_code_from_node_authorize_exchanged_at_v4_and_oauth_token(inst,
                                                                  person,
                                                                  std):
    cid, secret, uri = std
    code = node_code(inst, std, {"username": person.name,
                                 "password": person.pw}, scope="email")
    r = requests.post(inst.url + "/v4/oauth/access-token", json={
        "grant_type": "authorization_code", "client_id": cid,
        "client_secret": secret, "code": code, "redirect_uri": uri},
        timeout=TIMEOUT)
    tok = phone_tokens(inst, r, "email")
    code = phone_code(inst, std, person.name, person.pw,
                      scope="account-owner")
    r = requests.post(inst.url + "/oauth/token", data={
        "grant_type": "authorization_code", "code": code,
        "redirect_uri": uri}, auth=(cid, secret), timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    assert r.json()["scope"] == "account-owner"
    # The phone refresh token rotates through node's /token.
    r = requests.post(inst.url + "/token", data={
        "grant_type": "refresh_token", "client_id": cid,
        "client_secret": secret, "refresh_token": tok["refresh_token"]},
        timeout=TIMEOUT)
    node_tokens(r)


def test_login_throttle_is_shared_by_chat_phone_and_standard(inst, person,
                                                             std):
    """Failures through the chat app (by phone number) lock that login
    for the password grants of /v4 and /oauth/token, which accept a phone
    number as the username."""
    cid, secret, uri = std
    limit = 5
    with open(inst.config, encoding="utf-8") as f:
        for line in f:
            k, sep, v = line.partition("=")
            if sep and k.strip() == "throttle_user_max":
                limit = int(v)
    s = session_from("127.0.5.%d" % (secrets.randbelow(200) + 20))
    for _ in range(limit):
        r = s.post(inst.url + "/api/oauth/access-token/v1/", json={
            "grant_type": "password", "phone_number": person.phone,
            "password": "wrong"}, timeout=TIMEOUT)
        assert r.status_code == 401
    r = s.post(inst.url + "/v4/oauth/access-token", json={
        "grant_type": "password", "client_id": cid, "client_secret": secret,
        "username": person.phone, "password": person.pw}, timeout=TIMEOUT)
    assert_rfc(r, 429, "invalid_grant")
    assert r.headers.get("Retry-After", "").isdigit()
    r = s.post(inst.url + "/oauth/token", data={
        "grant_type": "password", "username": person.phone,
        "password": person.pw}, auth=(cid, secret), timeout=TIMEOUT)
    assert r.status_code == 429 and r.json()["error"] == "invalid_grant"


# --- each dialect keeps its own error shape ------------------------------------------
def test_invalid_token_in_each_dialects_shape(inst):
    bad = "0" * 40
    r = legacy_sessions(inst, bad)
    assert (r.status_code, r.text) == (200, GOLDEN_1403)
    r = userinfo(inst, bad)
    assert r.status_code == 401
    assert r.text == compact({"error": "invalid_token", "error_description":
                              "the access token is invalid, expired or "
                              "revoked"})
    assert_five(chat_verify(inst, 1, bad), 401, "unauthorized",
                "Invalid or expired token")
    assert_failed(node_api(inst, bad), 401, "invalid or expired access token")
    assert_rfc(phone_details(inst, bad), 401, "invalid_token",
               "the access token is invalid, expired or revoked")


def test_oversized_body_in_each_dialects_shape(inst):
    pad = {"pad": "x" * (64 * 1024 + 1)}

    def post(path):
        return requests.post(inst.url + path, data=pad, timeout=TIMEOUT)
    r = post("/v1/oauth/")
    assert (r.status_code, r.text) == (200, GOLDEN_2400)
    assert_rfc(post("/oauth/token"), 413, "invalid_request")
    assert_five(post("/api/oauth/access-token/v1/"), 413,
                "payload_too_large", "Request body too large")
    assert_failed(post("/token"), 413, "request body too large")
    assert_rfc(post("/v4/oauth/access-token"), 413, "invalid_request")


def test_wrong_method_in_each_dialects_shape(inst):
    def put(path):
        return requests.put(inst.url + path, timeout=TIMEOUT)
    r = requests.get(inst.url + "/v1/oauth/revoke/", timeout=TIMEOUT)
    assert (r.status_code, r.text) == (405, GOLDEN_2400)
    r = put("/oauth/token")
    assert_rfc(r, 405, "invalid_request")
    r = put("/api/oauth/access-token/v1/")
    assert r.status_code == 405 and r.content == b""
    assert r.headers["Content-Type"] == "text/html;charset=utf-8"
    assert_failed(put("/token"), 405, "method not allowed")
    assert_rfc(put("/v4/oauth/access-token"), 405, "invalid_request")
    for path, allow in (("/v1/oauth/revoke/", "POST"),
                        ("/oauth/token", "POST"),
                        ("/api/oauth/access-token/v1/", "POST"),
                        ("/token", "POST"),
                        ("/v4/oauth/access-token", "GET, HEAD, POST")):
        r = requests.delete(inst.url + path, timeout=TIMEOUT)
        assert r.status_code == 405 and r.headers["Allow"] == allow, path


def test_malformed_json_in_each_dialects_shape(inst):
    def post(path):
        return requests.post(inst.url + path, data=b'{"a":', timeout=TIMEOUT,
                             headers={"Content-Type": "application/json"})
    r = post("/v1/oauth/")
    assert (r.status_code, r.text) == (200, GOLDEN_2400)
    assert_rfc(post("/oauth/token"), 400, "invalid_request")
    assert_five(post("/api/oauth/access-token/v1/"), 400, "bad_request",
                "Malformed request")
    assert_failed(post("/token"), 400, "invalid request")
    assert_rfc(post("/v4/oauth/access-token"), 400, "invalid_request")


def test_bad_credentials_in_each_dialects_shape(inst, person, std):
    cid, secret, uri = std
    r = requests.post(inst.url + "/v1/oauth/", timeout=TIMEOUT, data={
        "username": person.name, "password": "wrong"})
    assert r.status_code == 200 and '"code": "1142"' in r.text
    r = requests.post(inst.url + "/oauth/token", auth=(cid, secret), data={
        "grant_type": "password", "username": person.name,
        "password": "wrong"}, timeout=TIMEOUT)
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
    r = requests.post(inst.url + "/api/oauth/access-token/v1/", json={
        "grant_type": "password", "phone_number": person.phone,
        "password": "wrong"}, timeout=TIMEOUT)
    assert_five(r, 401, "unauthorized", "Wrong password")
    r = requests.post(inst.url + "/token", data={
        "grant_type": "client_credentials", "client_id": cid,
        "client_secret": "wrong"}, timeout=TIMEOUT)
    assert_failed(r, 401, "invalid client")
    r = requests.post(inst.url + "/v4/oauth/access-token", json={
        "grant_type": "password", "client_id": cid, "client_secret": secret,
        "username": person.name, "password": "wrong"}, timeout=TIMEOUT)
    assert_rfc(r, 400, "invalid_grant")


# --- database down: each dialect's server error -------------------------------------
def test_database_down_gives_each_dialects_server_error(inst, person, std):
    cid, secret, uri = std
    token = chat_token(inst, person.phone, person.pw)["access_token"]
    inst.db_stop()
    try:
        r = requests.post(inst.url + "/v1/oauth/", data={
            "username": person.name, "password": person.pw},
            timeout=TIMEOUT)
        assert (r.status_code, r.text) == (200, GOLDEN_5501)

        r = requests.post(inst.url + "/oauth/token", auth=(cid, secret),
                          data={"grant_type": "client_credentials"},
                          timeout=TIMEOUT)
        assert r.status_code == 503 and r.json()["error"] == "server_error"
        assert r.headers.get("Retry-After", "").isdigit()

        for r in (requests.post(inst.url + "/api/oauth/access-token/v1/",
                                json={"grant_type": "password",
                                      "phone_number": person.phone,
                                      "password": person.pw},
                                timeout=TIMEOUT),
                  chat_verify(inst, person.id, token)):
            assert_five(r, 503, "service_unavailable",
                        "Service unavailable. Please try again later.")
            assert r.headers.get("Retry-After") == "5"

        for r in (node_api(inst, token),
                  requests.post(inst.url + "/token", data={
                      "grant_type": "client_credentials", "client_id": cid,
                      "client_secret": secret}, timeout=TIMEOUT),
                  requests.post(inst.url + "/register_user", json={
                      "username": "nu_" + secrets.token_hex(5),
                      "password": "x"}, timeout=TIMEOUT)):
            assert_failed(r, 503, "service unavailable, try again later")
            assert r.headers.get("Retry-After") == "5"

        for r in (phone_details(inst, token),
                  requests.post(inst.url + "/v4/oauth/access-token", json={
                      "grant_type": "client_credentials", "client_id": cid,
                      "client_secret": secret}, timeout=TIMEOUT)):
            assert r.status_code == 503, r.text
            assert r.json()["error"] == "server_error"
            assert set(r.json()) <= {"error", "error_description"}
            assert r.headers.get("Retry-After") == "5"
    finally:
        inst.db_start()
    deadline = time.time() + 15
    while True:
        r = chat_verify(inst, person.id, token)
        if r.status_code == 200:
            break
        assert time.time() < deadline, r.text
        time.sleep(0.3)
    assert node_api(inst, token).status_code == 200
    assert phone_details(inst, token).status_code == 200
