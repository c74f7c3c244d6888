"""The standard OAuth 2.0 dialect under attack and under faults (SPEC R,
11, 12, 12b): authorization code replay and binding (RFC 6749 §4.1.2,
§4.1.3), PKCE (RFC 7636, RFC 9700 §4.8.2), refresh-token reuse and families
(RFC 9700 §4.14), concurrent refreshes, the login throttle on the password
grant, and the database going away. Helpers come from test_oauth2.py.
"""
import threading
import time

import pytest
import requests

from test_oauth2 import (D_CREDENTIALS, D_GRANT, D_THROTTLED, INACTIVE,
                         TIMEOUT, REVOKE, INTROSPECT, USERINFO, assert_error,
                         assert_tokens, config_value, default_ttl, digest,
                         exchange, get_code, introspect, is_active,
                         issued_count, login, make_client, password_grant,
                         pkce_pair, post, refresh, revoke, token_request,
                         token_row, userinfo, userinfo_ok)


@pytest.fixture
def user(new_user):
    return new_user()


def code_client(inst, **kw):
    kw.setdefault("grants", ("authorization_code", "refresh_token"))
    return make_client(inst, **kw)


def dead(inst, client, token):
    """Neither active at introspection nor accepted as a Bearer token."""
    return not is_active(inst, client, token) and \
        not userinfo_ok(inst, token)


# --- authorization codes -----------------------------------------------------
def test_code_is_single_use_and_a_replay_revokes_what_it_issued(inst, user):
    c = code_client(inst)
    verifier, challenge = pkce_pair()
    code = get_code(inst, c, user, challenge=challenge)
    first = assert_tokens(exchange(inst, c, code, verifier), default_ttl(inst),
                          "username email")
    # Rotated once: the descendants came from the same code.
    second = assert_tokens(refresh(inst, c, first["refresh_token"]),
                           default_ttl(inst), "username email")
    assert userinfo_ok(inst, second["access_token"])
    # Another, unrelated grant of the same user and client.
    other = assert_tokens(exchange(inst, c, get_code(
        inst, c, user, challenge=challenge), verifier), default_ttl(inst),
        "username email")
    before = issued_count(inst, c)
    # The replay, with everything right but the code being used.
    assert_error(exchange(inst, c, code, verifier), 400, "invalid_grant",
                 D_GRANT)
    assert issued_count(inst, c) == before
    for t in (first["access_token"], first["refresh_token"],
              second["access_token"], second["refresh_token"]):
        assert dead(inst, c, t), t
    assert_error(refresh(inst, c, second["refresh_token"]), 400,
                 "invalid_grant", D_GRANT)
    # Only what that code issued.
    assert userinfo_ok(inst, other["access_token"])
    assert is_active(inst, c, other["refresh_token"])
    # And again: still refused.
    assert_error(exchange(inst, c, code, verifier), 400, "invalid_grant",
                 D_GRANT)


def test_code_is_bound_to_its_client(inst, user):
    c = code_client(inst)
    thief = code_client(inst)
    code = get_code(inst, c, user)
    # The other client, naming the victim's redirect URI too.
    assert_error(exchange(inst, thief, code, redirect_uri=c.uri), 400,
                 "invalid_grant", D_GRANT)
    assert_error(exchange(inst, thief, code), 400, "invalid_grant", D_GRANT)
    assert issued_count(inst, thief) == 0
    assert issued_count(inst, c) == 0


def test_code_is_bound_to_its_redirect_uri(inst, user):
    uris = ["%s/cb/one" % inst.url, "%s/cb/two" % inst.url]
    c = code_client(inst, uris=uris)
    code = get_code(inst, c, user, redirect_uri=uris[0])
    # Another registered URI, a near miss, and none at all (§4.1.3: it is
    # required when the authorization request had one).
    for uri in (uris[1], uris[0] + "/", uris[0].upper()):
        assert_error(exchange(inst, c, code, redirect_uri=uri), 400,
                     "invalid_grant", D_GRANT)
    r = token_request(inst, {"grant_type": "authorization_code",
                             "code": code}, auth=c.auth)
    assert_error(r, 400, "invalid_grant", D_GRANT)
    assert issued_count(inst, c) == 0


def test_pkce_wrong_or_missing_verifier(inst, user):
    c = code_client(inst, public=True)
    verifier, challenge = pkce_pair()
    other_verifier, _ = pkce_pair()
    code = get_code(inst, c, user, challenge=challenge)
    for v in (other_verifier, verifier[:-1] + ("A" if verifier[-1] != "A"
                                                else "B"),
              challenge,            # the challenge itself (plain downgrade)
              verifier[:42],        # too short to be a verifier
              verifier + "!"):      # not a verifier character
        assert_error(exchange(inst, c, code, v), 400, "invalid_grant",
                     D_GRANT)
    # Missing (also when empty).
    assert_error(exchange(inst, c, code), 400, "invalid_grant", D_GRANT)
    assert_error(exchange(inst, c, code, ""), 400, "invalid_grant", D_GRANT)
    # Nothing issued, and the code was not marked used by the attempts.
    assert issued_count(inst, c) == 0
    assert token_row(inst, code, "kind, used_at, revoked") == ("3", None, "0")


def test_pkce_downgrade_verifier_without_a_challenge(inst, user):
    # RFC 9700 §4.8.2: a code issued without code_challenge must not be
    # redeemed with a code_verifier.
    c = code_client(inst)  # confidential: PKCE optional
    verifier, _ = pkce_pair()
    code = get_code(inst, c, user)
    assert token_row(inst, code, "code_challenge") == (None,) or \
        token_row(inst, code, "code_challenge") == ("",)
    assert_error(exchange(inst, c, code, verifier, basic=True), 400,
                 "invalid_grant", D_GRANT)
    assert issued_count(inst, c) == 0
    # The same kind of code without a verifier is fine: the verifier was
    # the reason.
    code = get_code(inst, c, user)
    assert_tokens(exchange(inst, c, code, basic=True), default_ttl(inst),
                  "username email")


# --- refresh tokens ----------------------------------------------------------
def grace(inst):
    return int(config_value(inst, "refresh_grace", "10"))


def test_reuse_within_the_grace_window_is_refused_without_revoking(
        inst, user):
    c = make_client(inst)
    first = login(inst, c, user)
    new = assert_tokens(refresh(inst, c, first["refresh_token"]),
                        default_ttl(inst), "username email")
    # Two tabs racing: the second loses, nothing else happens.
    for _ in range(2):
        assert_error(refresh(inst, c, first["refresh_token"]), 400,
                     "invalid_grant", D_GRANT)
    assert token_row(inst, new["refresh_token"], "revoked") == ("0",)
    assert userinfo_ok(inst, new["access_token"])
    assert userinfo_ok(inst, first["access_token"])
    assert_tokens(refresh(inst, c, new["refresh_token"]), default_ttl(inst),
                  "username email")


def test_reuse_after_the_grace_window_revokes_that_family_only(inst, user):
    c = make_client(inst)
    first = login(inst, c, user)
    second = refresh(inst, c, first["refresh_token"]).json()
    third = refresh(inst, c, second["refresh_token"]).json()
    # Another session of the same user (another device): another family.
    elsewhere = login(inst, c, user)
    # A retired refresh token, used longer ago than the grace window.
    inst.sql("UPDATE tokens SET used_at = used_at - %s WHERE digest = %s",
             grace(inst) + 50, digest(first["refresh_token"]))
    before = issued_count(inst, c)
    assert_error(refresh(inst, c, first["refresh_token"]), 400,
                 "invalid_grant", D_GRANT)
    assert issued_count(inst, c) == before
    # The whole family is dead: the newest refresh and access tokens too.
    for t in (first["access_token"], second["access_token"],
              third["access_token"], third["refresh_token"]):
        assert dead(inst, c, t), t
    assert_error(refresh(inst, c, third["refresh_token"]), 400,
                 "invalid_grant", D_GRANT)
    # The other session is untouched.
    assert userinfo_ok(inst, elsewhere["access_token"])
    assert_tokens(refresh(inst, c, elsewhere["refresh_token"]),
                  default_ttl(inst), "username email")


def test_concurrent_refreshes_exactly_one_wins(inst, user):
    c = make_client(inst)
    body = login(inst, c, user)
    n = 20
    barrier = threading.Barrier(n)
    results = [None] * n

    def run(i):
        s = requests.Session()
        s.trust_env = False
        barrier.wait(timeout=60)
        try:
            r = s.post(inst.url + "/oauth/token", data=dict(
                c.post, grant_type="refresh_token",
                refresh_token=body["refresh_token"]), timeout=120)
            results[i] = r
        except Exception as e:  # reported below
            results[i] = e

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    assert all(isinstance(r, requests.Response) for r in results), results
    wins = [r for r in results if r.status_code == 200]
    assert len(wins) == 1, [(r.status_code, r.text) for r in results]
    assert_tokens(wins[0], default_ttl(inst), "username email")
    for r in results:
        if r is not wins[0]:
            assert_error(r, 400, "invalid_grant", D_GRANT)
    # Exactly one successor in the database.
    fam = token_row(inst, body["refresh_token"], "HEX(family)")[0]
    rows = inst.sql("SELECT COUNT(*) FROM tokens WHERE family = UNHEX(%s) "
                    "AND kind = 2", fam)
    assert int(rows[0][0]) == 2
    rows = inst.sql("SELECT COUNT(*) FROM tokens WHERE family = UNHEX(%s) "
                    "AND kind = 1", fam)
    assert int(rows[0][0]) == 2


# --- the login throttle on the password grant --------------------------------
def test_throttle_guards_the_password_grant(inst, new_user):
    # SPEC 11: after 5 failures for one username the next attempt, the
    # right password included, is 429 with Retry-After (RFC 6585 §4).
    c = make_client(inst)
    delay = int(config_value(inst, "throttle_delay", "2"))
    bystander = new_user()
    # The lock after the fifth failure lasts `delay` seconds; a very slow
    # machine could outlive it between two requests, so start over with
    # another user then (at most three times).
    limit = int(config_value(inst, "throttle_user_max", "5"))
    for attempt in range(3):
        victim = new_user()
        for _ in range(limit):
            r = password_grant(inst, c, (victim[0], victim[1] + "x"))
            assert_error(r, 400, "invalid_grant", D_CREDENTIALS)
        last = time.time()
        r = password_grant(inst, c, victim)  # the right password
        if r.status_code == 200 and time.time() - last >= delay - 1:
            continue
        break
    assert_error(r, 429, "invalid_grant", D_THROTTLED)
    assert r.headers["Retry-After"].isdigit()
    assert 1 <= int(r.headers["Retry-After"]) <= delay
    # Locked: a wrong password gets the same 429 (no oracle).
    r = password_grant(inst, c, (victim[0], victim[1] + "y"))
    assert_error(r, 429, "invalid_grant", D_THROTTLED)
    assert issued_count(inst, c) == 0
    # Other users are not affected.
    assert_tokens(password_grant(inst, c, bystander), default_ttl(inst),
                  "username email")


# --- the database going away -------------------------------------------------
def wait_for(predicate, seconds=60):
    deadline = time.time() + seconds
    while True:
        try:
            if predicate():
                return True
        except requests.RequestException:
            pass
        if time.time() > deadline:
            return False
        time.sleep(0.5)


def assert_server_error(r, description=None):
    assert_error(r, 503, "server_error", description)
    assert r.headers["Retry-After"] == "5"


def test_database_down_token_endpoint_is_503_and_recovers(inst, user):
    c = make_client(inst)
    body = login(inst, c, user)
    inst.db_stop()
    try:
        assert_server_error(password_grant(inst, c, user))
        assert_server_error(password_grant(inst, c, user, basic=True))
        assert_server_error(refresh(inst, c, body["refresh_token"]))
        assert_server_error(introspect(inst, c, body["access_token"]))
        r = userinfo(inst, body["access_token"])
        assert_server_error(r)
        # The process stayed up: a liveness probe still answers.
        assert requests.get(inst.url + "/healthz",
                            timeout=TIMEOUT).status_code == 200
    finally:
        inst.db_start()
    # Back within seconds, without a restart of Apache.
    assert wait_for(lambda: password_grant(inst, c, user).status_code == 200)
    assert_tokens(password_grant(inst, c, user), default_ttl(inst),
                  "username email")
    # The refresh that failed did not use the token up.
    assert_tokens(refresh(inst, c, body["refresh_token"]), default_ttl(inst),
                  "username email")


def test_database_down_revocation_is_503_never_a_false_200(inst, user):
    c = make_client(inst)
    body = login(inst, c, user)
    inst.db_stop()
    try:
        for t in (body["access_token"], body["refresh_token"], "0" * 40):
            r = revoke(inst, c, t)
            assert r.status_code == 503, (r.status_code, r.text)
            assert r.json()["error"] == "server_error"
            assert r.headers["Retry-After"] == "5"
    finally:
        inst.db_start()
    assert wait_for(lambda: introspect(inst, c, body["access_token"]
                                       ).status_code == 200)
    # Nothing was revoked behind the 503.
    assert is_active(inst, c, body["access_token"])
    assert is_active(inst, c, body["refresh_token"])
    assert token_row(inst, body["access_token"], "revoked") == ("0",)
    # And now it can be.
    r = revoke(inst, c, body["refresh_token"])
    assert r.status_code == 200 and r.content == b"{}"
    assert introspect(inst, c, body["access_token"]).json() == INACTIVE


def test_endpoints_are_post_only_where_documented(inst):
    for path in (REVOKE, INTROSPECT):
        r = requests.get(inst.url + path, timeout=TIMEOUT)
        assert r.status_code == 405
        assert r.headers["Allow"] == "POST"
        assert r.json() == {"error": "invalid_request"}
    r = requests.put(inst.url + USERINFO, timeout=TIMEOUT)
    assert r.status_code == 405
    r = post(inst, "/oauth/token/", {"grant_type": "password"})
    assert r.status_code == 404
