"""Operations hardening (SPEC section 14): no secret in any log, logs
readable by owner and group only, every shipped Apache configuration free
of query strings, the build hardening flags on the built binary, and the
DEV-only debug texts absent from the production binary.
"""
import os
import re
import secrets
import shlex
import stat
import subprocess
import sys
import time
from urllib.parse import urlencode

import pytest
import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_legacy import LOGIN, MOUNTS, assert_login_ok  # noqa: E402
from test_node import cli_client  # noqa: E402

TIMEOUT = 30
PHONE_TOKEN = "/v4/oauth/access-token"


def log_path(inst, name):
    return os.path.join(inst.var, "log", name)


def read_log(inst, name):
    with open(log_path(inst, name), "rb") as f:
        return f.read()


def wait_for_log(inst, name, marker, count, timeout=10.0):
    """The log's bytes once `count` lines hold `marker` (Apache writes a
    line when the request ends, a moment after the client has its
    answer)."""
    deadline = time.time() + timeout
    while True:
        data = read_log(inst, name)
        if data.count(marker) >= count or time.time() > deadline:
            return data
        time.sleep(0.1)


# --- no secret in any log ----------------------------------------------------
def test_query_string_logins_leave_no_secret_in_the_logs(inst, new_user):
    name, pw = new_user()
    marker = "ops-" + secrets.token_hex(8)  # our lines' User-Agent
    headers = {"User-Agent": marker}
    # Dialect L: username and password in the query string of a POST, on
    # every mount (FastCGI, the prefix, plain CGI), right and wrong.
    wrong = "wrong-" + secrets.token_hex(8)
    for mount in MOUNTS:
        r = requests.post(inst.url + mount + LOGIN, timeout=TIMEOUT,
                          headers=headers,
                          params={"username": name, "password": pw,
                                  "device-info": "ops"})
        assert_login_ok(r)
        r = requests.post(inst.url + mount + LOGIN, timeout=TIMEOUT,
                          headers=headers,
                          params={"username": name, "password": wrong})
        assert r.status_code == 200 and '"success": false' in r.text
    # Dialect P: the client secret and the password in the query string.
    cid, secret, _ = cli_client(inst, ["password"],
                                scopes="account-owner", name="Ops App")
    query = urlencode({"grant_type": "password", "client_id": cid,
                       "client_secret": secret, "username": name,
                       "password": pw, "scope": "account-owner"})
    r = requests.post(inst.url + PHONE_TOKEN + "?" + query, timeout=TIMEOUT,
                      headers=headers)
    assert r.status_code == 200, r.text
    assert "access_token" in r.json()

    access = wait_for_log(inst, "access.log", marker.encode(),
                          2 * len(MOUNTS) + 1)
    ours = [line for line in access.splitlines() if marker.encode() in line]
    # Every request above was logged, by its path alone.
    assert len(ours) == 2 * len(MOUNTS) + 1, ours
    assert sum(b"POST %s HTTP/1.1" % PHONE_TOKEN.encode() in line
               for line in ours) == 1, ours
    for line in ours:
        assert b"?" not in line, line
    errors = read_log(inst, "error.log")
    for log in (access, errors):
        for value in (pw, wrong, secret, query, "password=",
                      "client_secret="):
            assert value.encode() not in log


def test_log_files_are_readable_by_owner_and_group_only(inst):
    for name in ("access.log", "error.log"):
        mode = stat.S_IMODE(os.stat(log_path(inst, name)).st_mode)
        # 0640 or stricter: no write for the group, nothing for others.
        assert mode & 0o137 == 0, "%s is %04o" % (name, mode)


# --- the shipped Apache configurations ---------------------------------------
# A format item: %, modifiers (<, >, status lists, !), an optional {arg},
# a letter. %r is the request line and %q the query string, both with the
# secrets; the Referer may hold another page's query string.
FORMAT_ITEM = re.compile(r"%[<>!,0-9]*(?:\{([^}]*)\})?([a-zA-Z])")


def unsafe_items(fmt):
    bad = []
    for arg, letter in FORMAT_ITEM.findall(fmt):
        if letter in "rq" or (letter == "i" and arg.lower() == "referer"):
            bad.append("%" + ("{%s}" % arg if arg else "") + letter)
    return bad


def directives(path):
    """(line number, directive, arguments) of a configuration file, as
    Apache reads it: comment lines skipped, @MARK@ prefixes of the
    template dropped, continuation lines joined."""
    out, pending, start = [], "", 0
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = re.sub(r"^@[A-Z_]+@", "", line.rstrip("\n"))
            if not pending:
                start = n
            if line.endswith("\\"):
                pending += line[:-1]
                continue
            line, pending = pending + line, ""
            text = line.strip()
            if not text or text.startswith("#") or text.startswith("<"):
                continue
            words = shlex.split(text, posix=True)
            out.append((start, words[0].lower(), words[1:]))
    return out


def shipped_configurations(inst):
    conf = os.path.join(inst.root, "apache-conf")
    files = sorted(os.path.join(conf, f) for f in os.listdir(conf)
                   if f.endswith(".conf") or f.endswith(".conf.in"))
    generated = os.path.join(inst.var, "apache.conf")
    if os.path.exists(generated):
        files.append(generated)
    return files


def test_shipped_apache_configurations_never_log_a_query_string(inst):
    files = shipped_configurations(inst)
    names = {os.path.basename(f) for f in files}
    assert {"debian-oauth-fcgi.conf", "xampp-oauth-fcgi.conf",
            "proxy-fcgi.conf", "local.conf.in"} <= names
    problems = []
    for path in files:
        found = directives(path)
        where = os.path.basename(path)
        nicknames, unnamed = set(), False
        for n, d, args in found:
            if d == "logformat":
                for item in unsafe_items(args[0]):
                    problems.append("%s:%d LogFormat logs %s" % (
                        where, n, item))
                if len(args) > 1:
                    nicknames.add(args[1])
                else:
                    unnamed = True
            elif d == "errorlogformat":
                for item in unsafe_items(args[-1]):
                    problems.append("%s:%d ErrorLogFormat logs %s" % (
                        where, n, item))
        # Every file says how it logs: a nickname of someone else's
        # (`combined`, `common` of apache2.conf or httpd.conf, with %r)
        # is used only when this file redefines it.
        if not nicknames and not unnamed:
            problems.append("%s defines no LogFormat" % where)
        for n, d, args in found:
            if d == "customlog":
                fmt = args[1] if len(args) > 1 else ""
                if "%" in fmt:
                    problems += ["%s:%d CustomLog logs %s" % (where, n, i)
                                 for i in unsafe_items(fmt)]
                elif fmt not in nicknames:
                    problems.append("%s:%d CustomLog uses %r, not defined "
                                    "here" % (where, n, fmt))
            elif d == "transferlog" and not unnamed:
                problems.append("%s:%d TransferLog without an unnamed "
                                "LogFormat here" % (where, n))
        # Apache's default error format appends ", referer: <URL>".
        if any(d == "errorlog" for _, d, _ in found) and not any(
                d == "errorlogformat" for _, d, _ in found):
            problems.append("%s: ErrorLog with the default format "
                            "(it logs the Referer)" % where)
    assert problems == []


# --- the build ---------------------------------------------------------------
def readelf(*args):
    proc = subprocess.run(["readelf", "-W"] + list(args),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_binary_is_built_hardened(inst):
    """-fstack-protector-strong -D_FORTIFY_SOURCE=2, PIE, full RELRO and
    BIND_NOW (SPEC section 14)."""
    header = readelf("-h", inst.binary)
    assert re.search(r"Type:\s+DYN\b", header), header  # PIE
    assert "GNU_RELRO" in readelf("-l", inst.binary)
    dynamic = readelf("-d", inst.binary)
    assert (re.search(r"\(FLAGS\)\s+.*\bBIND_NOW\b", dynamic) or
            re.search(r"\(FLAGS_1\)\s+Flags:.*\bNOW\b", dynamic)), dynamic
    if inst.sanitized:
        # ASan replaces the stack protector and _FORTIFY_SOURCE with its
        # own checks; the Makefile leaves them out of that build.
        return
    syms = set(re.findall(r"\b(__\w+_chk(?:_fail)?)\b",
                          readelf("--dyn-syms", inst.binary)))
    assert "__stack_chk_fail" in syms, sorted(syms)
    # Fortified calls: __snprintf_chk, __memcpy_chk, ...
    assert syms - {"__stack_chk_fail"}, sorted(syms)


DEV_TEXTS = [b"Incorrect password.", b"Username %s does not exist.",
             b"does not exist.\x00", b"Error message: ", b"Could not %s data",
             b"Could not retrieve data from database",
             b"Could not insert data into database"]


def test_production_binary_has_no_dev_debug_texts(inst):
    if inst.dev:
        pytest.skip("the DEV build keeps them (test_legacy's dev_only "
                    "tests)")
    with open(inst.binary, "rb") as f:
        data = f.read()
    assert [t for t in DEV_TEXTS if t in data] == []
