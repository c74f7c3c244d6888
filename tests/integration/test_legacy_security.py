"""Security properties of the legacy dialect (SPEC 3, 11, 12b): tokens and
passwords at rest, password hashes, the login throttle, and input that
must stay inert. Through the real Apache + mod_fcgid + MariaDB.
"""
import hashlib
import os
import re
import secrets
import statistics
import sys
import time
import uuid

import pytest
import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conftest import session_from  # noqa: E402
from test_legacy import (  # noqa: E402
    LOGIN, assert_error, assert_login_ok, digest, get_sessions,
    login, revoke, session_count, session_of, sessions_data, token_for,
    unknown_name, user_id)

# PHP's password_hash("password", PASSWORD_DEFAULT) of the legacy admin.
LEGACY_HASH = "$2y$10$CwuNhiptwoCO41TSmvxIj.U461K.wKoCdwEH52c9lzkm8Vjz7NybW"


def password_hash(inst, username):
    (row,) = inst.sql("SELECT password_hash FROM users WHERE username = %s",
                      username.encode("utf-8"))
    return row[0]


def failures(inst, login_name=None, ip=None):
    query, params = "SELECT COUNT(*) FROM login_failures WHERE 1", []
    if login_name is not None:
        query += " AND login = %s"
        params.append(login_name.encode("utf-8"))
    if ip is not None:
        query += " AND ip = %s"
        params.append(ip.encode("ascii"))
    return int(inst.sql(query, *params)[0][0])


def assert_throttled(resp):
    """HTTP 429, the 1429 body and a positive Retry-After; returns it."""
    assert_error(resp, "1429", status=429)
    retry = resp.headers.get("Retry-After", "")
    assert re.fullmatch(r"[1-9][0-9]*", retry), retry
    return int(retry)


def add_user(inst, password, scheme=None):
    """A user made by the CLI, optionally with OAUTH_PASSWORD_SCHEME."""
    name = "s_" + secrets.token_hex(6)
    env = {"OAUTH_PASSWORD_SCHEME": scheme} if scheme else None
    proc = inst.cli("user", "add", name, input=password + "\n", env=env)
    return name, proc


# --- tokens and passwords at rest --------------------------------------------
def test_token_is_stored_only_as_its_sha256_digest(inst, new_user):
    name, pw = new_user()
    token = token_for(inst, name, pw)
    rows = inst.sql("SELECT HEX(digest) FROM tokens WHERE session_id = %s",
                    session_of(inst, token))
    assert rows == [(hashlib.sha256(token.encode()).hexdigest().upper(),)]


def test_no_table_holds_a_token_or_password_in_the_clear(inst, new_user):
    name, pw = new_user(password="pw-" + secrets.token_hex(16))
    token = token_for(inst, name, pw)
    secrets_hex = [token.encode().hex().upper(),  # the token as text
                   token.upper(),                 # its 20 raw bytes
                   pw.encode().hex().upper()]     # the password as text
    columns = {}
    for table, column in inst.sql(
            "SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.COLUMNS "
            "WHERE TABLE_SCHEMA = 'oauth'"):
        columns.setdefault(table, []).append(column)
    assert "tokens" in columns and "sessions" in columns
    for table, names in columns.items():
        conds = ["LOCATE(%s, HEX(`{}`)) > 0".format(c)
                 for c in names for _ in secrets_hex]
        params = [h.encode() for _ in names for h in secrets_hex]
        rows = inst.sql("SELECT COUNT(*) FROM `%s` WHERE %s" % (
            table, " OR ".join(conds)), *params)
        assert rows == [("0",)], table


def test_tokens_and_passwords_never_reach_the_error_log(inst, new_user):
    name, pw = new_user(password="pw-" + secrets.token_hex(16))
    token = token_for(inst, name, pw, debug="1")
    login(inst, name, pw + "x", debug="1")
    get_sessions(inst, token)
    get_sessions(inst, token[:-1] + "0")
    revoke(inst, token)
    log = inst.error_log()
    assert token not in log
    assert pw not in log


def test_tokens_are_unique_40_lower_hex(inst, new_user):
    name, pw = new_user()
    tokens = [token_for(inst, name, pw) for _ in range(10)]
    assert len(set(tokens)) == 10
    assert all(re.fullmatch(r"[0-9a-f]{40}", t) for t in tokens)


# --- password hashes ---------------------------------------------------------
def test_legacy_php_bcrypt_hash_verifies_and_is_upgraded_on_login(inst,
                                                                  new_user):
    name, _ = new_user()
    inst.sql("UPDATE users SET password_hash = %s WHERE id = %s",
             LEGACY_HASH.encode(), user_id(inst, name))
    assert_login_ok(login(inst, name, "password"))
    upgraded = password_hash(inst, name)
    assert upgraded.startswith("$y$")
    assert_login_ok(login(inst, name, "password"))
    assert_error(login(inst, name, "Password"), "1142")


def test_wrong_password_leaves_a_legacy_hash_alone(inst, new_user):
    name, _ = new_user()
    inst.sql("UPDATE users SET password_hash = %s WHERE id = %s",
             LEGACY_HASH.encode(), user_id(inst, name))
    assert_error(login(inst, name, "passwort"), "1142")
    assert password_hash(inst, name) == LEGACY_HASH


def test_new_users_get_yescrypt_hashes(inst, new_user):
    name, pw = new_user()
    assert password_hash(inst, name).startswith("$y$")
    assert_login_ok(login(inst, name, pw))


def test_bcrypt_scheme_makes_2y_hashes_that_log_in(inst):
    pw = "pw-" + secrets.token_hex(8)
    name, proc = add_user(inst, pw, scheme="bcrypt")
    assert proc.returncode == 0, proc.stderr
    assert password_hash(inst, name).startswith("$2y$")
    assert_error(login(inst, name, pw + "x"), "1142")
    assert_login_ok(login(inst, name, pw))


def test_bcrypt_password_is_not_truncated_at_72_bytes(inst):
    pw = secrets.token_hex(36)  # exactly 72 bytes, bcrypt's whole input
    name, proc = add_user(inst, pw, scheme="bcrypt")
    assert proc.returncode == 0, proc.stderr
    assert password_hash(inst, name).startswith("$2y$")
    for longer in (pw + "x", pw + "y" * 100):
        assert_error(login(inst, name, longer), "1142")
    assert_login_ok(login(inst, name, pw))


def test_password_over_512_bytes_is_refused_and_never_truncated(inst,
                                                                 new_user):
    # libxcrypt hashes at most 511 bytes (CRYPT_MAX_PASSPHRASE_SIZE counts
    # the NUL): a long password works whole, a longer one is refused.
    pw = "p" * 511
    name, _ = new_user(password=pw)
    for longer in (pw + "p", pw + "pp", pw + "p" * 100):
        assert_error(login(inst, name, longer), "1142")
    assert_error(login(inst, name, pw[:-1]), "1142")
    assert_login_ok(login(inst, name, pw))
    name, proc = add_user(inst, "p" * 513)
    assert proc.returncode != 0
    assert inst.sql("SELECT COUNT(*) FROM users WHERE username = %s",
                    name.encode()) == [("0",)]


def test_unknown_user_costs_the_same_hash_work_as_a_known_one(inst,
                                                              new_user):
    # Without a dummy hash an unknown name answers ~10x sooner, telling
    # which usernames exist. Only a loose ratio of medians is asserted.
    name, _ = new_user()
    known, unknown = [], []
    for _ in range(7):
        for names, who in ((known, name), (unknown, unknown_name())):
            inst.sql("DELETE FROM login_failures")
            start = time.perf_counter()
            resp = login(inst, who, "wrong-password")
            names.append(time.perf_counter() - start)
            assert_error(resp, "1142")
    assert statistics.median(unknown) >= 0.4 * statistics.median(known), (
        known, unknown)


# --- throttle ----------------------------------------------------------------
def test_failed_logins_are_recorded_with_login_and_ip(inst, new_user):
    name, _ = new_user()
    client = session_from("127.0.0.7")
    for _ in range(3):
        assert_error(login(inst, name, "wrong", client=client), "1142")
    ghost = unknown_name()
    assert_error(login(inst, ghost, "wrong", client=client), "1142")
    assert failures(inst, name, "127.0.0.7") == 3
    assert failures(inst, ghost, "127.0.0.7") == 1
    assert failures(inst, ip="127.0.0.7") == 4


def test_four_failures_do_not_lock_the_username(inst, new_user):
    name, pw = new_user()
    for _ in range(4):
        assert_error(login(inst, name, "wrong"), "1142")
    assert_login_ok(login(inst, name, pw))


def test_five_failures_lock_the_username_until_retry_after(inst, new_user):
    name, pw = new_user()
    uid = user_id(inst, name)
    for _ in range(5):
        assert_error(login(inst, name, "wrong"), "1142")
    # Locked: even the correct password is refused, nothing is issued.
    retry = assert_throttled(login(inst, name, pw))
    assert retry <= 2  # the first lock is throttle_delay (2 s)
    assert assert_throttled(login(inst, name, "wrong")) >= 1
    assert session_count(inst, uid) == 0
    time.sleep(retry)
    assert_login_ok(login(inst, name, pw))
    # A success clears the counter: one more failure does not lock.
    assert failures(inst, name) == 0
    assert_error(login(inst, name, "wrong"), "1142")
    assert_login_ok(login(inst, name, pw))


def test_locked_username_does_not_block_other_users_from_the_same_ip(
        inst, new_user):
    name, pw = new_user()
    other, opw = new_user()
    for _ in range(5):
        assert_error(login(inst, name, "wrong"), "1142")
    assert_throttled(login(inst, name, pw))
    assert_login_ok(login(inst, other, opw))


def test_username_lock_is_shared_by_every_process(inst, new_user):
    # Failures through plain CGI (a fresh process each) lock the name for
    # the FastCGI processes too: the counter lives in MySQL.
    name, pw = new_user()
    for _ in range(5):
        assert_error(login(inst, name, "wrong", path="/cgi-mode" + LOGIN),
                     "1142")
    assert_throttled(login(inst, name, pw))
    assert_throttled(login(inst, name, pw, path="/visitor-management" +
                           LOGIN))


def test_twenty_failures_from_one_ip_lock_that_ip_only(inst, new_user):
    name, pw = new_user()
    locked = session_from("127.0.0.3")
    for _ in range(20):
        assert_error(login(inst, unknown_name(), "wrong", client=locked),
                     "1142")
    assert failures(inst, ip="127.0.0.3") == 20
    assert_throttled(login(inst, name, pw, client=locked))
    assert_login_ok(login(inst, name, pw, client=session_from("127.0.0.4")))


# --- inert input -------------------------------------------------------------
@pytest.mark.parametrize("suffix", ["' -- ", "'#", "' OR '1'='1",
                                    "\" OR \"\"=\"", "\\"])
def test_sql_in_username_is_just_a_wrong_username(inst, new_user, suffix):
    name, pw = new_user()
    users = inst.sql("SELECT COUNT(*) FROM users")
    assert_error(login(inst, name + suffix, pw), "1142")
    assert_error(login(inst, "' OR '1'='1' -- ", pw), "1142")
    assert inst.sql("SELECT COUNT(*) FROM users") == users


def test_like_wildcards_do_not_match_other_usernames(inst, new_user):
    name, pw = new_user()
    assert_error(login(inst, name[:-1] + "_", pw), "1142")
    assert_error(login(inst, name[:-2] + "%", pw), "1142")


def test_sql_in_device_info_is_stored_verbatim(inst, new_user):
    name, pw = new_user()
    device = "x'); DROP TABLE sessions; -- \\"
    token = token_for(inst, name, pw, device_info=device)
    (entry,) = sessions_data(inst, token)
    assert entry["device_info"] == device


@pytest.mark.parametrize("value", ["1 OR 1=1", "1; DELETE FROM sessions",
                                   "' OR ''='"])
def test_sql_in_session_id_is_just_an_unknown_session(inst, new_user, value):
    name, pw = new_user()
    victim, vpw = new_user()
    mine = token_for(inst, name, pw)
    theirs = token_for(inst, victim, vpw)
    assert_error(revoke(inst, mine, value), "3404", ID=value)
    assert get_sessions(inst, theirs).status_code == 200
    assert get_sessions(inst, mine).status_code == 200


@pytest.mark.parametrize("header", [
    "Token ' OR '1'='1", "Token %s' OR '1'='1", "Bearer %s%%", "Token %s0",
    "Token %.39s",
])
def test_tampered_token_is_refused(inst, new_user, header):
    name, pw = new_user()
    token = token_for(inst, name, pw)
    value = header % token if "%" in header else header
    resp = requests.get(inst.url + "/v1/oauth/sessions/",
                        headers={"Authorization": value}, timeout=30)
    assert_error(resp, "1403")


def test_revoked_token_digest_cannot_be_reused(inst, new_user):
    name, pw = new_user()
    token = token_for(inst, name, pw)
    assert revoke(inst, token).status_code == 200
    rows = inst.sql("SELECT revoked FROM tokens WHERE digest = %s",
                    digest(token))
    assert rows in ([], [("1",)])
    assert_error(get_sessions(inst, token), "1403")
    assert_error(get_sessions(inst, token, scheme="Bearer"), "1403")


def test_very_long_unknown_username_gets_1142(inst):
    assert_error(login(inst, str(uuid.uuid4()) * 10, "x"), "1142")
