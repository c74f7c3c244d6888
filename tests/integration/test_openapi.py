"""docs/openapi.yaml against the route table, so the two cannot drift apart.

The route table is what `<binary> routes` prints (src/route.c): one line per
route, "pattern<TAB>dialect<TAB>methods", methods being GET, POST, GET,POST
or ANY. Patterns use '*' for one path segment and a trailing '**' for any
rest; in the OpenAPI file they are path templates ("/api/oauth/{user_id}/
verify-token/v1/") and a catch-all path marked `x-catch-all: true`
("/v1/{path}"). A documented path may carry the trailing slash its dialect
documents ("/v1/oauth/" for the route "/v1/oauth").

Needs no server: the binary is OAUTH_TEST_BINARY (set by tests/run.sh), else
cgi/oauth.fcgi of the repository (OAUTH_TEST_ROOT, else two levels up). When
OAUTH_TEST_URL names a running instance (tests/run.sh sets it), one more test
asks it for every documented path and expects no 404.

Needs python3-yaml (Debian package; scripts/deps.sh installs it with the
test group).
"""

import os
import re
import subprocess
import urllib.error
import urllib.request

import pytest

try:
    import yaml
except ImportError:  # reported by the `spec` fixture, test by test
    yaml = None

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.environ.get("OAUTH_TEST_ROOT") or os.path.dirname(
    os.path.dirname(HERE))
SPEC_PATH = os.path.join(ROOT, "docs", "openapi.yaml")
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch",
                "trace")
TEMPLATE = re.compile(r"\{([^/{}]+)\}")


# --- loading -------------------------------------------------------------------
@pytest.fixture(scope="module")
def spec():
    if yaml is None:
        pytest.fail("python3-yaml is not installed: apt-get install "
                    "python3-yaml (scripts/deps.sh test)")
    with open(SPEC_PATH, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    assert isinstance(doc, dict), "docs/openapi.yaml is not a mapping"
    return doc


def _binary():
    explicit = os.environ.get("OAUTH_TEST_BINARY")
    path = explicit or os.path.join(ROOT, "cgi", "oauth.fcgi")
    if not os.access(path, os.X_OK):
        if explicit:
            pytest.fail("OAUTH_TEST_BINARY=%s is not executable" % path)
        pytest.skip("%s is not built (run make)" % path)
    return path


@pytest.fixture(scope="module")
def routes():
    """[(pattern, dialect, set of methods or {"ANY"})] from `routes`."""
    proc = subprocess.run([_binary(), "routes"], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0, "routes exited %d: %s" % (
        proc.returncode, proc.stderr)
    table = []
    for line in proc.stdout.splitlines():
        if not line.strip():
            continue
        fields = line.split("\t")
        assert len(fields) == 3, "unexpected routes line: %r" % line
        pattern, dialect, methods = fields
        assert pattern.startswith("/"), line
        table.append((pattern, dialect, set(methods.split(","))))
    assert table, "routes printed nothing"
    return table


def _operations(item):
    return {m: op for m, op in item.items() if m in HTTP_METHODS}


def _resolve(doc, node):
    """Follow local $refs ("#/a/b") until a node without one."""
    seen = set()
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), "non-local $ref %r" % ref
        assert ref not in seen, "$ref loop at %r" % ref
        seen.add(ref)
        node = doc
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            assert isinstance(node, dict) and part in node, \
                "unresolvable $ref %r" % ref
            node = node[part]
    return node


# --- route patterns and documented paths ----------------------------------------
def _route_key(pattern):
    """The route pattern without a trailing slash: the comparison key."""
    if len(pattern) > 1 and pattern.endswith("/") and \
            not pattern.endswith("**"):
        return pattern[:-1]
    return pattern


def _doc_key(path, item):
    """The documented path as a route pattern ('*', '**'), no trailing '/'."""
    key = TEMPLATE.sub("*", path)
    if item.get("x-catch-all"):
        assert key.endswith("/*"), (
            "%s: x-catch-all needs a last segment {param}" % path)
        key = key + "*"
    if len(key) > 1 and key.endswith("/"):
        key = key[:-1]
    return key


def _documented(spec):
    """{route key: (set of documented methods, [paths])}."""
    out = {}
    for path, item in spec["paths"].items():
        key = _doc_key(path, item)
        methods, paths = out.setdefault(key, (set(), []))
        methods.update(_operations(item))
        paths.append(path)
    return out


# --- the document itself ------------------------------------------------------------
def test_openapi_31_with_info_and_paths(spec):
    assert re.fullmatch(r"3\.1\.\d+", str(spec.get("openapi", ""))), \
        "openapi must be 3.1.x, is %r" % spec.get("openapi")
    info = spec.get("info")
    assert isinstance(info, dict) and info.get("title") and \
        info.get("version"), "info needs title and version"
    assert isinstance(spec.get("paths"), dict) and spec["paths"], \
        "paths is empty"
    for path in spec["paths"]:
        assert path.startswith("/"), path


def test_every_operation_has_a_described_response(spec):
    for path, item in spec["paths"].items():
        ops = _operations(item)
        assert ops, "%s has no operation" % path
        for method, op in ops.items():
            responses = op.get("responses")
            assert isinstance(responses, dict) and responses, \
                "%s %s has no responses" % (method.upper(), path)
            described = [code for code, r in responses.items()
                         if (_resolve(spec, r) or {}).get("description")]
            assert described, "%s %s: no response has a description" % (
                method.upper(), path)


def test_operation_ids_are_unique(spec):
    seen = {}
    for path, item in spec["paths"].items():
        for method, op in _operations(item).items():
            oid = op.get("operationId")
            assert oid, "%s %s has no operationId" % (method.upper(), path)
            assert oid not in seen, "operationId %s twice: %s and %s" % (
                oid, seen[oid], path)
            seen[oid] = path


def test_every_ref_resolves(spec):
    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("$ref"), str):
                _resolve(spec, node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)


def test_path_templates_are_declared_parameters(spec):
    for path, item in spec["paths"].items():
        names = set(TEMPLATE.findall(path))
        common = {_resolve(spec, p)["name"] for p in item.get("parameters", [])
                  if _resolve(spec, p).get("in") == "path"}
        for method, op in _operations(item).items():
            own = {_resolve(spec, p)["name"] for p in op.get("parameters", [])
                   if _resolve(spec, p).get("in") == "path"}
            assert names == common | own, (
                "%s %s: path parameters %s, declared %s" % (
                    method.upper(), path, sorted(names),
                    sorted(common | own)))


# --- the document against the route table --------------------------------------------
def test_every_route_is_documented_with_its_methods(spec, routes):
    documented = _documented(spec)
    for pattern, dialect, methods in routes:
        key = _route_key(pattern)
        assert key in documented, (
            "route %s (%s) is not in docs/openapi.yaml" % (pattern, dialect))
        have, paths = documented[key]
        if "ANY" in methods:
            want = {"get", "post"}
        else:
            want = {m.lower() for m in methods}
        missing = want - have
        assert not missing, "route %s (%s): %s documented without %s" % (
            pattern, dialect, paths, sorted(m.upper() for m in missing))


def test_every_documented_path_is_a_route(spec, routes):
    keys = {_route_key(p) for p, _, _ in routes}
    for key, (_, paths) in _documented(spec).items():
        assert key in keys, (
            "%s is documented but no route serves it (routes: %s)" % (
                paths, sorted(keys)))


def test_documented_methods_are_accepted(spec, routes):
    allowed = {}
    for pattern, _, methods in routes:
        key = _route_key(pattern)
        if "ANY" in methods:
            allowed[key] = set(HTTP_METHODS)
        else:
            allow = {m.lower() for m in methods}
            if "get" in allow:
                allow.add("head")  # the dispatcher serves HEAD as GET
            allowed[key] = allow
    for key, (have, paths) in _documented(spec).items():
        extra = have - allowed.get(key, set())
        assert not extra, "%s documents %s, which the route refuses" % (
            paths, sorted(m.upper() for m in extra))


def test_catch_all_and_internal_markers(spec, routes):
    for pattern, _, _ in routes:
        key = _route_key(pattern)
        items = [(p, i) for p, i in spec["paths"].items()
                 if _doc_key(p, i) == key]
        if pattern.endswith("**"):
            assert all(i.get("x-catch-all") is True for _, i in items), (
                "%s must be documented with x-catch-all: true" % pattern)
        if pattern.startswith("/__error/"):
            assert items and all(i.get("x-internal") is True
                                 for _, i in items), (
                "%s is internal: document it with x-internal: true" %
                pattern)
    for path, item in spec["paths"].items():
        if item.get("x-catch-all"):
            assert _doc_key(path, item).endswith("**"), path


# --- the document against a running instance (optional) --------------------------
class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 302/303 is an answer, not a 404: report it as such


def _status(opener, url, method):
    req = urllib.request.Request(url, method=method.upper(), data=(
        b"" if method == "post" else None))
    if method == "post":
        req.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with opener.open(req, timeout=30) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def test_documented_paths_are_served(spec):
    """No documented path (with and without its trailing slash) is a 404.

    Each request is harmless: no credentials and no body, so every endpoint
    answers with its missing-parameter or missing-token error, a sign-in
    page, or a 403 for a form without its CSRF token.
    """
    base = os.environ.get("OAUTH_TEST_URL")
    if not base:
        pytest.skip("OAUTH_TEST_URL is not set (no running instance)")
    opener = urllib.request.build_opener(_NoRedirect)
    base = base.rstrip("/")
    for path, item in spec["paths"].items():
        if item.get("x-catch-all") or item.get("x-internal"):
            continue
        concrete = TEMPLATE.sub("1", path)
        variants = {concrete}
        if concrete.endswith("/") and len(concrete) > 1:
            variants.add(concrete[:-1])
        method = sorted(_operations(item))[0]
        for url_path in sorted(variants):
            status = _status(opener, base + url_path, method)
            assert status != 404, "%s %s answers 404" % (
                method.upper(), url_path)
