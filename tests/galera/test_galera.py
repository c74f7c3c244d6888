"""The schema and the db layer, unchanged, on a 3-node MariaDB Galera
cluster (SPEC section 2, "Scale-out").

Every request is the real binary (plain CGI, or the admin CLI) configured
for one node; "through node N" means OAUTH_CONFIG=var/galera/nN/oauth.conf,
whose db_sync_wait = 1 asks for causal reads. What is checked:

* every table has a primary key (Galera replicates rows by key);
* the binary sets wsrep_sync_wait on its connections;
* a user made through node 1 logs in through node 2, and that token
  verifies through node 3 at once (causal reads);
* ids from different nodes are not consecutive and nothing minds;
* a client_credentials token issued through node 1 introspects on node 2;
* a refresh token and an authorization code used at the same moment
  through two nodes: exactly one success, the other invalid_grant
  (certification conflicts, 1213, are rerun by db_tx);
* the login throttle counts failures made through different nodes
  together;
* a killed node: logins and verifications go on through the other two,
  and the node rejoins and serves what was issued while it was down.

The kill test changes the cluster and restores it; it runs last but one,
and the last test compares the tables on the three nodes.
"""
import secrets
import threading
import time
from urllib.parse import parse_qs, quote, urlsplit

from conftest import CgiBrowser, galera

REDIRECT = "http://127.0.0.1/galera-cb"
ROUNDS = 12  # concurrent rounds per race test
TABLES = ("consents", "clients", "login_failures", "schema_migrations",
          "sessions", "tokens", "users")


def random_ip():
    return "127.%d.%d.%d" % (secrets.randbelow(200) + 20,
                             secrets.randbelow(250) + 1,
                             secrets.randbelow(250) + 1)


def token_form(node, client, secret, **fields):
    data = {"client_id": client, "client_secret": secret}
    data.update(fields)
    return node.post_form("/oauth/token", data)


def introspect(node, client, secret, token):
    r = node.post_form("/oauth/introspect", {
        "client_id": client, "client_secret": secret, "token": token})
    assert r.status_code == 200, r
    return r.json()


def race(calls):
    """Run the callables at the same moment, one thread each; returns their
    results in order (an exception is re-raised)."""
    barrier = threading.Barrier(len(calls))
    out = [None] * len(calls)

    def run(i, fn):
        try:
            barrier.wait(timeout=30)
            out[i] = fn()
        except BaseException as e:  # noqa: BLE001 - handed to the caller
            out[i] = e

    threads = [threading.Thread(target=run, args=(i, fn))
               for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    for r in out:
        if isinstance(r, BaseException):
            raise r
    return out


def conflicts(responses):
    """How many transactions db_tx reran after a conflict (its log line)."""
    return sum(r.stderr.count("transaction conflict") for r in responses)


# --- the cluster and the schema -----------------------------------------------
def test_three_nodes_are_synced(cluster):
    for node in cluster.all():
        assert node.status("wsrep_cluster_size") == "3", node
        assert node.status("wsrep_local_state_comment") == "Synced", node
        assert node.status("wsrep_ready") == "ON", node


def test_every_table_has_a_primary_key(cluster):
    """Galera replicates row changes by primary key; a table without one
    cannot be written safely. Asked on node 2: the schema was applied
    through node 1 (DDL replicates as TOI)."""
    node = cluster[2]
    rows = node.sql(
        "SELECT t.TABLE_NAME, t.ENGINE, COUNT(k.CONSTRAINT_NAME) "
        "FROM information_schema.TABLES t "
        "LEFT JOIN information_schema.TABLE_CONSTRAINTS k "
        "ON k.TABLE_SCHEMA = t.TABLE_SCHEMA AND k.TABLE_NAME = t.TABLE_NAME "
        "AND k.CONSTRAINT_TYPE = 'PRIMARY KEY' "
        "WHERE t.TABLE_SCHEMA = 'oauth' AND t.TABLE_TYPE = 'BASE TABLE' "
        "GROUP BY t.TABLE_NAME, t.ENGINE ORDER BY t.TABLE_NAME")
    names = [r[0] for r in rows]
    assert set(TABLES) <= set(names), names
    no_pk = [r[0] for r in rows if r[2] != "1"]
    assert no_pk == [], "tables without a primary key: %s" % no_pk
    not_innodb = [r[0] for r in rows if r[1] != "InnoDB"]
    assert not_innodb == [], "tables not in InnoDB: %s" % not_innodb
    # The same tables on every node.
    for other in (cluster[1], cluster[3]):
        assert [r[0] for r in other.sql(
            "SELECT TABLE_NAME FROM information_schema.TABLES WHERE "
            "TABLE_SCHEMA = 'oauth' ORDER BY TABLE_NAME")] == names


def test_the_oauth_account_replicated_to_every_node(cluster):
    """CREATE USER and GRANT ran on node 1 only (TOI)."""
    for node in cluster.all():
        rows = node.sql("SELECT COUNT(*) FROM mysql.global_priv WHERE "
                        "User = 'oauth' AND Host = 'localhost'",
                        database="mysql")
        assert rows == [("1",)], node
        r = node.cgi("GET", "/readyz")
        assert r.status_code == 200, (node, r)


def test_the_binary_asks_for_causal_reads(cluster):
    """db_sync_wait = 1 becomes SET SESSION wsrep_sync_wait on the
    binary's connection (seen in node 3's general log)."""
    node = cluster[3]
    log = node.var + "/general.log"
    node.sql("SET GLOBAL general_log_file = '%s'; SET GLOBAL log_output = "
             "'FILE'; SET GLOBAL general_log = 1" % log, causal=False)
    try:
        r = node.cgi("GET", "/readyz")
        assert r.status_code == 200, r
    finally:
        node.sql("SET GLOBAL general_log = 0", causal=False)
    with open(log, encoding="utf-8", errors="replace") as f:
        text = f.read()
    assert "wsrep_sync_wait = 1" in text, text[-2000:]


# --- one core across nodes -----------------------------------------------------------
def test_user_from_node1_logs_in_on_node2_and_verifies_on_node3(cluster):
    """No pause between the steps: causal reads make each node see what
    another one committed just before."""
    n1, n2, n3 = cluster.all()
    for _ in range(5):
        name, pw, uid = n1.add_user()
        token = n2.legacy_token(name, pw)
        r = n3.legacy_sessions(token)
        assert r.status_code == 200, r
        body = r.json()
        assert body["success"] is True, r
        assert len(body["data"]) >= 1, r
        v = n3.chat_verify(uid, token)
        assert v.status_code == 200, v
        assert v.json()["result"]["user_id"] == uid, v
        assert v.json()["result"]["access_token"] == token, v


def test_ids_made_on_different_nodes_are_not_consecutive(cluster):
    """Galera gives each node its own AUTO_INCREMENT offset; ids jump, and
    everything keyed by them still works through any node."""
    users = [node.add_user() for node in cluster.all()]
    ids = [u[2] for u in users]
    assert len(set(ids)) == 3, ids
    assert len({i % 3 for i in ids}) > 1 or max(ids) - min(ids) > 2, ids
    for (name, pw, uid), node in zip(users, (cluster[3], cluster[1],
                                             cluster[2])):
        token = node.legacy_token(name, pw)
        v = node.chat_verify(uid, token)
        assert v.status_code == 200, v


def test_client_credentials_token_introspects_on_another_node(cluster):
    n1, n2, n3 = cluster.all()
    client, secret = n1.add_client(["client_credentials"])
    r = token_form(n2, client, secret, grant_type="client_credentials")
    assert r.status_code == 200, r
    token = r.json()["access_token"]
    # Issued through node 2, introspected at once through node 1 and 3.
    for node in (n1, n3):
        body = introspect(node, client, secret, token)
        assert body.get("active") is True, (node, body)
        assert body.get("client_id") == client, body
    r = token_form(n1, client, secret, grant_type="client_credentials")
    assert r.status_code == 200, r
    body = introspect(n2, client, secret, r.json()["access_token"])
    assert body.get("active") is True, body


# --- races across nodes ----------------------------------------------------------------
def test_refresh_token_used_on_two_nodes_at_once(cluster, timings):
    """Both nodes lock the row locally and rotate it; Galera certifies one
    commit and aborts the other (1213), db_tx reruns it, and the rerun sees
    the token retired inside the grace window: invalid_grant, nothing
    revoked. Exactly one success every round."""
    n1, n2, n3 = cluster.all()
    client, secret = n1.add_client(["password", "refresh_token"])
    name, pw, _ = n1.add_user()
    reran = 0
    t0 = time.monotonic()
    for i in range(ROUNDS):
        r = token_form(n1, client, secret, grant_type="password",
                       username=name, password=pw, scope="username")
        assert r.status_code == 200, r
        refresh = r.json()["refresh_token"]
        a, b = (n2, n3) if i % 2 == 0 else (n3, n2)
        out = race([lambda node=a: token_form(node, client, secret,
                                              grant_type="refresh_token",
                                              refresh_token=refresh),
                    lambda node=b: token_form(node, client, secret,
                                              grant_type="refresh_token",
                                              refresh_token=refresh)])
        codes = sorted(o.status_code for o in out)
        assert codes == [200, 400], out
        loser = [o for o in out if o.status_code == 400][0]
        assert loser.json()["error"] == "invalid_grant", loser
        winner = [o for o in out if o.status_code == 200][0]
        reran += conflicts(out)
        # The winner's new pair is live (the loser revoked nothing), and
        # its refresh token rotates again through the third node.
        body = introspect(n1, client, secret, winner.json()["access_token"])
        assert body.get("active") is True, body
        r = token_form(n1, client, secret, grant_type="refresh_token",
                       refresh_token=winner.json()["refresh_token"])
        assert r.status_code == 200, r
    timings("refresh race: %d rounds, transactions rerun after 1213"
            % ROUNDS, time.monotonic() - t0, "%d reruns" % reran)


def get_code(node, client, name, pw):
    """An authorization code through the sign-in and consent pages, over
    the CGI face of `node`."""
    b = CgiBrowser(node)
    state = "s%d" % time.monotonic_ns()
    q = "&".join("%s=%s" % (k, quote(v, safe="")) for k, v in (
        ("response_type", "code"), ("client_id", client),
        ("redirect_uri", REDIRECT), ("scope", "username"), ("state", state)))
    r = b.get("/oauth/authorize?" + q)
    assert r.status_code == 200 and 'name="password"' in r.text, r
    r = b.submit(r, "login", [("username", name), ("password", pw)])
    assert r.status_code == 303, r
    r = b.get(r.headers["Location"])
    assert r.status_code == 200 and 'value="approve"' in r.text, r
    r = b.submit(r, "approve")
    assert r.status_code == 303, r
    loc = urlsplit(r.headers["Location"])
    q = parse_qs(loc.query)
    assert q["state"] == [state], r
    return q["code"][0]


def test_authorization_code_used_on_two_nodes_at_once(cluster, timings):
    """One exchange wins; the other, rerun after the conflict, finds the
    code used: invalid_grant -- and, as on one server, a code used twice
    revokes what its first exchange issued (RFC 6749 4.1.2)."""
    n1, n2, n3 = cluster.all()
    client, secret = n1.add_client(["authorization_code", "refresh_token"],
                                   redirect_uri=REDIRECT)
    name, pw, _ = n2.add_user()
    reran = 0
    t0 = time.monotonic()
    for i in range(ROUNDS):
        code = get_code(n1, client, name, pw)
        a, b = (n2, n3) if i % 2 == 0 else (n3, n2)
        fields = dict(grant_type="authorization_code", code=code,
                      redirect_uri=REDIRECT)
        out = race([lambda node=a: token_form(node, client, secret,
                                              **fields),
                    lambda node=b: token_form(node, client, secret,
                                              **fields)])
        codes = sorted(o.status_code for o in out)
        assert codes == [200, 400], out
        loser = [o for o in out if o.status_code == 400][0]
        assert loser.json()["error"] == "invalid_grant", loser
        winner = [o for o in out if o.status_code == 200][0]
        reran += conflicts(out)
        body = introspect(n1, client, secret, winner.json()["access_token"])
        assert body.get("active") is False, body
    timings("code race: %d rounds, transactions rerun after 1213"
            % ROUNDS, time.monotonic() - t0, "%d reruns" % reran)


# --- the throttle ----------------------------------------------------------------------
def test_throttle_counts_failures_made_through_every_node(cluster):
    """throttle_user_max (5) failures spread over the three nodes lock the
    name on every node. (throttle_delay is raised through the environment
    so the lock outlasts the test's requests.)"""
    n1, n2, n3 = cluster.all()
    name, pw, _ = n1.add_user()
    env = {"OAUTH_THROTTLE_DELAY": "300"}
    ip = random_ip()
    for i, node in enumerate((n1, n2, n3, n1, n2)):
        r = node.legacy_login(name, "wrong-%d" % i, remote_addr=ip, env=env)
        assert r.status_code == 200, (i, node, r)
        assert r.json()["errors"]["code"] == "1142", (i, node, r)
    rows = n3.sql("SELECT COUNT(*) FROM login_failures WHERE login = '%s'"
                  % name)
    assert rows == [("5",)], rows
    # The right password now gets 429 everywhere, from another address too.
    for node in (n3, n2, n1):
        for addr in (ip, random_ip()):
            r = node.legacy_login(name, pw, remote_addr=addr, env=env)
            assert r.status_code == 429, (node, r)
            assert r.json()["errors"]["code"] == "1429", (node, r)
            assert int(r.headers["Retry-After"]) > 0, r


# --- writes outside db_tx ------------------------------------------------------------
def test_one_token_verified_on_three_nodes_at_once(cluster, timings):
    """A verification touches sessions.last_access (at most once a minute,
    an autocommit UPDATE outside db_tx). Nine verifications of one token at
    once through three nodes all touch the same row: whatever Galera
    aborts, every verification answers 200."""
    name, pw, uid = cluster[1].add_user()
    token = cluster[2].legacy_token(name, pw)
    warned = 0
    for _ in range(3):
        # Make the session look idle for two minutes: every one touches.
        cluster[1].sql("UPDATE sessions s JOIN users u ON u.id = s.user_id "
                       "SET s.last_access = s.last_access - 120 WHERE "
                       "u.username = '%s'" % name)
        out = race([lambda node=node: node.chat_verify(uid, token)
                    for node in cluster.all() * 3])
        assert [o.status_code for o in out] == [200] * 9, out
        warned += sum(o.stderr.count("last_access not updated")
                      for o in out)
    timings("27 simultaneous verifications: last_access touches lost",
            None, "%d, each logged; no request failed" % warned)


def test_purge_through_one_node_empties_every_node(cluster):
    """`oauth.fcgi purge` (bounded DELETE ... LIMIT batches) through node
    3 removes expired rows written through node 1 on every node."""
    n1, n2, n3 = cluster.all()
    name, pw, _ = n1.add_user()
    for _ in range(3):
        n1.legacy_token(name, pw)
    n1.sql("UPDATE tokens t JOIN users u ON u.id = t.user_id SET "
           "t.expires_at = 1 WHERE u.username = '%s'" % name)
    proc = n3.cli("purge")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("purged "), proc.stdout
    for node in cluster.all():
        rows = node.sql("SELECT COUNT(*) FROM tokens t JOIN users u ON "
                        "u.id = t.user_id WHERE u.username = '%s'" % name)
        assert rows == [("0",)], (node, rows)


# --- a node dies and comes back --------------------------------------------------------
def until_ok(fn, limit=60.0):
    """Call fn() until it returns true; returns (seconds until then, the
    seconds the successful call itself took, tries)."""
    t0 = time.monotonic()
    tries = 0
    while True:
        tries += 1
        t1 = time.monotonic()
        try:
            ok = fn()
        except AssertionError:
            ok = False
        if ok:
            return time.monotonic() - t0, time.monotonic() - t1, tries
        if time.monotonic() - t0 > limit:
            raise AssertionError("not working %.0f s after the kill" % limit)
        time.sleep(0.1)


def test_node_killed_and_rejoined(cluster, timings):
    n1, n2, n3 = cluster.all()
    name, pw, uid = n1.add_user()
    before = n2.legacy_token(name, pw)

    t_kill = time.monotonic()
    took, _ = galera("kill", 3)
    timings("galera.sh kill 3 (SIGKILL, process gone)", took)

    def login_on(node):
        def attempt():
            r = node.legacy_login(name, pw)
            return r.status_code == 200 and r.json().get("success") is True
        return attempt

    # The first login after the kill, through node 1: it may wait while
    # the cluster decides node 3 is gone.
    t1 = time.monotonic()
    since, req, tries = until_ok(login_on(n1))
    timings("node 1: first login after the kill succeeded after",
            t1 - t_kill + since, "that request took %.2f s, attempt %d"
            % (req, tries))
    since, req, tries = until_ok(login_on(n2))
    timings("node 2: first login after that succeeded after",
            since, "that request took %.2f s, attempt %d" % (req, tries))
    # Steady state with two nodes.
    t1 = time.monotonic()
    assert login_on(n1)() and login_on(n2)()
    timings("two logins with node 3 down", time.monotonic() - t1)
    for node in (n1, n2):
        assert node.token_valid_legacy(before), node
        assert node.chat_verify(uid, before).status_code == 200, node
        assert node.status("wsrep_cluster_size") == "2", node
    # Node 3's binary answers 503 on /readyz: no database there.
    r = n3.cgi("GET", "/readyz")
    assert r.status_code == 503, r

    # Written while node 3 is down: a token, a new user, a revocation.
    during = n1.legacy_token(name, pw)
    other, other_pw, other_uid = n2.add_user()
    revoked = n2.legacy_token(name, pw)
    r = n1.cgi("POST", "/v1/oauth/revoke/",
               headers={"Authorization": "Token " + revoked})
    assert r.status_code == 200 and r.json()["success"] is True, r

    took, out = galera("start", 3, timeout=300)
    how = out.strip().splitlines()[-1] if out.strip() else ""
    timings("galera.sh start 3 (until Synced in a cluster of 3)", took,
            how.replace("galera.sh: ", ""))
    timings("node 3 down in all", time.monotonic() - t_kill)

    # At once, through node 3: what was written while it was down.
    assert n3.token_valid_legacy(during)
    v = n3.chat_verify(uid, during)
    assert v.status_code == 200, v
    assert n3.token_valid_legacy(before)
    assert not n3.token_valid_legacy(revoked)
    token = n3.legacy_token(other, other_pw)
    assert n1.chat_verify(other_uid, token).status_code == 200
    for node in cluster.all():
        assert node.status("wsrep_cluster_size") == "3", node
        assert node.status("wsrep_local_state_comment") == "Synced", node


def test_the_three_nodes_hold_the_same_rows(cluster):
    """After all of the above (races, a crash, a rejoin), every table has
    the same checksum on every node."""
    sums = {}
    for node in cluster.all():
        rows = node.sql("CHECKSUM TABLE %s EXTENDED" % ", ".join(TABLES))
        sums[node.n] = rows
    assert sums[1] == sums[2] == sums[3], sums
