"""The purge that follows requests (config purge_every), and what never
sets it off: a health check (SPEC 12a). Run as plain CGI with
OAUTH_PURGE_EVERY=1, so every request that may purge does."""
import secrets
import time

from test_dialect_switch import run_cgi

ALWAYS = {"OAUTH_PURGE_EVERY": "1"}


def expired_row(inst):
    digest = secrets.token_bytes(32)
    now = int(time.time())
    inst.sql("INSERT INTO tokens (digest, kind, scope, created_ms, "
             "expires_at) VALUES (%s, 1, '', %s, %s)",
             digest, (now - 7200) * 1000, now - 3600)
    return digest


def present(inst, digest):
    return inst.sql("SELECT COUNT(*) FROM tokens WHERE digest = %s",
                    digest) == [("1",)]


def test_health_checks_never_purge(inst):
    digest = expired_row(inst)
    for path in ("/healthz", "/readyz"):
        for _ in range(3):
            r = run_cgi(inst, "GET", path, env=ALWAYS)
            assert r.status_code == 200, r
    assert present(inst, digest)


def test_other_requests_purge_expired_rows(inst):
    digest = expired_row(inst)
    # One purge deletes at most 100 rows; other tests leave expired ones.
    for _ in range(50):
        r = run_cgi(inst, "GET", "/.well-known/oauth-authorization-server",
                    env=ALWAYS)
        assert r.status_code == 200, r
        if not present(inst, digest):
            break
    assert not present(inst, digest)


def test_purge_every_zero_never_purges(inst):
    digest = expired_row(inst)
    for _ in range(3):
        r = run_cgi(inst, "GET", "/.well-known/oauth-authorization-server",
                    env={"OAUTH_PURGE_EVERY": "0"})
        assert r.status_code == 200, r
    assert present(inst, digest)
    inst.sql("DELETE FROM tokens WHERE digest = %s", digest)


def test_cli_purge_deletes_every_session_without_tokens(inst, new_user):
    # The request-driven purge looks at a window of session ids at a time
    # (never a scan of all live sessions); `oauth.fcgi purge` sweeps them
    # all.
    name, _ = new_user()
    uid = inst.sql("SELECT id FROM users WHERE username = %s", name)[0][0]
    old = int(time.time()) - 7200
    ids = []
    for _ in range(3):
        inst.sql("INSERT INTO sessions (user_id, device_info, created_at, "
                 "last_access) VALUES (%s, 'dead', %s, %s)", uid, old, old)
        ids.append(inst.sql("SELECT MAX(id) FROM sessions")[0][0])
    inst.sql("INSERT INTO sessions (user_id, device_info, created_at, "
             "last_access) VALUES (%s, 'live', %s, %s)", uid, old, old)
    live = inst.sql("SELECT MAX(id) FROM sessions")[0][0]
    inst.sql("INSERT INTO tokens (digest, kind, session_id, user_id, scope, "
             "created_ms, expires_at) VALUES (%s, 1, %s, %s, '', %s, %s)",
             secrets.token_bytes(32), live, uid, old * 1000,
             int(time.time()) + 3600)
    proc = inst.cli("purge")
    assert proc.returncode == 0, proc.stderr
    left = {r[0] for r in inst.sql(
        "SELECT id FROM sessions WHERE user_id = %s", uid)}
    assert left == {live}
