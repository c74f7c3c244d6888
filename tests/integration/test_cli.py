"""The admin CLI (SPEC 10, 12b): the same binary run from a shell with
OAUTH_CONFIG, checked through its exit codes and output and through what
the legacy web API then does.
"""
import hashlib
import os
import secrets
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_legacy import (  # noqa: E402
    assert_error, assert_login_ok, get_sessions, login, session_of,
    sessions_data, token_for, user_id)

LEGACY_HASH = "$2y$10$CwuNhiptwoCO41TSmvxIj.U461K.wKoCdwEH52c9lzkm8Vjz7NybW"


def fresh_name(prefix="c_"):
    return prefix + secrets.token_hex(6)


def user_exists(inst, name):
    rows = inst.sql("SELECT COUNT(*) FROM users WHERE username = %s",
                    name.encode("utf-8"))
    return rows != [("0",)]


def lines(proc):
    return proc.stdout.splitlines()


# --- user add / list / passwd / del ------------------------------------------
def test_user_add_creates_a_user_who_can_log_in(inst):
    name = fresh_name()
    pw = "pw-" + secrets.token_hex(8)
    phone = "+1555" + str(secrets.randbelow(10 ** 7)).zfill(7)
    email = name + "@example.com"
    proc = inst.cli("user", "add", name, "--phone", phone, "--email", email,
                    "--first", "Ada", "--last", "Lovelace",
                    input=pw + "\n")
    assert proc.returncode == 0, proc.stderr
    assert pw not in proc.stdout + proc.stderr
    rows = inst.sql("SELECT phone_number, email, firstname, lastname "
                    "FROM users WHERE username = %s", name.encode())
    assert rows == [(phone, email, "Ada", "Lovelace")]
    assert_login_ok(login(inst, name, pw))


def test_user_add_of_an_existing_name_exits_2_and_changes_nothing(inst,
                                                                  new_user):
    name, pw = new_user()
    proc = inst.cli("user", "add", name, input="other-password\n")
    assert proc.returncode == 2
    assert proc.stderr.strip()
    assert_login_ok(login(inst, name, pw))
    assert_error(login(inst, name, "other-password"), "1142")


@pytest.mark.parametrize("args", [
    ["--password", "secret-on-argv"],
    ["--password=secret-on-argv"],
    ["-p", "secret-on-argv"],
    ["secret-on-argv"],
])
def test_user_add_takes_no_password_on_the_command_line(inst, args):
    name = fresh_name()
    proc = inst.cli("user", "add", name, *args, input="pw-stdin\n")
    assert proc.returncode != 0
    assert not user_exists(inst, name)


def test_user_add_without_a_password_on_stdin_fails(inst):
    name = fresh_name()
    proc = inst.cli("user", "add", name, input="")
    assert proc.returncode != 0
    assert proc.stderr.strip()
    assert not user_exists(inst, name)


def test_user_list_lists_users_tab_separated_after_a_header(inst, new_user):
    name, _ = new_user(email="list-%s@example.com" % secrets.token_hex(4),
                       first="Grace", last="Hopper")
    proc = inst.cli("user", "list")
    assert proc.returncode == 0, proc.stderr
    out = lines(proc)
    assert "\t" in out[0] and "username" in out[0]
    (row,) = [line for line in out[1:] if name in line.split("\t")]
    fields = row.split("\t")
    assert fields[0] == str(user_id(inst, name))
    assert "list-" in row and "Grace" in row and "Hopper" in row


def test_user_passwd_replaces_the_password(inst, new_user):
    name, old = new_user()
    proc = inst.cli("user", "passwd", name, input="new-password-1\n")
    assert proc.returncode == 0, proc.stderr
    assert "new-password-1" not in proc.stdout + proc.stderr
    assert_error(login(inst, name, old), "1142")
    assert_login_ok(login(inst, name, "new-password-1"))


def test_user_passwd_of_an_unknown_user_fails(inst):
    proc = inst.cli("user", "passwd", fresh_name(), input="whatever\n")
    assert proc.returncode != 0
    assert proc.stderr.strip()


def test_user_del_signs_the_user_out_and_removes_it(inst, new_user):
    name, pw = new_user()
    tokens = [token_for(inst, name, pw) for _ in range(2)]
    proc = inst.cli("user", "del", name)
    assert proc.returncode == 0, proc.stderr
    for token in tokens:
        assert_error(get_sessions(inst, token), "1403")
    assert_error(login(inst, name, pw), "1142")
    assert not user_exists(inst, name)
    assert name not in inst.cli("user", "list").stdout.split()
    assert inst.cli("sessions", name).returncode != 0


def test_user_del_of_an_unknown_user_fails(inst):
    proc = inst.cli("user", "del", fresh_name())
    assert proc.returncode != 0
    assert proc.stderr.strip()


# --- sessions / revoke -------------------------------------------------------
def test_sessions_lists_the_users_device_sessions(inst, new_user):
    name, pw = new_user()
    other, opw = new_user()
    t1 = token_for(inst, name, pw, device_info="cli device A")
    t2 = token_for(inst, name, pw, device_info="cli device B")
    token_for(inst, other, opw, device_info="not theirs")
    proc = inst.cli("sessions", name)
    assert proc.returncode == 0, proc.stderr
    out = lines(proc)
    assert "\t" in out[0] and not out[0].split("\t")[0].isdigit()
    rows = {line.split("\t")[0]: line.split("\t") for line in out[1:]}
    assert set(rows) == {str(session_of(inst, t1)), str(session_of(inst, t2))}
    assert "cli device A" in rows[str(session_of(inst, t1))]
    assert "cli device B" in rows[str(session_of(inst, t2))]


def test_revoke_one_session_signs_out_that_device_only(inst, new_user):
    name, pw = new_user()
    gone = token_for(inst, name, pw, device_info="gone")
    kept = token_for(inst, name, pw, device_info="kept")
    proc = inst.cli("revoke", "--user", name, "--session",
                    str(session_of(inst, gone)))
    assert proc.returncode == 0, proc.stderr
    assert_error(get_sessions(inst, gone), "1403")
    assert [e["device_info"] for e in sessions_data(inst, kept)] == ["kept"]


def test_revoke_all_signs_out_every_device_but_not_the_account(inst,
                                                               new_user):
    name, pw = new_user()
    other, opw = new_user()
    tokens = [token_for(inst, name, pw) for _ in range(3)]
    bystander = token_for(inst, other, opw)
    proc = inst.cli("revoke", "--user", name)
    assert proc.returncode == 0, proc.stderr
    for token in tokens:
        assert_error(get_sessions(inst, token), "1403")
    assert get_sessions(inst, bystander).status_code == 200
    assert_login_ok(login(inst, name, pw))


def test_revoke_of_another_users_session_fails(inst, new_user):
    name, _ = new_user()
    other, opw = new_user()
    theirs = token_for(inst, other, opw)
    proc = inst.cli("revoke", "--user", name, "--session",
                    str(session_of(inst, theirs)))
    assert proc.returncode != 0
    assert proc.stderr.strip()
    assert sessions_data(inst, theirs)[0]["current"] is True


# --- purge / migrate / usage -------------------------------------------------
def test_purge_deletes_expired_token_rows_and_keeps_live_ones(inst, new_user):
    name, pw = new_user()
    uid = user_id(inst, name)
    live = token_for(inst, name, pw)
    expired = token_for(inst, name, pw)
    now = int(time.time())
    inst.sql("UPDATE tokens SET expires_at = %s WHERE digest = %s",
             now - 3600, hashlib.sha256(expired.encode()).digest())
    orphan = secrets.token_bytes(32)
    inst.sql("INSERT INTO tokens (digest, kind, user_id, scope, created_ms, "
             "expires_at) VALUES (%s, 1, %s, '', %s, %s)",
             orphan, uid, (now - 7200) * 1000, now - 3600)
    proc = inst.cli("purge")
    assert proc.returncode == 0, proc.stderr
    left = {r[0] for r in inst.sql(
        "SELECT HEX(digest) FROM tokens WHERE user_id = %s", uid)}
    assert left == {hashlib.sha256(live.encode()).hexdigest().upper()}
    assert inst.sql("SELECT COUNT(*) FROM tokens WHERE expires_at < %s",
                    now - 1800) == [("0",)]
    assert get_sessions(inst, live).status_code == 200


def test_migrate_twice_succeeds_and_keeps_the_data(inst, new_user):
    name, pw = new_user()
    token = token_for(inst, name, pw)
    for _ in range(2):
        proc = inst.cli("migrate")
        assert proc.returncode == 0, proc.stderr
    assert get_sessions(inst, token).status_code == 200
    assert_login_ok(login(inst, name, pw))


@pytest.mark.parametrize("args", [["frobnicate"], ["user", "frobnicate"],
                                  ["client", "frobnicate"]])
def test_unknown_command_exits_64(inst, args):
    proc = inst.cli(*args)
    assert proc.returncode == 64
    assert proc.stderr.strip()


# --- import-legacy -----------------------------------------------------------
@pytest.fixture
def legacy_db(inst):
    """A legacy `vms` database (the old PHP schema) the oauth user may
    read, as an operator would set it up; dropped afterwards."""
    db = "vms_test_" + secrets.token_hex(4)
    inst.sql(
        "CREATE DATABASE `{db}`; "
        "CREATE TABLE `{db}`.users (id INT PRIMARY KEY, username "
        "VARCHAR(50), password VARCHAR(255), firstname VARCHAR(50), "
        "lastname VARCHAR(50), email VARCHAR(100), phone_number "
        "VARCHAR(20), access_level INT); "
        "CREATE TABLE `{db}`.auth_tokens (id INT AUTO_INCREMENT PRIMARY "
        "KEY, user_id INT, auth_key CHAR(40), device_info VARCHAR(200), "
        "expiry INT); "
        "GRANT SELECT ON `{db}`.* TO 'oauth'@'localhost'".format(db=db))
    try:
        yield db
    finally:
        inst.sql("REVOKE SELECT ON `{db}`.* FROM 'oauth'@'localhost'; "
                 "DROP DATABASE `{db}`".format(db=db))


def imported_state(inst, name):
    """Everything import-legacy wrote for one user, to compare runs."""
    uid = user_id(inst, name)
    return (
        inst.sql("SELECT id, username, password_hash, firstname, lastname, "
                 "email, phone_number, access_level FROM users "
                 "WHERE id = %s", uid),
        inst.sql("SELECT id, device_info, created_at, revoked_at "
                 "FROM sessions WHERE user_id = %s ORDER BY id", uid),
        inst.sql("SELECT HEX(digest), kind, session_id, expires_at, revoked "
                 "FROM tokens WHERE user_id = %s ORDER BY digest", uid),
    )


def test_import_legacy_brings_users_and_unexpired_tokens(inst, legacy_db):
    name = fresh_name("legacy_")
    legacy_id = 1000 + secrets.randbelow(10 ** 6)
    email = name + "@legacy.example"
    phone = "+44" + str(secrets.randbelow(10 ** 9)).zfill(9)
    live_token = secrets.token_hex(20)
    dead_token = secrets.token_hex(20)
    now = int(time.time())
    live_expiry = now + 86400
    inst.sql(
        "INSERT INTO `{db}`.users VALUES (%s, %s, %s, 'Old', 'Admin', %s, "
        "%s, 1); "
        "INSERT INTO `{db}`.auth_tokens (user_id, auth_key, device_info, "
        "expiry) VALUES (%s, %s, 'Legacy phone', %s), "
        "(%s, %s, 'Legacy laptop', %s)".format(db=legacy_db),
        legacy_id, name, LEGACY_HASH, email, phone,
        legacy_id, hashlib.sha1(live_token.encode()).hexdigest(), live_expiry,
        legacy_id, hashlib.sha1(dead_token.encode()).hexdigest(), now - 60)

    proc = inst.cli("import-legacy", "--from-db", legacy_db)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    first = imported_state(inst, name)
    proc = inst.cli("import-legacy", "--from-db", legacy_db)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert imported_state(inst, name) == first  # idempotent

    users, sessions, _ = first
    assert users[0][1:] == (name, LEGACY_HASH, "Old", "Admin", email, phone,
                            "1")
    assert [s[1] for s in sessions] == ["Legacy phone"]
    # The imported token works until its own expiry; the expired one not.
    (entry,) = sessions_data(inst, live_token)
    assert entry["device_info"] == "Legacy phone"
    assert entry["expiry"] == live_expiry
    assert entry["current"] is True
    assert_error(get_sessions(inst, dead_token), "1403")
    # The legacy admin password logs in through the legacy API.
    assert_login_ok(login(inst, name, "password"))
    assert_error(login(inst, name, "not-password"), "1142")
