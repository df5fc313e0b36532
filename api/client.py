"""A small client of the HTTP API for our own tools: `procure demo` sends its QC through it."""

from __future__ import annotations

import httpx

from api.schemas import QcTaken
from domain.messages import QcInput
from starter.exit_status import CommandError


class ApiRefused(CommandError):
    """The API answered with an error: its status, and its own words as the message."""

    def __init__(self, status: int, error: str) -> None:
        super().__init__(f"{status}: {error}")
        self.status = status


class ApiClient:
    def __init__(self, base_url: str, key: str, *, timeout: float = 60.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {key}"}
        self._timeout = timeout

    async def send_qc(self, qc: QcInput) -> QcTaken:
        """The warehouse's result for one order, as `procure qc` sends it; ApiRefused when the API
        or the order says no."""
        body = qc.model_dump(mode="json", exclude={"order_id"})
        async with httpx.AsyncClient(base_url=self.base_url, headers=self._headers, timeout=self._timeout) as http:
            response = await http.post(f"/v1/orders/{qc.order_id}/qc", json=body)
        if response.status_code != 200:
            try:
                error = str(response.json().get("error"))
            except ValueError:
                error = response.text[:200]
            raise ApiRefused(response.status_code, error)
        return QcTaken.model_validate(response.json())
