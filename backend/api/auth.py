"""Reading stored drawings needs a bearer token (FEEDBACK_READ_TOKEN); writing does not."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from django.conf import settings
from rest_framework import authentication, exceptions, permissions


@dataclass(frozen=True)
class TokenHolder:
    is_authenticated: bool = True


class FeedbackTokenAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != self.keyword.lower() or not token:
            return None
        expected = settings.FEEDBACK_READ_TOKEN
        if not expected or not hmac.compare_digest(token.strip().encode(), expected.encode()):
            raise exceptions.AuthenticationFailed("invalid token")
        return TokenHolder(), token

    def authenticate_header(self, request):
        return self.keyword  # so an anonymous request gets 401 with WWW-Authenticate


class ReadsNeedToken(permissions.BasePermission):
    """Anyone may send a correction; only token holders may read what was sent."""

    def has_permission(self, request, view):
        if request.method == "POST":
            return True
        return bool(request.user and request.user.is_authenticated)
