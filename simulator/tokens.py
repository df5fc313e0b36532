"""OAuth tokens: authorization codes, access tokens with a lifetime, refresh tokens.

Lifetimes run on the simulator clock, so a test can expire a token by moving the clock or, more
directly, with ``POST /_sim/tokens/expire``, and then watch its client refresh once and retry.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from simulator.catalog import AppSettings
from simulator.wire import compact_time

CODE_LIFETIME = timedelta(seconds=120)


class TokenStore:
    def __init__(self, app: AppSettings, now: datetime) -> None:
        self.app = app
        self._access: dict[str, datetime] = {app.access_token: now + self.access_ttl}
        self._refresh: dict[str, datetime] = {app.refresh_token: now + self.refresh_ttl}
        self._codes: dict[str, datetime] = {}
        if app.auth_code:
            self._codes[app.auth_code] = now + CODE_LIFETIME
        self._issued = 0

    @property
    def access_ttl(self) -> timedelta:
        return timedelta(seconds=self.app.access_token_ttl_seconds)

    @property
    def refresh_ttl(self) -> timedelta:
        return timedelta(days=self.app.refresh_token_ttl_days)

    def access_valid(self, token: str | None, now: datetime) -> bool:
        expires = self._access.get(token or "")
        return expires is not None and now < expires

    def issue_code(self, now: datetime) -> str:
        self._issued += 1
        code = f"SIM-CODE-{self._issued}"
        self._codes[code] = now + CODE_LIFETIME
        return code

    def expire_access(self, now: datetime) -> int:
        """Expire every access token now; returns how many were still valid."""
        live = [t for t, exp in self._access.items() if now < exp]
        for token in live:
            self._access[token] = now
        return len(live)

    def expire_refresh(self, now: datetime) -> None:
        for token in self._refresh:
            self._refresh[token] = now

    def _new_access(self, now: datetime) -> str:
        self._issued += 1
        token = f"{self.app.access_token}-{self._issued + 1}"
        self._access[token] = now + self.access_ttl
        return token

    def _grant_body(self, access: str) -> dict[str, Any]:
        return {
            "access_token": access,
            "expires_in": str(self.app.access_token_ttl_seconds),
            "resource_owner": self.app.buyer_login_id,
            "memberId": self.app.buyer_member_id,
            "aliId": "2200000000001",
        }

    def grant(self, form: Mapping[str, str], now: datetime) -> tuple[int, dict[str, Any]]:
        """Answer ``system.oauth2:getToken``: (HTTP status, body)."""
        grant_type = form.get("grant_type", "")
        if form.get("client_id") != self.app.app_key or form.get("client_secret") != self.app.app_secret:
            return 401, {"error": "invalid_client", "error_description": "client_id or client_secret is wrong"}
        if grant_type == "authorization_code":
            code = form.get("code", "")
            expires = self._codes.pop(code, None)  # single use, even when it has expired
            if expires is None or now >= expires:
                return 400, {"error": "invalid_grant", "error_description": "authorization code is invalid or expired"}
            refresh = self.app.refresh_token
            self._refresh[refresh] = now + self.refresh_ttl
            body = self._grant_body(self._new_access(now))
            if form.get("need_refresh_token", "true") != "false":
                body["refresh_token"] = refresh
                body["refresh_token_timeout"] = compact_time(now + self.refresh_ttl)
            return 200, body
        if grant_type == "refresh_token":
            expires = self._refresh.get(form.get("refresh_token", ""))
            if expires is None or now >= expires:
                return 400, {"error": "invalid_grant", "error_description": "refresh token is invalid or expired"}
            return 200, self._grant_body(self._new_access(now))
        if not grant_type:
            return 400, {"error": "invalid_request", "error_description": "grant_type is required"}
        return 400, {"error": "unsupported_grant_type", "error_description": f"unsupported grant_type {grant_type}"}
