"""Interoperability with generic OAuth 2.0 client libraries: Debian's
python3-requests-oauthlib on python3-oauthlib (SPEC R: "metadata listing
exactly what this server supports, so generic client libraries can discover
it").

The client code below is what an application would write, without
workarounds: endpoints come from the RFC 8414 metadata document, and the
libraries build and parse every token request and response themselves. The
only setting is OAUTHLIB_INSECURE_TRANSPORT=1 in the environment, because
the test instance speaks plain http on loopback. The person in the browser
(login and consent forms) is played with requests, like test_oauth2.py.
"""
import inspect
import secrets

import oauthlib
import pytest
import requests
from oauthlib.oauth2 import (BackendApplicationClient, LegacyApplicationClient,
                             WebApplicationClient)
from requests.auth import HTTPBasicAuth
from requests_oauthlib import OAuth2Session

from test_oauth2 import (HEX40, METADATA, TIMEOUT, browse_authorization,
                         default_ttl, is_active, make_client, user_id)

SCOPE = ["username", "email"]
HAS_PKCE_ARG = "pkce" in inspect.signature(OAuth2Session.__init__).parameters


@pytest.fixture(autouse=True)
def insecure_transport(monkeypatch):
    # http:// on loopback; an environment setting, not client code.
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    monkeypatch.delenv("OAUTHLIB_RELAX_TOKEN_SCOPE", raising=False)


@pytest.fixture
def meta(inst):
    r = requests.get(inst.url + METADATA, timeout=TIMEOUT)
    assert r.status_code == 200
    return r.json()


@pytest.fixture
def user(new_user):
    return new_user(email="%s@example.com" % secrets.token_hex(6))


def test_library_versions_are_the_ones_expected():
    # oauthlib 3.2 added the PKCE helpers used below when requests-oauthlib
    # has no `pkce` argument (it has from 1.4/2.0).
    major, minor = (int(x) for x in oauthlib.__version__.split(".")[:2])
    assert (major, minor) >= (3, 2), oauthlib.__version__


def check_token(token, ttl, scope, refresh=True):
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == ttl
    assert HEX40.fullmatch(token["access_token"])
    assert ("refresh_token" in token) == refresh
    if refresh:
        assert HEX40.fullmatch(token["refresh_token"])
    assert token["scope"] == scope  # oauthlib gives a list


def expected_userinfo(inst, user, email=True):
    out = {"sub": str(user_id(inst, user[0])), "username": user[0]}
    if email:
        out["email"] = inst.sql("SELECT email FROM users WHERE id = %s",
                                int(out["sub"]))[0][0]
    return out


@pytest.mark.parametrize("how", ["basic", "body"])
def test_legacy_application_client(inst, meta, user, how):
    c = make_client(inst)
    s = OAuth2Session(client=LegacyApplicationClient(client_id=c.id),
                      scope=SCOPE)
    if how == "basic":
        token = s.fetch_token(meta["token_endpoint"], username=user[0],
                              password=user[1],
                              auth=HTTPBasicAuth(c.id, c.secret))
    else:
        token = s.fetch_token(meta["token_endpoint"], username=user[0],
                              password=user[1], include_client_id=True,
                              client_secret=c.secret)
    check_token(token, default_ttl(inst), SCOPE)
    r = s.get(meta["userinfo_endpoint"], timeout=TIMEOUT)
    assert r.status_code == 200
    assert r.json() == expected_userinfo(inst, user)
    # A wrong password comes back as oauthlib's InvalidGrantError.
    from oauthlib.oauth2.rfc6749.errors import InvalidGrantError
    s2 = OAuth2Session(client=LegacyApplicationClient(client_id=c.id))
    with pytest.raises(InvalidGrantError) as e:
        s2.fetch_token(meta["token_endpoint"], username=user[0],
                       password=user[1] + "x",
                       auth=HTTPBasicAuth(c.id, c.secret))
    assert e.value.description == "invalid username or password"
    # A wrong secret: InvalidClientError (401).
    from oauthlib.oauth2.rfc6749.errors import InvalidClientError
    with pytest.raises(InvalidClientError):
        s2.fetch_token(meta["token_endpoint"], username=user[0],
                       password=user[1],
                       auth=HTTPBasicAuth(c.id, "0" * 40))


@pytest.mark.parametrize("how", ["basic", "body"])
def test_backend_application_client(inst, meta, user, how):
    c = make_client(inst, grants=("client_credentials",))
    s = OAuth2Session(client=BackendApplicationClient(client_id=c.id))
    if how == "basic":
        # No auth given: requests-oauthlib sends client_id and
        # client_secret as HTTP Basic.
        token = s.fetch_token(meta["token_endpoint"], client_secret=c.secret)
    else:
        token = s.fetch_token(meta["token_endpoint"], include_client_id=True,
                              client_secret=c.secret)
    check_token(token, default_ttl(inst), SCOPE, refresh=False)
    assert is_active(inst, c, token["access_token"])
    # No user behind it: userinfo says 403 insufficient_scope.
    r = s.get(meta["userinfo_endpoint"], timeout=TIMEOUT)
    assert r.status_code == 403
    assert r.json()["error"] == "insufficient_scope"


def web_session(c, meta, scope=SCOPE):
    """An OAuth2Session for the code flow with PKCE S256; returns
    (session, authorization URL, the verifier or None when the library
    keeps it)."""
    if HAS_PKCE_ARG:
        s = OAuth2Session(c.id, redirect_uri=c.uri, scope=scope,
                          pkce="S256")
        url, _ = s.authorization_url(meta["authorization_endpoint"])
        return s, url, None
    client = WebApplicationClient(c.id)
    verifier = client.create_code_verifier(64)
    challenge = client.create_code_challenge(verifier, "S256")
    s = OAuth2Session(client=client, redirect_uri=c.uri, scope=scope)
    url, _ = s.authorization_url(meta["authorization_endpoint"],
                                 code_challenge=challenge,
                                 code_challenge_method="S256")
    return s, url, verifier


def test_web_application_client_with_pkce(inst, meta, user):
    assert "S256" in meta["code_challenge_methods_supported"]
    c = make_client(inst, grants=("authorization_code", "refresh_token"))
    s, url, verifier = web_session(c, meta)
    assert url.startswith(meta["authorization_endpoint"] + "?")
    assert "code_challenge_method=S256" in url
    callback = browse_authorization(inst, url, user)
    assert callback.startswith(c.uri + "?")
    extra = {"code_verifier": verifier} if verifier else {}
    token = s.fetch_token(meta["token_endpoint"],
                          authorization_response=callback,
                          client_secret=c.secret, **extra)
    check_token(token, default_ttl(inst), SCOPE)
    first = dict(token)
    r = s.get(meta["userinfo_endpoint"], timeout=TIMEOUT)
    assert r.status_code == 200
    assert r.json() == expected_userinfo(inst, user)
    # refresh_token(): rotation, the new pair replaces the old one.
    token = s.refresh_token(meta["token_endpoint"],
                            auth=HTTPBasicAuth(c.id, c.secret))
    check_token(token, default_ttl(inst), SCOPE)
    assert token["refresh_token"] != first["refresh_token"]
    assert token["access_token"] != first["access_token"]
    r = s.get(meta["userinfo_endpoint"], timeout=TIMEOUT)
    assert r.status_code == 200
    assert r.json() == expected_userinfo(inst, user)
    assert s.access_token == token["access_token"]
    # The retired refresh token is refused, as oauthlib's InvalidGrantError.
    from oauthlib.oauth2.rfc6749.errors import InvalidGrantError
    with pytest.raises(InvalidGrantError):
        s.refresh_token(meta["token_endpoint"],
                        refresh_token=first["refresh_token"],
                        auth=HTTPBasicAuth(c.id, c.secret))
    # Revocation (RFC 7009) with oauthlib's request builder.
    uri, headers, body = s._client.prepare_token_revocation_request(
        meta["revocation_endpoint"], token["refresh_token"],
        token_type_hint="refresh_token")
    r = requests.post(uri, headers=headers, data=body,
                      auth=(c.id, c.secret), timeout=TIMEOUT)
    assert r.status_code == 200 and r.content == b"{}"
    r = s.get(meta["userinfo_endpoint"], timeout=TIMEOUT)
    assert r.status_code == 401
    assert r.json()["error"] == "invalid_token"


def test_web_application_client_public_with_pkce(inst, meta, user):
    c = make_client(inst, grants=("authorization_code", "refresh_token"),
                    public=True)
    s, url, verifier = web_session(c, meta, scope=["username"])
    callback = browse_authorization(inst, url, user)
    extra = {"code_verifier": verifier} if verifier else {}
    # A public client: client_id in the body, no secret.
    token = s.fetch_token(meta["token_endpoint"],
                          authorization_response=callback,
                          include_client_id=True, **extra)
    check_token(token, default_ttl(inst), ["username"])
    token = s.refresh_token(meta["token_endpoint"], client_id=c.id)
    check_token(token, default_ttl(inst), ["username"])
    r = s.get(meta["userinfo_endpoint"], timeout=TIMEOUT)
    assert r.status_code == 200
    assert r.json() == expected_userinfo(inst, user, email=False)
