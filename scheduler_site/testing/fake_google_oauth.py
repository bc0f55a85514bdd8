"""OAuth 2.0 as accounts.google.com and oauth2.googleapis.com do it: authorize, token, revoke, userinfo.

Grant rules that matter to the product and that Google applies:
- a refresh token is issued only with `access_type=offline`, and only on the first consent of this user
  to this client or when `prompt=consent` forces the consent screen again;
- a refresh reply carries no new refresh token;
- revoking either token of a grant kills the whole grant; its refresh token then gets `invalid_grant`, and
  the user's consent to the client is gone (the next sign-in is a first consent again).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import secrets
import urllib.parse
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .fake_google_state import (
    SCOPE_ALIASES,
    SCOPE_EMAIL,
    SCOPE_OPENID,
    SCOPE_PROFILE,
    Call,
    FakeUser,
    GoogleError,
    Reply,
    route,
    unauthenticated,
)

if TYPE_CHECKING:
    from .fake_google import FakeGoogle

AUTH_CODE_LIFETIME = 600


@dataclass
class Grant:
    """What a user allowed one client: scopes, a refresh token (if offline) and its access tokens."""

    email: str
    client_id: str
    scopes: tuple[str, ...]
    refresh_token: str | None
    revoked: bool = False
    access_tokens: dict[str, float] = field(default_factory=dict)  # token -> expiry (clock seconds)


@dataclass
class AuthCode:
    email: str
    client_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    issue_refresh_token: bool
    expires_at: float
    used: bool = False


@dataclass
class IssuedTokens:
    access_token: str
    refresh_token: str | None
    expires_in: int
    scopes: tuple[str, ...]


def oauth_error(status: int, error: str, description: str) -> GoogleError:
    return GoogleError(status, {"error": error, "error_description": description})


class OAuthRegistry:
    """Codes, grants and tokens. Callers hold the `FakeGoogle` lock."""

    def __init__(self, google: FakeGoogle) -> None:
        self.google = google
        self.codes: dict[str, AuthCode] = {}
        self.grants: list[Grant] = []
        self.by_refresh_token: dict[str, Grant] = {}
        self.by_access_token: dict[str, Grant] = {}

    def issue_code(self, user: FakeUser, params: dict[str, str]) -> str:
        client_id = params["client_id"]
        first_consent = client_id not in user.consented_clients
        user.consented_clients.add(client_id)
        code = "4/0A" + secrets.token_urlsafe(24)
        self.codes[code] = AuthCode(
            email=user.email,
            client_id=client_id,
            redirect_uri=params["redirect_uri"],
            scopes=normalize_scopes(params.get("scope", "")),
            issue_refresh_token=params.get("access_type") == "offline"
            and (first_consent or "consent" in params.get("prompt", "").split()),
            expires_at=self.google.clock() + AUTH_CODE_LIFETIME,
        )
        return code

    def new_grant(self, email: str, client_id: str, scopes: tuple[str, ...], *, offline: bool) -> Grant:
        grant = Grant(email, client_id, scopes, "1//0g" + secrets.token_urlsafe(32) if offline else None)
        self.grants.append(grant)
        if grant.refresh_token:
            self.by_refresh_token[grant.refresh_token] = grant
        return grant

    def new_access_token(self, grant: Grant) -> str:
        token = "ya29.a0" + secrets.token_urlsafe(40)
        grant.access_tokens[token] = self.google.clock() + self.google.access_token_lifetime
        self.by_access_token[token] = grant
        return token

    def token_reply(self, grant: Grant, *, with_refresh_token: bool) -> Reply:
        user = self.google.user(grant.email)
        payload: dict[str, object] = {
            "access_token": self.new_access_token(grant),
            "expires_in": self.google.access_token_lifetime,
            "scope": " ".join(grant.scopes),
            "token_type": "Bearer",
        }
        if SCOPE_OPENID in grant.scopes:
            payload["id_token"] = self._id_token(user, grant)
        if with_refresh_token and grant.refresh_token:
            payload["refresh_token"] = grant.refresh_token
        return Reply.json(200, payload, {"Cache-Control": "no-cache, no-store, max-age=0, must-revalidate"})

    def authenticate(self, authorization: str) -> tuple[FakeUser, Grant]:
        """The user behind a `Bearer` header; 401 for a missing, unknown, expired or revoked token."""
        scheme, _, token = authorization.partition(" ")
        grant = self.by_access_token.get(token.strip()) if scheme.lower() == "bearer" else None
        if grant is None or grant.revoked or grant.access_tokens.get(token.strip(), 0) <= self.google.clock():
            raise unauthenticated()
        return self.google.user(grant.email), grant

    def revoke(self, grant: Grant) -> None:
        grant.revoked = True
        grant.access_tokens.clear()
        # The app leaves the user's "third-party access" list: the next sign-in is a first consent again.
        self.google.user(grant.email).consented_clients.discard(grant.client_id)

    def _id_token(self, user: FakeUser, grant: Grant) -> str:
        """An OpenID Connect id_token with Google's claims, signed HS256 with the client secret.

        Google signs with RS256; nothing in the product verifies the signature (social-auth reads the
        userinfo endpoint), so the fake keeps the claims faithful and the key simple.
        """
        now = int(self.google.clock())
        claims: dict[str, object] = {
            "iss": "https://accounts.google.com",
            "azp": grant.client_id,
            "aud": grant.client_id,
            "sub": user.sub,
            "iat": now,
            "exp": now + self.google.access_token_lifetime,
        }
        if SCOPE_EMAIL in grant.scopes:
            claims.update(email=user.email, email_verified=True)
        if SCOPE_PROFILE in grant.scopes:
            claims.update(name=user.name, given_name=user.given_name, family_name=user.family_name)

        def encode(part: dict[str, object]) -> bytes:
            return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=")

        signing_input = encode({"alg": "HS256", "typ": "JWT"}) + b"." + encode(claims)
        signature = hmac.new(self.google.client_secret.encode(), signing_input, hashlib.sha256).digest()
        return (signing_input + b"." + base64.urlsafe_b64encode(signature).rstrip(b"=")).decode()


def normalize_scopes(scope: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(SCOPE_ALIASES.get(name, name) for name in scope.split()))


def _error_page(status: int, error: str, description: str) -> Reply:
    """Google shows the user an error page (it does not redirect) when the request itself is bad."""
    body = f"<h1>Error {status}: {html.escape(error)}</h1><p>{html.escape(description)}</p>"
    return Reply(status, body.encode(), "text/html; charset=utf-8")


def _redirect(redirect_uri: str, params: dict[str, str]) -> Reply:
    separator = "&" if urllib.parse.urlsplit(redirect_uri).query else "?"
    location = redirect_uri + separator + urllib.parse.urlencode(params)
    return Reply(302, b"", "text/html; charset=utf-8", {"Location": location})


def _check_authorize_request(google: FakeGoogle, params: dict[str, str]) -> Reply | None:
    for name in ("client_id", "redirect_uri", "response_type", "scope"):
        if not params.get(name):
            return _error_page(400, "invalid_request", f"Missing required parameter: {name}")
    if params["client_id"] != google.client_id:
        return _error_page(401, "invalid_client", "The OAuth client was not found.")
    if google.redirect_uris is not None and params["redirect_uri"] not in google.redirect_uris:
        return _error_page(400, "redirect_uri_mismatch", f"redirect_uri={params['redirect_uri']}")
    if params["response_type"] != "code":
        return _error_page(
            400, "unsupported_response_type", f"Invalid response_type: {params['response_type']}"
        )
    return None


def _approve(google: FakeGoogle, params: dict[str, str], email_address: str) -> Reply:
    user = google.user(email_address)
    code = google.oauth.issue_code(user, params)
    answer = {"code": code, "scope": " ".join(normalize_scopes(params["scope"])), "authuser": "0"}
    if "state" in params:
        answer["state"] = params["state"]
    return _redirect(params["redirect_uri"], answer)


def _cancel(params: dict[str, str]) -> Reply:
    """The user pressed Cancel: Google sends the browser back with `error=access_denied` and the state."""
    denial = {"error": "access_denied"}
    if "state" in params:
        denial["state"] = params["state"]
    return _redirect(params["redirect_uri"], denial)


def authorize(google: FakeGoogle, call: Call) -> Reply:
    """The consent screen: approves at once as `auto_approve_as` (or `auto_approve()`), else a form."""
    params = {name: values[0] for name, values in call.query.items()}
    problem = _check_authorize_request(google, params)
    if problem:
        return problem
    approver = params.pop("auto_approve_as", None) or google.auto_approve_as
    with google.lock:
        if google.auto_cancel_consent:
            return _cancel(params)
        if approver:
            if approver not in google.users:
                return _error_page(400, "invalid_request", f"No such fake Google account: {approver}")
            return _approve(google, params, approver)
        accounts = sorted(google.users)
    options = "".join(f'<option value="{html.escape(a)}">' for a in accounts)
    page = f"""<!doctype html><title>Fake Google: sign in</title>
<h1>Fake Google</h1><p>{html.escape(params["client_id"])} asks for: {html.escape(params["scope"])}</p>
<form method="post" action="/o/oauth2/approve">
<input type="hidden" name="request" value="{html.escape(urllib.parse.urlencode(params))}">
<label>Account <input name="email" list="accounts" required autofocus></label>
<datalist id="accounts">{options}</datalist>
<button name="decision" value="allow">Allow</button> <button name="decision" value="deny">Deny</button>
</form><p>A new address creates an empty account.</p>"""
    return Reply(200, page.encode(), "text/html; charset=utf-8")


def approve(google: FakeGoogle, call: Call) -> Reply:
    form = call.form()
    params = dict(urllib.parse.parse_qsl(form.get("request", "")))
    problem = _check_authorize_request(google, params)
    if problem:
        return problem
    if form.get("decision") != "allow":
        return _cancel(params)
    with google.lock:
        if form["email"] not in google.users:
            google.add_user(form["email"])
        return _approve(google, params, form["email"])


def _client_credentials(call: Call, form: dict[str, str]) -> tuple[str, str]:
    scheme, _, encoded = call.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        client_id, _, secret = base64.b64decode(encoded).decode().partition(":")
        return urllib.parse.unquote(client_id), urllib.parse.unquote(secret)
    return form.get("client_id", ""), form.get("client_secret", "")


def token(google: FakeGoogle, call: Call) -> Reply:
    form = call.form()
    client_id, client_secret = _client_credentials(call, form)
    if client_id != google.client_id:
        raise oauth_error(401, "invalid_client", "The OAuth client was not found.")
    if client_secret != google.client_secret:
        raise oauth_error(401, "invalid_client", "Unauthorized")
    grant_type = form.get("grant_type", "")
    with google.lock:
        if grant_type == "authorization_code":
            code = google.oauth.codes.get(form.get("code", ""))
            if code is None:
                raise oauth_error(400, "invalid_grant", "Malformed auth code.")
            if code.used or code.expires_at <= google.clock() or code.client_id != client_id:
                raise oauth_error(400, "invalid_grant", "Bad Request")
            if form.get("redirect_uri") != code.redirect_uri:
                raise oauth_error(400, "redirect_uri_mismatch", "Bad Request")
            code.used = True
            grant = google.oauth.new_grant(
                code.email, client_id, code.scopes, offline=code.issue_refresh_token
            )
            return google.oauth.token_reply(grant, with_refresh_token=True)
        if grant_type == "refresh_token":
            found = google.oauth.by_refresh_token.get(form.get("refresh_token", ""))
            if found is None or found.revoked:
                raise oauth_error(400, "invalid_grant", "Token has been expired or revoked.")
            if found.client_id != client_id:
                raise oauth_error(401, "unauthorized_client", "Unauthorized")
            asked = normalize_scopes(form.get("scope", ""))
            if not set(asked) <= set(found.scopes):
                raise oauth_error(400, "invalid_scope", "Bad Request")
            return google.oauth.token_reply(found, with_refresh_token=False)
    raise oauth_error(400, "unsupported_grant_type", f"Invalid grant_type: {grant_type}")


def revoke(google: FakeGoogle, call: Call) -> Reply:
    """`POST /revoke` with `token=` in the form (or `GET ?token=`, as social-auth sends it)."""
    value = call.form().get("token", "")
    if not value:
        raise oauth_error(400, "invalid_request", "Missing required parameter: token")
    with google.lock:
        grant = google.oauth.by_refresh_token.get(value) or google.oauth.by_access_token.get(value)
        if grant is None or grant.revoked:
            raise oauth_error(400, "invalid_token", "Token expired or revoked")
        google.oauth.revoke(grant)
    return Reply.json(200, {})


def userinfo(google: FakeGoogle, call: Call) -> Reply:
    assert call.user is not None and call.grant is not None
    user, scopes = call.user, call.grant.scopes
    info: dict[str, object] = {"sub": user.sub}
    if SCOPE_PROFILE in scopes:
        info.update(
            name=user.name,
            given_name=user.given_name,
            family_name=user.family_name,
            picture=f"{google.base_url}/avatars/{user.sub}.png",
        )
    if SCOPE_EMAIL in scopes:
        info.update(email=user.email, email_verified=True)
    return Reply.json(200, info)


def userinfo_unauthorized(error: GoogleError) -> GoogleError:
    """userinfo answers a bad token in the OAuth shape, not the API shape."""
    return GoogleError(
        401, {"error": "invalid_request", "error_description": "Invalid Credentials"}, error.headers
    )


ROUTES = [
    route("GET", "/o/oauth2/auth", "oauth.authorize", authorize),
    route("GET", "/o/oauth2/v2/auth", "oauth.authorize", authorize),
    route("POST", "/o/oauth2/approve", "oauth.approve", approve),
    route("POST", "/token", "oauth.token", token),
    route("POST", "/o/oauth2/token", "oauth.token", token),
    route("POST", "/revoke", "oauth.revoke", revoke),
    route("GET", "/revoke", "oauth.revoke", revoke),
    route("POST", "/o/oauth2/revoke", "oauth.revoke", revoke),
    route("GET", "/o/oauth2/revoke", "oauth.revoke", revoke),
    route(
        "GET", "/oauth2/v3/userinfo", "oauth.userinfo", userinfo, {SCOPE_OPENID, SCOPE_EMAIL, SCOPE_PROFILE}
    ),
]
