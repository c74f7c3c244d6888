"""The stack itself: Apache, its three mounts of the binary, the instance's
files, and liveness without the database (SPEC sections 1, 12a, 12b)."""

import json
import os
import pwd
import stat
import time

import pytest
import requests

TIMEOUT = 30
# Every mount of the same binary: the site root (mod_fcgid), the old XAMPP
# prefix (mod_fcgid) and plain CGI (mod_cgid).
MOUNTS = ["", "/visitor-management", "/cgi-mode"]


def test_healthz_answers_ok(inst):
    r = requests.get(inst.url + "/healthz", timeout=TIMEOUT)
    assert r.status_code == 200
    assert r.text.strip() == "ok"


@pytest.mark.parametrize("mount", MOUNTS)
def test_every_mount_reaches_the_binary(inst, mount):
    r = requests.get(inst.url + mount + "/healthz", timeout=TIMEOUT)
    assert r.status_code == 200
    assert r.text.strip() == "ok"


def test_healthz_answers_without_the_database(inst):
    inst.db_stop()
    try:
        r = requests.get(inst.url + "/healthz", timeout=TIMEOUT)
        assert r.status_code == 200
        assert r.text.strip() == "ok"
        # Readiness says the opposite while the database is away.
        r = requests.get(inst.url + "/readyz", timeout=TIMEOUT)
        assert r.status_code == 503
    finally:
        inst.db_start()
    # ... and recovers by itself within seconds once it is back (SPEC 12).
    deadline = time.time() + 20
    status = None
    while time.time() < deadline:
        status = requests.get(inst.url + "/readyz", timeout=TIMEOUT).status_code
        if status == 200:
            break
        time.sleep(0.5)
    assert status == 200


@pytest.mark.parametrize("mount", MOUNTS)
def test_authorization_header_reaches_the_application(inst, mount):
    # Without CGIPassAuth the header is withheld and the legacy endpoint
    # would answer 1190 (token missing) instead of 1403 (token unknown).
    r = requests.get(inst.url + mount + "/v1/oauth/sessions/",
                     headers={"Authorization": "Token " + "0" * 40},
                     timeout=TIMEOUT)
    assert r.status_code == 200
    assert r.json()["errors"]["code"] == "1403"


@pytest.mark.parametrize("mount", MOUNTS)
@pytest.mark.parametrize("path", ["/v1/oauth", "/v1/oauth/",
                                  "/v1/oauth/index.php"])
def test_post_is_never_redirected(inst, mount, path):
    # mod_dir must not answer /v1/oauth with a 301: the POST body would be
    # lost (SPEC section 1).
    r = requests.post(inst.url + mount + path, data={"username": "x"},
                      allow_redirects=False, timeout=TIMEOUT)
    assert r.status_code == 200
    assert "Location" not in r.headers
    assert r.json()["success"] is False


@pytest.mark.parametrize("mount", MOUNTS)
def test_body_over_apache_limit_gets_the_dialect_error(inst, mount):
    # Apache refuses a declared body over 1 MiB before the application
    # sees it; the ErrorDocument makes the application answer in the legacy
    # shape, never Apache's HTML page.
    body = b"username=" + b"a" * (2 * 1024 * 1024)
    r = requests.post(inst.url + mount + "/v1/oauth/", data=body,
                      headers={"Content-Type":
                               "application/x-www-form-urlencoded"},
                      timeout=TIMEOUT)
    assert "html" not in r.headers.get("Content-Type", "")
    doc = json.loads(r.text)
    assert doc["success"] is False
    assert doc["errors"]["code"] == "2400"


def test_config_file_is_private_to_www_data(inst):
    st = os.stat(inst.config)
    assert stat.S_IMODE(st.st_mode) == 0o600
    assert pwd.getpwuid(st.st_uid).pw_name == "www-data"


def _static_file(inst):
    static = os.path.join(inst.root, "htdocs", "static")
    names = sorted(n for n in os.listdir(static)
                   if os.path.isfile(os.path.join(static, n)))
    visible = [n for n in names if not n.startswith(".")]
    assert visible or names, "htdocs/static/ is empty"
    name = (visible or names)[0]
    with open(os.path.join(static, name), "rb") as f:
        return name, f.read()


@pytest.mark.parametrize("mount", MOUNTS)
def test_static_files_are_served_from_htdocs(inst, mount):
    name, content = _static_file(inst)
    r = requests.get(inst.url + mount + "/static/" + name, timeout=TIMEOUT)
    assert r.status_code == 200
    assert r.content == content


def test_static_directory_is_not_listed(inst):
    r = requests.get(inst.url + "/static/", timeout=TIMEOUT)
    assert r.status_code in (403, 404)
