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
