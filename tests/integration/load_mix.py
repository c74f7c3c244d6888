#!/usr/bin/python3
"""A bounded mix of requests for the valgrind stage of tests/run.sh.

Not a test file (pytest does not collect it): it drives an instance whose
FastCGI processes run under valgrind through every kind of request the
binary handles, good and bad, so that valgrind sees every path (parsers,
error shapes, hashing, database writes, the CGI face). Afterwards run.sh
stops Apache gracefully and reads valgrind's logs.

Environment (as for the pytest suite): OAUTH_TEST_URL, OAUTH_TEST_CONFIG,
OAUTH_TEST_BINARY; optional LOAD_ROUNDS (default 8).

Prints a table of (request kind, HTTP status) counts. Exit 0 when every
request got an answer below 500 and logins worked; 1 otherwise (the stage
then fails: valgrind saw too little to prove anything).
"""

import collections
import os
import secrets
import subprocess
import sys
import time

import requests
from requests.adapters import HTTPAdapter

URL = os.environ.get("OAUTH_TEST_URL", "http://127.0.0.1:8080").rstrip("/")
CONFIG = os.environ.get("OAUTH_TEST_CONFIG", "")
BINARY = os.environ.get("OAUTH_TEST_BINARY", "")
ROUNDS = int(os.environ.get("LOAD_ROUNDS", "8"))
TIMEOUT = 180  # a request under valgrind, hashing included

counts = collections.Counter()
problems = []


class _Source(HTTPAdapter):
    def __init__(self, source):
        self._source = source
        super().__init__()

    def init_poolmanager(self, connections, maxsize, block=False, **kw):
        kw["source_address"] = (self._source, 0)
        super().init_poolmanager(connections, maxsize, block=block, **kw)


def session(ip):
    s = requests.Session()
    s.trust_env = False
    s.mount("http://", _Source(ip))
    return s


def hit(kind, s, method, path, expect_5xx=False, **kw):
    kw.setdefault("timeout", TIMEOUT)
    kw.setdefault("allow_redirects", False)
    try:
        r = s.request(method, URL + path, **kw)
    except requests.RequestException as e:
        counts[(kind, "error")] += 1
        problems.append("%s %s %s: %s" % (kind, method, path, e))
        return None
    counts[(kind, r.status_code)] += 1
    if r.status_code >= 500 and not expect_5xx:
        problems.append("%s %s %s: HTTP %d %s" % (
            kind, method, path, r.status_code, r.text[:200]))
    return r


def token_of(r):
    try:
        return r.json()["data"]["access_token"]
    except Exception:
        return None


def make_user():
    name = "vg_" + secrets.token_hex(5)
    password = "vg-" + secrets.token_urlsafe(10)
    env = dict(os.environ, OAUTH_CONFIG=CONFIG)
    proc = subprocess.run([BINARY, "user", "add", name, "--email",
                           name + "@example.com", "--first", "Val",
                           "--last", "Grind"], input=password + "\n",
                          capture_output=True, text=True, env=env,
                          timeout=120)
    if proc.returncode != 0:
        sys.exit("load_mix: user add failed (%d): %s%s" % (
            proc.returncode, proc.stdout, proc.stderr))
    return name, password


def legacy_round(good, n, user, password):
    """Logins right and wrong, sessions, revocation (SPEC L)."""
    login = "/v1/oauth/"
    r1 = hit("login ok", good, "POST", login, data={
        "username": user, "password": password, "device-info": "vg-a"})
    r2 = hit("login ok", good, "POST", login, data={
        "username": user, "password": password},
        headers={"User-Agent": "vg-b \xff\xfe"})  # invalid UTF-8 UA
    t1, t2 = (token_of(r1) if r1 is not None else None,
              token_of(r2) if r2 is not None else None)
    if t1 is None or t2 is None:
        problems.append("round %d: a correct login gave no token" % n)
        return
    auth1 = {"Authorization": "Token " + t1}
    r = hit("sessions", good, "GET", "/v1/oauth/sessions/", headers=auth1)
    hit("sessions", good, "GET", "/v1/oauth/sessions",
        headers={"Authorization": "Bearer " + t2})
    other = None
    try:
        for row in r.json()["data"]:
            if not row["current"]:
                other = row["session_id"]
    except Exception:
        pass
    if other is not None:
        hit("revoke other", good, "POST", "/v1/oauth/revoke/",
            headers=auth1, data={"session_id": str(other)})
    hit("revoke other", good, "POST", "/v1/oauth/revoke/", headers=auth1,
        data={"session_id": "999999999"})
    hit("revoke self", good, "POST", "/v1/oauth/revoke/",
        headers={"authorization": "token " + t1})
    hit("revoked token", good, "GET", "/v1/oauth/sessions/", headers=auth1)


def bad_requests(s, n):
    """Every kind of refused request; cheap, no hashing."""
    login = "/v1/oauth/"
    hit("missing", s, "POST", login, data={"username": "x"})
    hit("missing", s, "POST", login, data={})
    hit("missing", s, "GET", login + "?username=a&password=b")
    hit("json", s, "POST", login, json={"username": "a", "password": "b"})
    hit("encoding", s, "POST", login, data=b"username=%zz&password=x",
        headers={"Content-Type": "application/x-www-form-urlencoded"})
    hit("encoding", s, "POST", login, data=b"username=a%00b&password=x",
        headers={"Content-Type": "application/x-www-form-urlencoded"})
    hit("encoding", s, "POST", login, data=b"username=%ff%fe&password=x",
        headers={"Content-Type": "application/x-www-form-urlencoded"})
    hit("encoding", s, "POST", login + "?username=%e2%82", data=b"",
        headers={"Content-Type": "application/x-www-form-urlencoded"})
    hit("multipart bad", s, "POST", login,
        data=b"--x\r\nContent-Disposition: form-data; name=\"username\"\r\n",
        headers={"Content-Type": "multipart/form-data; boundary=x"})
    hit("multipart bad", s, "POST", login, data=b"junk",
        headers={"Content-Type": "multipart/form-data"})
    hit("device-info", s, "POST", login, data={
        "username": "a", "password": "b", "device-info": "d" * 201})
    hit("too large", s, "POST", login, data=b"username=" + b"a" * 70000,
        headers={"Content-Type": "application/x-www-form-urlencoded"})
    if n % 4 == 0:  # Apache's 413 and the ErrorDocument
        hit("too large", s, "POST", login,
            data=b"a" * (1024 * 1024 + 10),
            headers={"Content-Type": "application/x-www-form-urlencoded"})
    hit("no token", s, "GET", "/v1/oauth/sessions/")
    hit("bad token", s, "GET", "/v1/oauth/sessions/",
        headers={"Authorization": "Token " + "f" * 40})
    hit("bad token", s, "POST", "/v1/oauth/revoke/",
        headers={"Authorization": "Token nothex"})
    hit("unknown", s, "GET", "/v1/nothing/here?x=1")
    hit("unknown", s, "POST", "/v1", data={"a": "b"})
    hit("unknown", s, "GET", "/no/such/path")
    hit("unknown", s, "GET", "/__error/500", expect_5xx=True)
    # The other dialects' endpoints with bad or missing credentials: their
    # parsers and error shapes (answers may be 4xx or 404 while a dialect
    # is still missing).
    hit("other", s, "POST", "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": "nope",
              "client_secret": "nope"})
    hit("other", s, "POST", "/oauth/token", auth=("nope", "nope"),
        data={"grant_type": "password", "username": "a", "password": "b"})
    hit("other", s, "GET", "/oauth/authorize?response_type=code&client_id=x")
    hit("other", s, "POST", "/oauth/introspect", data={"token": "x"})
    hit("other", s, "GET", "/.well-known/oauth-authorization-server")
    hit("other", s, "POST", "/api/oauth/access-token/v1/",
        json={"grant_type": "password", "phone_number": "+1555000",
              "password": "x"} if n % 2 else {"grant_type": "password"})
    hit("other", s, "GET", "/api/oauth/5/verify-token/v1/",
        headers={"Authorization": "Bearer " + "a" * 40})
    hit("other", s, "POST", "/token", data={"grant_type": "refresh_token",
                                            "refresh_token": "x"})
    hit("other", s, "GET", "/api", headers={"Authorization": "Bearer x"})
    hit("other", s, "POST", "/v4/oauth/access-token?grant_type=password")
    hit("other", s, "GET", "/v4/oauth/access-token",
        headers={"Authorization": "Bearer " + "b" * 40})


def main():
    if not CONFIG or not BINARY:
        sys.exit("load_mix: set OAUTH_TEST_CONFIG and OAUTH_TEST_BINARY")
    start = time.time()
    user, password = make_user()
    good = session("127.0.1.1")
    plain = session("127.0.0.1")

    for _ in range(3):
        hit("health", plain, "GET", "/healthz")
        hit("health", plain, "GET", "/readyz")
    for n in range(ROUNDS):
        legacy_round(good, n, user, password)
        # Wrong logins from rotating addresses and names, so the throttle
        # is exercised without locking out the good client.
        bad = session("127.0.2.%d" % (n % 200 + 1))
        hit("login wrong", bad, "POST", "/v1/oauth/", data={
            "username": user, "password": "wrong"})
        hit("login wrong", bad, "POST", "/v1/oauth/", data={
            "username": "nobody_%d" % n, "password": "x"})
        hit("login multipart", good, "POST", "/v1/oauth/",
            files={"username": (None, user), "password": (None, password),
                   "device-info": (None, "multipart")})
        hit("login query", good, "POST", "/v1/oauth/?username=%s&password=%s"
            % (user, "wrong-one"), data=b"",
            headers={"Content-Type": "application/x-www-form-urlencoded"})
        bad_requests(plain, n)
        hit("health", plain, "GET", "/healthz")
    # Prefix mount (FastCGI) and the plain-CGI face (a valgrind process of
    # its own per request).
    hit("prefix", plain, "POST", "/visitor-management/v1/oauth/",
        data={"username": user, "password": password})
    hit("prefix", plain, "GET", "/visitor-management/v1/oauth/sessions/")
    hit("cgi", plain, "GET", "/cgi-mode/healthz")
    hit("cgi", plain, "POST", "/cgi-mode/v1/oauth/",
        data={"username": user, "password": password})
    hit("cgi", plain, "POST", "/cgi-mode/v1/oauth/",
        data=b"username=%zz", headers={
            "Content-Type": "application/x-www-form-urlencoded"})
    hit("cgi", plain, "GET", "/cgi-mode/v1/oauth/sessions/",
        headers={"Authorization": "Token " + "0" * 40})

    total = sum(counts.values())
    print("load_mix: %d requests in %.0f s" % (total, time.time() - start))
    for (kind, status), n in sorted(counts.items(), key=str):
        print("  %-16s %-6s %4d" % (kind, status, n))
    if not any(k == "login ok" and s == 200 for (k, s) in counts):
        problems.append("no successful login")
    for p in problems:
        print("load_mix: PROBLEM: " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
