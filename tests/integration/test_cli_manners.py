"""CLI manners (SPEC section 14): every command and sub-command takes
--help (usage on stdout, exit 0, nothing changed), `oauth.fcgi --version`,
exit 64 with one line naming an unknown option or a missing argument,
progress on a terminal and a summary line for `purge` and `import-legacy`,
and an `import-legacy` linear in users + tokens.
"""
import hashlib
import os
import pty
import re
import secrets
import select
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_cli import LEGACY_HASH, legacy_db, user_exists  # noqa: E402,F401
from test_legacy import sessions_data  # noqa: E402

# Every command and sub-command, with arguments that would make it act.
COMMANDS = [
    ["routes"],
    ["migrate"],
    ["user", "add", "NAME"],
    ["user", "passwd", "NAME"],
    ["user", "disable", "NAME"],
    ["user", "enable", "NAME"],
    ["user", "list"],
    ["user", "del", "NAME"],
    ["client", "add", "CLIENT", "--grant", "client_credentials"],
    ["client", "list"],
    ["client", "del", "CLIENT"],
    ["sessions", "NAME"],
    ["revoke", "--user", "NAME"],
    ["purge"],
    ["import-legacy", "--from-db", "vms_nothing_here"],
]


def words(cmd):
    """The command's own words: ["user", "add"], ["purge"]."""
    return [w for w in cmd[:2] if not w.isupper() and not w.startswith("-")]


def state(inst):
    """Everything a command could change, as checksums."""
    return inst.sql("CHECKSUM TABLE users, clients, sessions, tokens, "
                    "consents")


@pytest.fixture(scope="module")
def victim(inst):
    """A user and a client that the commands under test would act on."""
    name = "cm_" + secrets.token_hex(6)
    proc = inst.cli("user", "add", name, input="pw-" + name + "\n")
    assert proc.returncode == 0, proc.stderr
    cid = "cm_" + secrets.token_hex(6)
    proc = inst.cli("client", "add", cid, "--grant", "client_credentials")
    assert proc.returncode == 0, proc.stderr
    return name, cid


def fill(cmd, name, cid):
    return [name if w == "NAME" else cid if w == "CLIENT" else w
            for w in cmd]


@pytest.fixture
def no_user_named_help(inst):
    """The old CLI created a user named `--help`: never leave one behind
    on an instance of the old code (the test fails there all the same)."""
    existed = user_exists(inst, "--help")
    yield
    if not existed:
        inst.sql("DELETE FROM users WHERE username = %s", b"--help")


# --- --help ------------------------------------------------------------------
@pytest.mark.parametrize("where", ["last", "first", "-h", "help"])
@pytest.mark.parametrize("cmd", COMMANDS, ids=lambda c: " ".join(words(c)))
def test_help_prints_usage_and_changes_nothing(inst, victim, cmd, where,
                                               no_user_named_help):
    name, cid = victim
    own = words(cmd)
    args = fill(cmd, name, cid)
    rest = args[len(own):]
    if where == "last":
        line = args + ["--help"]
    elif where == "first":
        line = own + ["--help"] + rest
    elif where == "-h":
        line = args + ["-h"]
    else:
        line = ["help"] + own
    before = state(inst)
    # A password on stdin, so that a command that ran would have one.
    proc = inst.cli(*line, input="pw-help-" + secrets.token_hex(4) + "\n")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("usage: oauth.fcgi %s" % " ".join(own)), \
        proc.stdout
    assert proc.stderr == ""
    assert state(inst) == before
    assert not user_exists(inst, "--help")


def test_user_add_help_creates_no_user(inst, no_user_named_help):
    proc = inst.cli("user", "add", "--help", input="pw-help\n")
    assert proc.returncode == 0
    assert "usage: oauth.fcgi user add" in proc.stdout
    assert not user_exists(inst, "--help")


@pytest.mark.parametrize("line", [["--help"], ["help"], ["-h"]])
def test_top_level_help_lists_every_command(inst, line):
    proc = inst.cli(*line, env={"OAUTH_CONFIG": "/nonexistent/oauth.conf"})
    assert proc.returncode == 0
    assert proc.stderr == ""
    for cmd in COMMANDS:
        assert " ".join(words(cmd)) in proc.stdout


@pytest.mark.parametrize("group,subs", [
    ("user", ["add", "passwd", "del", "disable", "enable", "list"]),
    ("client", ["add", "del", "list"]),
])
def test_group_help_lists_its_sub_commands(inst, group, subs):
    for line in ([group, "--help"], ["help", group]):
        proc = inst.cli(*line)
        assert proc.returncode == 0, proc.stderr
        for sub in subs:
            assert "oauth.fcgi %s %s" % (group, sub) in proc.stdout


def test_help_needs_no_configuration(inst):
    proc = inst.cli("user", "add", "x", "--help",
                    env={"OAUTH_CONFIG": "/nonexistent/oauth.conf"})
    assert proc.returncode == 0
    assert proc.stdout.startswith("usage: oauth.fcgi user add")


# --- --version ---------------------------------------------------------------
def test_version_prints_one_line(inst):
    proc = inst.cli("--version",
                    env={"OAUTH_CONFIG": "/nonexistent/oauth.conf"})
    assert proc.returncode == 0, proc.stderr
    build = {"oauth.fcgi": "prod", "oauth-dev.fcgi": "dev",
             "oauth-san.fcgi": "san", "oauth-dev-san.fcgi": "dev-san"}.get(
                 os.path.basename(inst.binary), r"[a-z-]+")
    assert re.fullmatch(r"oauth-fcgi \d+\.\d+\.\d+ \(%s build, schema \d+\)"
                        "\n" % build, proc.stdout), proc.stdout
    assert proc.stderr == ""


# --- usage errors: 64, one line naming the problem ---------------------------
def assert_usage_error(proc, *named):
    assert proc.returncode == 64, (proc.returncode, proc.stdout,
                                   proc.stderr)
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    for n in named:
        assert n in lines[0], lines[0]
    assert proc.stdout == ""


@pytest.mark.parametrize("cmd", COMMANDS, ids=lambda c: " ".join(words(c)))
def test_unknown_option_exits_64_naming_it(inst, victim, cmd):
    name, cid = victim
    before = state(inst)
    proc = inst.cli(*fill(cmd, name, cid), "--frobnicate",
                    input="pw-x\n")
    assert_usage_error(proc, "--frobnicate")
    assert state(inst) == before


def test_unknown_top_level_option_exits_64_naming_it(inst):
    assert_usage_error(inst.cli("--frobnicate"), "--frobnicate")


def test_an_option_is_not_taken_for_a_username(inst):
    """`user add --phone` used to create a user named --phone."""
    proc = inst.cli("user", "add", "--phone", input="pw-x\n")
    assert_usage_error(proc, "--phone")
    assert not user_exists(inst, "--phone")


@pytest.mark.parametrize("line,named", [
    (["user", "add"], "<username>"),
    (["user", "passwd"], "<username>"),
    (["user", "del"], "<username>"),
    (["user", "disable"], "<username>"),
    (["user", "enable"], "<username>"),
    (["client", "add"], "<client_id>"),
    (["client", "del"], "<client_id>"),
    (["sessions"], "<username>"),
    (["revoke"], "--user"),
    (["revoke", "--session", "1"], "--user"),
    (["import-legacy"], "--from-db"),
    (["client", "add", "cm_missing_grant"], "--grant"),
    (["user", "add", "cm_missing_value", "--phone"], "--phone"),
    (["revoke", "--user"], "--user"),
])
def test_missing_argument_exits_64_naming_it(inst, line, named):
    before = state(inst)
    proc = inst.cli(*line, input="pw-x\n")
    assert_usage_error(proc, "missing", named)
    assert state(inst) == before


@pytest.mark.parametrize("line", [["user", "list", "extra"], ["purge", "x"],
                                  ["user", "del", "a", "b"]])
def test_an_argument_too_many_exits_64_naming_it(inst, line):
    assert_usage_error(inst.cli(*line), "'%s'" % line[-1])


def test_options_may_come_before_the_username(inst):
    name = "cm_" + secrets.token_hex(6)
    phone = "+1555" + str(secrets.randbelow(10 ** 7)).zfill(7)
    proc = inst.cli("user", "add", "--phone", phone, name,
                    input="pw-" + secrets.token_hex(6) + "\n")
    assert proc.returncode == 0, proc.stderr
    rows = inst.sql("SELECT phone_number FROM users WHERE username = %s",
                    name.encode())
    assert rows == [(phone,)]


# --- progress and summary lines ----------------------------------------------
def run_on_a_terminal(inst, *args, timeout=120):
    """Run the CLI with stderr on a pseudo-terminal; stdout is a pipe.
    Returns (status, stdout, what the terminal showed)."""
    master, slave = pty.openpty()
    env = dict(os.environ, OAUTH_CONFIG=inst.config)
    proc = subprocess.Popen([inst.binary] + list(args), env=env,
                            stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    shown = b""
    deadline = time.time() + timeout
    while time.time() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the other side is closed
                break
            if not chunk:
                break
            shown += chunk
        elif proc.poll() is not None:
            break
    os.close(master)
    out, _ = proc.communicate(timeout=timeout)
    return proc.returncode, out.decode(), shown.decode(errors="replace")


SUMMARY_PURGE = re.compile(r"purged \d+ expired rows in \d+\.\d s\n")
PROGRESS = r"\r{what}: {phase} \d+(/\d+)?, \d+/s, \d+\.\d s elapsed"


def test_purge_prints_a_summary_line(inst):
    proc = inst.cli("purge")
    assert proc.returncode == 0, proc.stderr
    assert SUMMARY_PURGE.fullmatch(proc.stdout), proc.stdout
    assert proc.stderr == ""  # no progress into a pipe


def test_purge_shows_progress_on_a_terminal(inst):
    rc, out, shown = run_on_a_terminal(inst, "purge")
    assert rc == 0, shown
    assert SUMMARY_PURGE.fullmatch(out), out
    assert re.search(PROGRESS.format(what="purge", phase="rows"), shown), \
        repr(shown)


SUMMARY_IMPORT = re.compile(
    r"imported (\d+) users \((\d+) already present, (\d+) skipped\), "
    r"(\d+) tokens \((\d+) skipped\) in \d+\.\d s\n")


def add_legacy_rows(inst, db, users, tokens):
    """users: (id, username, hash); tokens: (user_id, auth_key, device).
    In chunks, each one statement."""
    for i in range(0, len(users), 5000):
        chunk = users[i:i + 5000]
        inst.sql("INSERT INTO `%s`.users VALUES %s" % (db, ", ".join(
            "(%d, '%s', '%s', 'F', 'L', '', '', 0)" % u for u in chunk)))
    expiry = int(time.time()) + 86400
    for i in range(0, len(tokens), 10000):
        chunk = tokens[i:i + 10000]
        inst.sql("INSERT INTO `%s`.auth_tokens (user_id, auth_key, "
                 "device_info, expiry) VALUES %s" % (db, ", ".join(
                     "(%d, '%s', '%s', %d)" % (t + (expiry,))
                     for t in chunk)))


def test_import_legacy_shows_progress_on_a_terminal(inst, legacy_db):
    name = "cm_" + secrets.token_hex(6)
    token = secrets.token_hex(20)
    add_legacy_rows(inst, legacy_db, [(77, name, LEGACY_HASH)],
                    [(77, hashlib.sha1(token.encode()).hexdigest(), "tty")])
    rc, out, shown = run_on_a_terminal(inst, "import-legacy", "--from-db",
                                       legacy_db)
    assert rc == 0, shown
    m = SUMMARY_IMPORT.fullmatch(out)
    assert m and m.groups() == ("1", "0", "0", "1", "0"), out
    for phase in ("reading rows", "users", "tokens"):
        assert re.search(PROGRESS.format(what="import-legacy", phase=phase),
                         shown), repr(shown)


def test_import_legacy_is_linear_in_users_and_tokens(inst, legacy_db):
    """30,000 legacy users and 60,000 tokens. Most are rows the import
    skips without writing anything (users without a password hash, and
    their tokens), so what is timed is reading and matching: each token
    looked up among all users (the old nested loop, 1.8e9 comparisons)
    takes tens of seconds; a lookup table, about one."""
    tag = secrets.token_hex(4)
    valid = [(i, "cm_%s_%d" % (tag, i), LEGACY_HASH) for i in range(1, 51)]
    broken = [(i, "cm_%s_%d" % (tag, i), "") for i in range(51, 30001)]
    good_tokens, tokens = [], []
    for uid, uname, _ in valid:
        for k in range(2):
            t = secrets.token_hex(20)
            good_tokens.append((t, uname, "dev-%s-%d" % (uname, k)))
            tokens.append((uid, hashlib.sha1(t.encode()).hexdigest(),
                           "dev-%s-%d" % (uname, k)))
    # The rest belong to the users that are skipped (uid 51..30000).
    for j in range(60000 - len(tokens)):
        tokens.append((51 + j % 29950, "%040x" % j, "x"))
    add_legacy_rows(inst, legacy_db, valid + broken, tokens)

    started = time.monotonic()
    proc = inst.cli("import-legacy", "--from-db", legacy_db, timeout=180)
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stdout + proc.stderr[-2000:]
    assert elapsed < 8, "import-legacy took %.1f s" % elapsed
    m = SUMMARY_IMPORT.fullmatch(proc.stdout)
    assert m and m.groups() == ("50", "0", "29950", "100", "59900"), \
        proc.stdout
    # Each token went to its own user.
    for token, uname, device in good_tokens[::17]:
        entries = sessions_data(inst, token)
        current = [e for e in entries if e["current"]]
        assert [e["device_info"] for e in current] == [device]
        assert sorted(e["device_info"] for e in entries) == [
            "dev-%s-0" % uname, "dev-%s-1" % uname]
