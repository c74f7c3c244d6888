"""Who may do what with a token, and when a token stops (SPEC section 14,
issue 9 points 4-6), through Apache + mod_fcgid + MariaDB:

* session management is first-party only: /v1/oauth/sessions/,
  /v1/oauth/revoke/ and `registration = token` take a token issued without
  a client (legacy, chat) or one carrying the scope `sessions`; any other
  token gets the answer of an invalid token;
* `client del` revokes everything the client was issued, in the same
  transaction, and the client's tokens are dead on every dialect;
* `user disable` stops a user's tokens, refreshes, code exchanges and
  sign-in cookie at once, `user enable` brings them back; `user passwd`
  signs every session out and says how many.
"""
import json
import secrets
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from test_chat import assert_five, chat_token, new_phone
from test_cross_dialect import (GOLDEN_1403, Person, assert_alive_everywhere,
                                assert_dead_everywhere, chat_verify, digest,
                                introspect, legacy_login, legacy_sessions,
                                node_api, phone_details, userinfo)
from test_node import (Browser, admin_level, assert_failed, assert_success,
                       authorize, cgi_register, cli_client,
                       fresh_client_data, fresh_user_data, sign_in_to_consent,
                       user_with_level)
from test_phone import assert_rfc

TIMEOUT = 30
USER_SCOPES = "username email firstname lastname phone"
CONSENT_WORDS = "Manage your signed-in devices"


# --- helpers -----------------------------------------------------------------
def password_grant(inst, client, username, password, scope=None):
    data = {"grant_type": "password", "username": username,
            "password": password}
    if scope is not None:
        data["scope"] = scope
    return requests.post(inst.url + "/oauth/token", data=data,
                         auth=client[:2], timeout=TIMEOUT)


def tokens_for(inst, client, username, password, scope=None):
    r = password_grant(inst, client, username, password, scope)
    assert r.status_code == 200, r.text
    return r.json()


def refresh(inst, client, refresh_token):
    return requests.post(inst.url + "/oauth/token", data={
        "grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=client[:2], timeout=TIMEOUT)


def exchange(inst, client, code):
    return requests.post(inst.url + "/oauth/token", data={
        "grant_type": "authorization_code", "code": code,
        "redirect_uri": client[2]}, auth=client[:2], timeout=TIMEOUT)


def authorize_params(client, scope):
    return {"client_id": client[0], "response_type": "code",
            "redirect_uri": client[2], "scope": scope,
            "state": "st-" + secrets.token_hex(4)}


def code_from(r):
    q = parse_qs(urlsplit(r.headers["Location"]).query)
    assert "code" in q, r.headers["Location"]
    return q["code"][0]


def legacy_revoke(inst, token, session_id=None):
    data = {} if session_id is None else {"session_id": str(session_id)}
    return requests.post(inst.url + "/v1/oauth/revoke/", data=data,
                         headers={"Authorization": "Token " + token},
                         timeout=TIMEOUT)


def assert_1403(r):
    """The legacy invalid-token answer, byte for byte (HTTP 200)."""
    assert r.status_code == 200, r.text
    assert r.headers.get("Content-Type") == "application/json"
    assert r.text == GOLDEN_1403, r.text


def session_ids(inst, token):
    r = legacy_sessions(inst, token)
    assert r.status_code == 200, r.text
    doc = json.loads(r.text)
    assert doc["success"] is True, r.text
    return {s["session_id"]: s for s in doc["data"]}


def session_of(inst, token):
    rows = inst.sql("SELECT session_id FROM tokens WHERE digest = %s",
                    digest(token))
    assert len(rows) == 1, rows
    return int(rows[0][0])


def session_live(inst, sid):
    return inst.sql("SELECT revoked_at FROM sessions WHERE id = %s",
                    sid)[0][0] is None


def token_revoked(inst, token):
    return inst.sql("SELECT revoked FROM tokens WHERE digest = %s",
                    digest(token))[0][0] == "1"


def client_ref(inst, cid):
    return int(inst.sql("SELECT id FROM clients WHERE client_id = %s",
                        cid.encode())[0][0])


def cli_ok(inst, *args, input=None):
    proc = inst.cli(*args, input=input)
    assert proc.returncode == 0, (args, proc.returncode, proc.stdout,
                                  proc.stderr)
    return proc.stdout


def assert_inactive(inst, rs, token):
    r = introspect(inst, rs, token)
    assert r.status_code == 200, r.text
    assert r.json() == {"active": False}, r.text


def assert_active(inst, rs, token):
    r = introspect(inst, rs, token)
    assert r.status_code == 200, r.text
    assert r.json()["active"] is True, r.text


def assert_invalid_grant(r):
    assert r.status_code == 400, r.text
    assert r.json()["error"] == "invalid_grant", r.text


def assert_invalid_client(r):
    assert r.status_code == 401, r.text
    assert r.json()["error"] == "invalid_client", r.text


@pytest.fixture
def person(inst, new_user):
    return Person(inst, new_user)


@pytest.fixture(scope="module")
def rs(inst):
    """A resource server: introspects every token."""
    return cli_client(inst, ["client_credentials"], resource_server=True,
                      name="Access Resource Server")


@pytest.fixture(scope="module")
def third(inst):
    """A third-party client: the user scopes, never `sessions`."""
    return cli_client(inst, ["password", "refresh_token",
                             "authorization_code"], scopes=USER_SCOPES,
                      name="Third Party")


@pytest.fixture(scope="module")
def manager(inst):
    """A client registered with --scope sessions (and the user scopes)."""
    return cli_client(inst, ["password", "refresh_token",
                             "authorization_code"],
                      scopes=USER_SCOPES + " sessions",
                      name="Device Manager")


# --- 1. session management is first-party only --------------------------------
def test_third_party_token_cannot_list_sessions_or_sign_out_devices(
        inst, person, third):
    phone = legacy_login(inst, person)
    phone_sid = session_of(inst, phone)
    tok = tokens_for(inst, third, person.name, person.pw, "email")
    app = tok["access_token"]
    # The reproduction: scope=email listed every session...
    assert_1403(legacy_sessions(inst, app))
    assert_1403(legacy_sessions(inst, app, "Bearer"))
    # ...and signed the phone out; nor may it sign out its own session.
    assert_1403(legacy_revoke(inst, app, phone_sid))
    assert_1403(legacy_revoke(inst, app))
    # The phone is untouched and still sees both sessions.
    assert session_live(inst, phone_sid)
    listed = session_ids(inst, phone)
    assert phone_sid in listed and session_of(inst, app) in listed
    # Nothing else changed for the third party's token.
    r = userinfo(inst, app)
    assert r.status_code == 200, r.text
    assert r.json() == {"sub": str(person.id), "email": person.email}


def test_first_party_tokens_manage_sessions_and_third_party_ones_do_not(
        inst, person, third):
    legacy = legacy_login(inst, person)
    chat = chat_token(inst, person.phone, person.pw)["access_token"]
    app = tokens_for(inst, third, person.name, person.pw,
                     USER_SCOPES)["access_token"]
    for token in (legacy, chat):
        assert session_of(inst, app) in session_ids(inst, token)
    # Even with every user scope a third party is no first party.
    assert_1403(legacy_sessions(inst, app))
    # The chat token signs the third party's session out, then its own.
    r = legacy_revoke(inst, chat, session_of(inst, app))
    assert json.loads(r.text) == {"success": True, "data": {
        "session_id": session_of(inst, app), "revoked": True}}
    assert_dead_everywhere(inst, app, person)
    r = legacy_revoke(inst, chat)
    assert json.loads(r.text)["success"] is True, r.text
    assert_1403(legacy_sessions(inst, chat))
    assert session_ids(inst, legacy)


def test_sessions_scope_lets_a_client_token_manage_devices(inst, person,
                                                           manager):
    phone = legacy_login(inst, person)
    phone_sid = session_of(inst, phone)
    # The same client: without the scope refused, with it accepted.
    plain = tokens_for(inst, manager, person.name, person.pw,
                       "username email")["access_token"]
    assert_1403(legacy_sessions(inst, plain))
    assert_1403(legacy_revoke(inst, plain, phone_sid))
    tok = tokens_for(inst, manager, person.name, person.pw, "sessions email")
    assert tok["scope"] == "sessions email"
    mgr = tok["access_token"]
    listed = session_ids(inst, mgr)
    assert listed[session_of(inst, mgr)]["current"] is True
    assert phone_sid in listed
    r = legacy_revoke(inst, mgr, phone_sid)
    assert json.loads(r.text) == {"success": True, "data": {
        "session_id": phone_sid, "revoked": True}}, r.text
    assert_1403(legacy_sessions(inst, phone))
    # A refreshed token keeps the scope, and with it the right.
    r = refresh(inst, manager, tok["refresh_token"])
    assert r.status_code == 200, r.text
    assert session_ids(inst, r.json()["access_token"])
    # Other scopes are as before: userinfo answers what email grants.
    r = userinfo(inst, mgr)
    assert r.json() == {"sub": str(person.id), "email": person.email}


def test_sessions_scope_only_for_clients_registered_with_it(inst, person,
                                                            third):
    r = password_grant(inst, third, person.name, person.pw, "sessions")
    assert r.status_code == 400 and r.json()["error"] == "invalid_scope"
    # ...and a client with no scope list gets the five user scopes only.
    bare = cli_client(inst, ["password"], name="Bare")
    r = password_grant(inst, bare, person.name, person.pw,
                       "email sessions")
    assert r.status_code == 400 and r.json()["error"] == "invalid_scope"
    tok = tokens_for(inst, bare, person.name, person.pw)
    assert "sessions" not in tok["scope"].split()
    assert_1403(legacy_sessions(inst, tok["access_token"]))


def test_sessions_scope_through_the_consent_page(inst, person, manager,
                                                 third):
    b = Browser(inst)
    page = sign_in_to_consent(b, "/oauth/authorize",
                              authorize_params(manager, "sessions email"),
                              person.name, person.pw)
    assert CONSENT_WORDS in page.text
    assert "Your email address" in page.text
    r = b.submit(page, "approve")
    assert r.status_code == 303, r.text
    r = exchange(inst, manager, code_from(r))
    assert r.status_code == 200, r.text
    assert r.json()["scope"] == "sessions email"
    assert session_ids(inst, r.json()["access_token"])
    # Without it, the page does not speak of devices, nor does the token
    # manage them.
    r = authorize(inst, "/oauth/authorize", authorize_params(third, "email"),
                  person.name, person.pw)
    r = exchange(inst, third, code_from(r))
    assert r.status_code == 200, r.text
    assert_1403(legacy_sessions(inst, r.json()["access_token"]))


def test_registration_token_refuses_a_third_party_admin_token(inst, third,
                                                             manager):
    admin, pw = user_with_level(inst, admin_level(inst))
    app = tokens_for(inst, third, admin, pw, "username email")
    for what, data in (("client", fresh_client_data(inst)),
                       ("user", fresh_user_data())):
        r = cgi_register(inst, what, data, "token", app["access_token"])
        assert_failed(r, 401, "registration requires an administrator's "
                      "bearer token")
        assert r.headers.get("WWW-Authenticate") == 'Bearer realm="oauth"'
    # The same administrator's first-party token, and a token carrying
    # `sessions`, may register.
    first = legacy_login(inst, SimpleNamespace(name=admin, pw=pw))
    scoped = tokens_for(inst, manager, admin, pw, "sessions")
    for token in (first, scoped["access_token"]):
        assert_success(cgi_register(inst, "client", fresh_client_data(inst),
                                    "token", token),
                       "register client successfully")
        assert_success(cgi_register(inst, "user", fresh_user_data(),
                                    "token", token),
                       "register user successfully")


# --- 2. client del -------------------------------------------------------------
def test_client_del_revokes_its_tokens_codes_and_consents_at_once(
        inst, person, rs):
    year = 365 * 86400
    client = cli_client(inst, ["password", "refresh_token",
                               "authorization_code"],
                        scopes=USER_SCOPES + " sessions", name="Doomed")
    inst.sql("UPDATE clients SET access_ttl = %s WHERE client_id = %s",
             year, client[0].encode())
    tok = tokens_for(inst, client, person.name, person.pw,
                     "username email sessions")
    assert tok["expires_in"] == year
    access, refresh_token = tok["access_token"], tok["refresh_token"]
    assert_alive_everywhere(inst, access, "username email sessions", person)
    assert_active(inst, rs, access)
    # A remembered consent and a code not yet exchanged.
    b = Browser(inst)
    page = sign_in_to_consent(b, "/oauth/authorize",
                              authorize_params(client, "email"),
                              person.name, person.pw)
    r = b.submit(page, "approve", [("remember", "1")])
    code = code_from(r)
    ref = client_ref(inst, client[0])
    assert inst.sql("SELECT COUNT(*) FROM consents WHERE client_ref = %s",
                    ref) == [("1",)]
    out = cli_ok(inst, "client", "del", client[0])
    # Dead on every dialect, unknown at the token endpoint.
    assert_dead_everywhere(inst, access, person)
    assert_inactive(inst, rs, access)
    assert_inactive(inst, rs, refresh_token)
    assert_invalid_client(refresh(inst, client, refresh_token))
    assert_invalid_client(exchange(inst, client, code))
    assert_invalid_client(password_grant(inst, client, person.name,
                                         person.pw))
    assert_invalid_client(introspect(inst, client, access))
    # Gone from the user's devices.
    mine = legacy_login(inst, person)
    assert session_of(inst, access) not in session_ids(inst, mine)
    # Revoked in the database, in the same transaction, and counted.
    for t in (access, refresh_token, code):
        assert token_revoked(inst, t), t
    assert inst.sql("SELECT COUNT(*) FROM consents WHERE client_ref = %s",
                    ref) == [("0",)]
    assert out == "client %s deleted (3 tokens revoked)\n" % client[0]
    # Deleting it again: no such client.
    proc = inst.cli("client", "del", client[0])
    assert proc.returncode == 3, proc.stderr


def test_token_of_a_deleted_client_is_dead_even_if_its_row_missed_the_revoke(
        inst, person, rs):
    """A token issued by a request that raced the delete (or restored from
    a backup) is still refused: the token check reads the client too."""
    client = cli_client(inst, ["password"], scopes=USER_SCOPES,
                        name="Racing")
    access = tokens_for(inst, client, person.name, person.pw,
                        "username")["access_token"]
    cli_ok(inst, "client", "del", client[0])
    inst.sql("UPDATE tokens SET revoked = 0 WHERE digest = %s",
             digest(access))
    assert_dead_everywhere(inst, access, person)
    assert_inactive(inst, rs, access)


# --- 3. user disable / enable / passwd -------------------------------------------
def test_user_disable_stops_every_token_at_once_and_enable_restores_them(
        inst, person, manager, rs):
    legacy = legacy_login(inst, person)
    chat = chat_token(inst, person.phone, person.pw)["access_token"]
    tok = tokens_for(inst, manager, person.name, person.pw,
                     "username email sessions")
    app = tok["access_token"]
    for token, scope in ((legacy, USER_SCOPES), (chat, USER_SCOPES),
                         (app, "username email sessions")):
        assert_alive_everywhere(inst, token, scope, person)
    assert cli_ok(inst, "user", "disable", person.name) == \
        "user %s disabled\n" % person.name
    assert "disabled" in [line.split("\t")[-1] for line in
                          cli_ok(inst, "user", "list").splitlines()
                          if line.split("\t")[1:2] == [person.name]]
    for token in (legacy, chat, app):
        assert_dead_everywhere(inst, token, person)
        assert_inactive(inst, rs, token)
    assert_invalid_grant(refresh(inst, manager, tok["refresh_token"]))
    # Disabling revoked nothing: enabling brings every live token back,
    # and the refresh token was not spent by the refused attempt.
    assert not token_revoked(inst, app)
    assert cli_ok(inst, "user", "enable", person.name) == \
        "user %s enabled\n" % person.name
    for token, scope in ((legacy, USER_SCOPES), (chat, USER_SCOPES),
                         (app, "username email sessions")):
        assert_alive_everywhere(inst, token, scope, person)
        assert_active(inst, rs, token)
    r = refresh(inst, manager, tok["refresh_token"])
    assert r.status_code == 200, r.text


def test_disabled_flag_set_in_the_database_holds_on_the_next_request(
        inst, person, manager, rs):
    """No process keeps the flag: set by another host's admin, or by hand,
    it holds on the very next request, and cleared, so does the user."""
    legacy = legacy_login(inst, person)
    tok = tokens_for(inst, manager, person.name, person.pw, "email")
    inst.sql("UPDATE users SET disabled = 1 WHERE id = %s", person.id)
    for token in (legacy, tok["access_token"]):
        assert_dead_everywhere(inst, token, person)
        assert_inactive(inst, rs, token)
    assert_invalid_grant(refresh(inst, manager, tok["refresh_token"]))
    inst.sql("UPDATE users SET disabled = 0 WHERE id = %s", person.id)
    assert_alive_everywhere(inst, legacy, USER_SCOPES, person)
    assert refresh(inst, manager, tok["refresh_token"]).status_code == 200


def test_disabled_user_cannot_exchange_a_code_until_enabled(inst, person,
                                                             third):
    r = authorize(inst, "/oauth/authorize", authorize_params(third, "email"),
                  person.name, person.pw)
    code = code_from(r)
    cli_ok(inst, "user", "disable", person.name)
    assert_invalid_grant(exchange(inst, third, code))
    cli_ok(inst, "user", "enable", person.name)
    r = exchange(inst, third, code)
    assert r.status_code == 200, r.text


def test_disabled_user_refresh_is_invalid_grant_on_every_token_endpoint(
        inst, person, manager):
    tok = tokens_for(inst, manager, person.name, person.pw, "email")
    cli_ok(inst, "user", "disable", person.name)
    assert_invalid_grant(refresh(inst, manager, tok["refresh_token"]))
    r = requests.post(inst.url + "/v4/oauth/access-token", json={
        "grant_type": "refresh_token", "client_id": manager[0],
        "client_secret": manager[1],
        "refresh_token": tok["refresh_token"]}, timeout=TIMEOUT)
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
    r = requests.post(inst.url + "/token", data={
        "grant_type": "refresh_token", "client_id": manager[0],
        "client_secret": manager[1],
        "refresh_token": tok["refresh_token"]}, timeout=TIMEOUT)
    assert r.status_code == 400, r.text
    assert r.json()["status"] == "FAILED", r.text
    # Nor can the user log in anywhere.
    r = password_grant(inst, manager, person.name, person.pw)
    assert r.status_code == 400 and r.json()["error"] == "invalid_grant"


def test_disabled_user_sign_in_cookie_is_refused(inst, person, third):
    b = Browser(inst)
    params = authorize_params(third, "email")
    sign_in_to_consent(b, "/oauth/authorize", params, person.name, person.pw)
    # Signed in: the next authorization goes straight to consent.
    r = b.get("/oauth/authorize", params)
    assert 'value="approve"' in r.text and 'name="password"' not in r.text
    r = b.get("/account/devices")
    assert r.status_code == 200 and 'name="password"' not in r.text
    cli_ok(inst, "user", "disable", person.name)
    r = b.get("/oauth/authorize", params)
    assert r.status_code == 200, r.text[:500]
    assert 'name="password"' in r.text and 'value="approve"' not in r.text
    r = b.get("/account/devices")
    assert 'name="password"' in r.text
    cli_ok(inst, "user", "enable", person.name)
    r = b.get("/oauth/authorize", params)
    assert 'value="approve"' in r.text and 'name="password"' not in r.text


def test_user_disable_and_enable_of_an_unknown_user_exit_3(inst):
    name = "nobody_" + secrets.token_hex(6)
    for cmd in ("disable", "enable"):
        proc = inst.cli("user", cmd, name)
        assert proc.returncode == 3, (proc.stdout, proc.stderr)
        assert proc.stderr == "user %s: no user %s\n" % (cmd, name)
        assert proc.stdout == ""


def test_user_passwd_signs_out_every_session_and_says_how_many(
        inst, person, manager, rs):
    legacy = legacy_login(inst, person)
    chat = chat_token(inst, person.phone, person.pw)["access_token"]
    tok = tokens_for(inst, manager, person.name, person.pw, "email")
    proc = inst.cli("user", "passwd", person.name, input="brand-new-pw-1\n")
    assert proc.returncode == 0, proc.stderr
    for token in (legacy, chat, tok["access_token"]):
        assert_dead_everywhere(inst, token, person)
        assert_inactive(inst, rs, token)
        assert token_revoked(inst, token)
    assert_invalid_grant(refresh(inst, manager, tok["refresh_token"]))
    assert proc.stdout == ("password of %s changed\nsigned out 3 sessions\n"
                           % person.name)
    # The new password works; nothing is left to sign out the second time.
    fresh = legacy_login(inst, SimpleNamespace(name=person.name,
                                               pw="brand-new-pw-1"))
    assert session_ids(inst, fresh)
    proc = inst.cli("user", "passwd", person.name, input="brand-new-pw-2\n")
    assert proc.stdout.endswith("signed out 1 sessions\n"), proc.stdout
    assert_1403(legacy_sessions(inst, fresh))
