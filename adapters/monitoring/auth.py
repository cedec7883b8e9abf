"""Who is sending: the token a request presents, and the integration it belongs to.

Alertmanager sends `Authorization: Bearer T` (its `http_config.authorization`) or basic
auth (`http_config.basic_auth`: the token is the password); tools that cannot set a
header put it in the address (`?token=T`, as GoAlert does). A token is compared in
constant time (`EventSettings.by_token`) and never logged or echoed.
"""

from __future__ import annotations

import base64
import binascii

from starlette.requests import Request

from domain.event_settings import EventSettings, Integration


def presented_token(request: Request) -> str | None:
    """The token in the Authorization header (Bearer or Basic), else in `?token=`."""
    header = request.headers.get("authorization")
    if header:
        scheme, _, credentials = header.strip().partition(" ")
        scheme, credentials = scheme.lower(), credentials.strip()
        if scheme == "bearer" and credentials:
            return credentials
        if scheme == "basic" and credentials:
            token = _basic_password(credentials)
            if token:
                return token
    return request.query_params.get("token") or None


def _basic_password(credentials: str) -> str | None:
    try:
        decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    user, colon, password = decoded.partition(":")
    # The password is the token; a tool that only has a "username" field may put it there.
    return password if colon and password else user or None


def integration_for(request: Request, settings: EventSettings, kind: str) -> Integration | None:
    """The integration of `kind` whose token the request presents, if any."""
    token = presented_token(request)
    if not token:
        return None
    return settings.by_token(kind, token)
