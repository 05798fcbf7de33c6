"""Reading stored drawings needs a bearer token (FEEDBACK_READ_TOKEN); writing does not. A
server started without a token reads no corrections at all, whatever a client sends: 403
reading_disabled, which says so, rather than 401 "invalid token"."""

from __future__ import annotations

import hmac
import math
from dataclasses import dataclass

from django.conf import settings
from rest_framework import authentication, exceptions, permissions

from .errors import ReadingDisabled
from .throttling import client_ip, take

FAILURES = "auth_failures"  # the throttle scope wrong tokens count in (settings: API_THROTTLE_AUTH_FAILURES)


@dataclass(frozen=True)
class TokenHolder:
    is_authenticated: bool = True


class FeedbackTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        expected = settings.FEEDBACK_READ_TOKEN
        if scheme.lower() != self.keyword.lower() or not token or not expected:
            return None  # no token configured: the permission says reading is off
        client = client_ip(request)
        allowed, wait = take(FAILURES, client, record=False)
        if not allowed:  # guessed too often: not compared at all
            raise exceptions.Throttled(wait=math.ceil(wait), detail="Too many wrong tokens from this client.")
        if not hmac.compare_digest(token.strip().encode(), expected.encode()):
            take(FAILURES, client)  # a wrong token counts against the client's own strict scope
            raise exceptions.AuthenticationFailed("invalid token")
        return TokenHolder(), token

    def authenticate_header(self, request):
        return self.keyword  # so an anonymous request gets 401 with WWW-Authenticate


class ReadsNeedToken(permissions.BasePermission):
    """Anyone may send a correction; only token holders may read what was sent."""

    def has_permission(self, request, view):
        if request.method == "POST":
            return True
        if not settings.FEEDBACK_READ_TOKEN:
            raise ReadingDisabled()
        return bool(request.user and request.user.is_authenticated)
