"""What the README and the shipped Apache snippets tell an operator to do
must work as written (issue 9, point 12).

Static checks of the repository's files: they need no instance, but live
with the integration suite so `make test` runs them.
"""

import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def read(*path):
    with open(os.path.join(ROOT, *path), encoding="utf-8") as f:
        return f.read()


def test_debian_snippets_enable_every_module_they_depend_on():
    """A section in <IfModule X_module> is silently skipped when X is not
    enabled: the header's a2enmod line must name every such module (the
    HTTPS site sat in <IfModule ssl_module> while the line left out ssl)."""
    for name in ("debian-oauth-fcgi.conf", "proxy-fcgi.conf"):
        text = read("apache-conf", name)
        lines = [l for l in text.splitlines()
                 if re.match(r"#.*\ba2enmod\b", l)]
        assert lines, "%s: no a2enmod line in the header" % name
        enabled = set()
        for l in lines:
            enabled.update(re.split(r"\s+", l.split("a2enmod", 1)[1]
                                    .split("&&")[0].split(";")[0].strip()))
        needed = set(re.findall(r"<IfModule\s+!?(\w+)_module>", text))
        # mod_log_config and mod_mime are compiled into Debian's Apache.
        needed -= {"log_config", "mime", "mpm_event", "mpm_worker",
                   "mpm_prefork"}
        missing = needed - enabled
        assert not missing, "%s: a2enmod misses %s" % (name,
                                                       sorted(missing))


def readme_blocks():
    return re.findall(r"```\n(.*?)```", read("README.md"), re.S)


def test_readme_signs_the_legacy_device_out_only_after_its_last_use():
    """Run top to bottom, the walk-through must not revoke the legacy
    token $T and then use it as if it were live."""
    lines = [l for b in readme_blocks() for l in b.splitlines()
             if l.startswith(("curl", "OAUTH_CONFIG"))]
    own_revoke = [i for i, l in enumerate(lines)
                  if "/v1/oauth/revoke/" in l and "$T" in l
                  and "session_id" not in l]
    assert len(own_revoke) == 1, own_revoke
    for l in lines[own_revoke[0] + 1:]:
        if "$T" in l:
            # Only a check that it is dead now may follow.
            assert "/oauth/introspect" in l and '"active":false' in l, l
    # Nor may the prose send the reader back to it afterwards ("the legacy
    # token above works as a Bearer token on ...").
    text = read("README.md")
    revoked_at = text.find(lines[own_revoke[0]])
    assert revoked_at != -1
    for claim in re.finditer(r"legacy token[^.]*works", text):
        assert claim.start() < revoked_at, claim.group(0)


def test_readme_walkthrough_uses_tokens_only_after_obtaining_them():
    """$T and $S are defined before their first use."""
    text = "\n".join(readme_blocks())
    for var in ("T", "S"):
        define = text.find("\n%s=" % var)
        use = text.find("$%s" % var)
        assert define != -1, var
        assert use == -1 or define < use, var
