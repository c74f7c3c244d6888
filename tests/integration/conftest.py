"""Fixtures of the integration suite: a running instance and its helpers.

tests/run.sh starts an instance (scripts/stack.sh) and runs
`/usr/bin/python3 -m pytest tests/integration` against it with:

  OAUTH_TEST_URL     http://127.0.0.1:PORT        OAUTH_TEST_PORT   PORT
  OAUTH_TEST_VAR     <repo>/var/PORT              OAUTH_TEST_ROOT   <repo>
  OAUTH_TEST_CONFIG  <repo>/var/PORT/oauth.conf
  OAUTH_TEST_BINARY  <repo>/cgi/oauth.fcgi (or -dev, -san, -dev-san)
  OAUTH_TEST_DEV     0 | 1

Without them the suite runs against `make run`'s instance on 8080 (or
OAUTH_TEST_PORT), so a developer can do

  make run && /usr/bin/python3 -m pytest tests/integration -k legacy

Fixtures (names are a contract with every test file):
  inst                   session-wide Instance (see the class)
  new_user(...)          make a unique user, returns (username, password)
  clear_login_failures   autouse: empties the throttle tables before a test
Helpers:
  clear_throttle(inst)   the same, for a test that fails on purpose more
                         often than a throttle limit allows
  session_from(ip)       a requests.Session whose connections come from a
                         given loopback address (127.0.0.2, ...)
Markers:
  dev_only / prod_only   skipped on the other build
"""

import os
import re
import secrets
import socket
import subprocess
import time
import xml.etree.ElementTree as ET

import pytest
import requests
from requests.adapters import HTTPAdapter

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def _env(name, default):
    value = os.environ.get(name)
    return value if value not in (None, "") else default


class Instance:
    """One running instance (Apache + MariaDB) of the stack.

    Attributes: url (no trailing slash), port, var, config, binary, dev
    (bool), root.
    """

    def __init__(self):
        self.port = int(_env("OAUTH_TEST_PORT", "8080"))
        self.root = _env("OAUTH_TEST_ROOT", ROOT)
        self.url = _env("OAUTH_TEST_URL",
                        "http://127.0.0.1:%d" % self.port).rstrip("/")
        self.var = _env("OAUTH_TEST_VAR",
                        os.path.join(self.root, "var", str(self.port)))
        self.config = _env("OAUTH_TEST_CONFIG",
                           os.path.join(self.var, "oauth.conf"))
        self.binary = _env("OAUTH_TEST_BINARY",
                           os.path.join(self.root, "cgi", "oauth.fcgi"))
        self.dev = _env("OAUTH_TEST_DEV", "0") == "1"
        self.socket = os.path.join(self.var, "mysql.sock")
        self.sanitized = os.path.basename(self.binary).endswith("-san.fcgi")

    def __repr__(self):
        return "<Instance %s %s>" % (self.url, os.path.basename(self.binary))

    # --- the admin CLI -----------------------------------------------------
    def cli(self, *args, input=None, check=False, env=None, timeout=120):
        """Run the instance's binary as the admin CLI.

        Returns subprocess.CompletedProcess (text mode, stdout and stderr
        captured). `input` is fed on stdin (passwords: one line).
        `env` adds to (not replaces) the environment.
        """
        full = dict(os.environ)
        full["OAUTH_CONFIG"] = self.config
        if self.sanitized:
            # Reports of a sanitized CLI land where tests/run.sh looks.
            san = os.path.join(self.var, "san")
            os.makedirs(san, exist_ok=True)
            full["ASAN_OPTIONS"] = "log_path=%s/cli-asan:detect_leaks=1" % san
            full["UBSAN_OPTIONS"] = ("log_path=%s/cli-ubsan:"
                                     "print_stacktrace=1" % san)
        if env:
            full.update(env)
        return subprocess.run([self.binary] + [str(a) for a in args],
                              input=input, capture_output=True, text=True,
                              env=full, check=check, timeout=timeout)

    # --- the database, as root ---------------------------------------------
    def sql(self, query, *params):
        """Run SQL as MariaDB root on database `oauth`; return the rows.

        Placeholders are %s, one per param, filled in safely: str as a hex
        literal with the utf8mb4 introducer, bytes as a hex literal (binary),
        int/float as numbers, bool as 1/0, None as NULL. Several statements
        may be given; the rows of every result set are returned together,
        each row a tuple of str (or None for NULL). Binary columns that are
        not valid UTF-8 must be selected through HEX(). Raises
        RuntimeError when the client fails.
        """
        text = _bind(query, params)
        proc = subprocess.run(
            ["mariadb", "--no-defaults", "-S", self.socket, "-u", "root",
             "--xml", "--default-character-set=utf8mb4", "oauth"],
            input=text.encode("utf-8"), capture_output=True, timeout=60)
        if proc.returncode != 0:
            raise RuntimeError("mariadb failed (%d): %s\nquery: %s" % (
                proc.returncode, proc.stderr.decode(errors="replace"),
                query))
        return _parse_xml(proc.stdout)

    def db_stop(self):
        """Stop the instance's MariaDB (Apache keeps running)."""
        _stack("db-stop", self.port, root=self.root)

    def db_start(self):
        """Start MariaDB again; returns once it answers."""
        _stack("db-start", self.port, root=self.root)

    def error_log(self):
        """Apache's error log (the application's stderr) as text."""
        path = os.path.join(self.var, "log", "error.log")
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""


def _stack(*args, root=ROOT):
    cmd = [os.path.join(root, "scripts", "stack.sh")] + [str(a) for a in args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    if proc.returncode != 0:
        raise RuntimeError("%s failed (%d): %s%s" % (
            " ".join(cmd), proc.returncode, proc.stdout, proc.stderr))


def _literal(value):
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (bytes, bytearray)):
        return "X'%s'" % bytes(value).hex() if value else "''"
    if isinstance(value, str):
        if value == "":
            return "''"
        # An introducer, not CONVERT(): a literal is coercible, so it
        # takes the column's collation in comparisons.
        return "_utf8mb4 X'%s'" % value.encode("utf-8").hex()
    raise TypeError("inst.sql: cannot bind %r" % (value,))


def _bind(query, params):
    parts = query.split("%s")
    if len(parts) - 1 != len(params):
        raise ValueError("inst.sql: %d placeholders, %d params" % (
            len(parts) - 1, len(params)))
    out = [parts[0]]
    for value, rest in zip(params, parts[1:]):
        out.append(_literal(value))
        out.append(rest)
    text = "".join(out).strip()
    if not text.endswith(";"):
        text += ";"
    return text + "\n"


_NIL = "{http://www.w3.org/2001/XMLSchema-instance}nil"
_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _parse_xml(data):
    rows = []
    if not data.strip():
        return rows
    # One <resultset> document per statement that returns rows. Bytes that
    # are not UTF-8, or not allowed in XML, come back as U+FFFD (select
    # binary columns through HEX() to compare them).
    text = data.decode("utf-8", errors="replace")
    text = _XML_BAD.sub("\ufffd", text)
    docs = [d for d in text.split("<?xml") if d.strip()]
    for doc in docs:
        root = ET.fromstring("<?xml" + doc)
        for row in root.iter("row"):
            values = []
            for field in row.findall("field"):
                if field.get(_NIL) == "true":
                    values.append(None)
                else:
                    values.append(field.text or "")
            rows.append(tuple(values))
    return rows


# --- fixtures ----------------------------------------------------------------
@pytest.fixture(scope="session")
def inst():
    instance = Instance()
    deadline = time.time() + 30
    last = None
    while time.time() < deadline:
        try:
            r = requests.get(instance.url + "/healthz", timeout=5)
            if r.status_code == 200:
                return instance
            last = "status %d" % r.status_code
        except requests.RequestException as e:
            last = str(e)
        time.sleep(0.5)
    pytest.exit("no instance answers at %s/healthz (%s); start one with "
                "`make run` or run tests/run.sh" % (instance.url, last),
                returncode=3)


@pytest.fixture
def new_user(inst):
    """Factory: new_user(password=None, phone=None, email=None, first=None,
    last=None) -> (username, password). The username is u_<hex>; the
    password is random unless given."""

    def make(password=None, phone=None, email=None, first=None, last=None):
        username = "u_" + secrets.token_hex(6)
        if password is None:
            password = "pw-" + secrets.token_urlsafe(12)
        args = ["user", "add", username]
        for flag, value in (("--phone", phone), ("--email", email),
                            ("--first", first), ("--last", last)):
            if value is not None:
                args += [flag, value]
        proc = inst.cli(*args, input=password + "\n")
        if proc.returncode != 0:
            raise RuntimeError("user add %s failed (%d): %s%s" % (
                username, proc.returncode, proc.stdout, proc.stderr))
        return username, password

    return make


@pytest.fixture(autouse=True)
def clear_login_failures(request):
    """Every test starts with an empty login throttle (SPEC 11) and client
    authentication throttle (SPEC 14)."""
    if "inst" not in request.fixturenames:
        yield
        return
    clear_throttle(request.getfixturevalue("inst"))
    yield


def clear_throttle(instance):
    """Empty the login and client-authentication throttles (SPEC 11, 14),
    for a test that makes more failures on purpose than the limits allow."""
    for table in ("login_failures", "client_failures", "throttle_locks"):
        try:
            instance.sql("DELETE FROM %s" % table)
        except Exception:
            pass  # table not there (yet), or the database is down


# --- helpers -----------------------------------------------------------------
class _SourceAddressAdapter(HTTPAdapter):
    def __init__(self, source, **kwargs):
        self._source = source
        super().__init__(**kwargs)

    def init_poolmanager(self, connections, maxsize, block=False,
                         **pool_kwargs):
        pool_kwargs["source_address"] = (self._source, 0)
        super().init_poolmanager(connections, maxsize, block=block,
                                 **pool_kwargs)


def session_from(source_ip):
    """A requests.Session whose connections leave from `source_ip` (any
    127.x.y.z works on Linux loopback), so the server sees that
    REMOTE_ADDR. Proxies from the environment are ignored."""
    socket.inet_aton(source_ip)  # refuse a typo early
    s = requests.Session()
    s.trust_env = False
    adapter = _SourceAddressAdapter(source_ip)
    s.mount("http://", adapter)
    s.mount("https://", adapter)
    return s


# --- markers ------------------------------------------------------------------
def pytest_configure(config):
    config.addinivalue_line("markers",
                            "dev_only: runs only against the DEV build")
    config.addinivalue_line("markers",
                            "prod_only: runs only against the production build")


def pytest_collection_modifyitems(config, items):
    dev = _env("OAUTH_TEST_DEV", "0") == "1"
    skip_dev = pytest.mark.skip(reason="DEV build only (OAUTH_TEST_DEV=1)")
    skip_prod = pytest.mark.skip(reason="production build only")
    for item in items:
        if "dev_only" in item.keywords and not dev:
            item.add_marker(skip_dev)
        if "prod_only" in item.keywords and dev:
            item.add_marker(skip_prod)
