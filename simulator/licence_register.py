"""A licence register beside the gateway: business licence and permits by login id.

Not part of 1688. The open platform's published APIs give a seller's company and figures
(``crossBasic``, product detail) but no licence validity or permits (docs/compliance.md, checked
against the API list of the cross-border solution, 2026-11-28), so the compliance refresh asks a
register for them: in production the company's supplier file or a service over the national
enterprise credit system; here, this. Its one reply shape is ours, documented in
docs/compliance.md::

    GET /licence-register/v1/companies/{login_id}
    200 {"loginId", "companyName", "licence": {"expiresOn": "YYYY-MM-DD" | null},
         "permits": [{"name", "expiresOn"}]}
    404 {"error": "..."} for a company the register does not know

The knob ``POST /_sim/licences`` with ``{"login_id": "...", "expires_on": "YYYY-MM-DD"}`` (or
``{"login_id": "...", "expired_days_ago": 1}``, days before today by the wall clock (UTC): the
refresh judges by Temporal's clock, which the simulator's may run ahead of) changes a supplier's
licence, so a test or a demo can make one expire.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

if TYPE_CHECKING:
    from simulator.app import Simulator


class LicenceChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    login_id: str = Field(min_length=1)
    expires_on: date | None = None
    expired_days_ago: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _one(self) -> "LicenceChange":
        if (self.expires_on is None) == (self.expired_days_ago is None):
            raise ValueError("give exactly one of expires_on or expired_days_ago")
        return self


def licence_routes(sim: "Simulator") -> list[Route]:
    async def company(request: Request) -> JSONResponse:
        login_id = request.path_params["login_id"]
        supplier = next((s for s in sim.market.catalog.suppliers if s.login_id == login_id), None)
        if supplier is None:
            return JSONResponse({"error": f"no company with login id {login_id}"}, status_code=404)
        return JSONResponse({
            "loginId": supplier.login_id,
            "companyName": supplier.company_name,
            "licence": {"expiresOn": supplier.license_expires_on.isoformat()},
            "permits": [{"name": p.name, "expiresOn": p.expires_on.isoformat() if p.expires_on else None}
                        for p in supplier.permits],
        })

    async def change(request: Request) -> JSONResponse:
        try:
            body = LicenceChange.model_validate(json.loads(await request.body() or b"{}"))
        except (ValidationError, ValueError) as exc:
            return JSONResponse({"error": f"bad licence change: {exc}"}, status_code=400)
        suppliers = sim.market.catalog.suppliers
        index = next((i for i, s in enumerate(suppliers) if s.login_id == body.login_id), None)
        if index is None:
            return JSONResponse({"error": f"no supplier with login id {body.login_id}"}, status_code=404)
        today = datetime.now(timezone.utc).date()
        expires = body.expires_on or (today - timedelta(days=body.expired_days_ago or 0))
        suppliers[index] = suppliers[index].model_copy(update={"license_expires_on": expires})
        return JSONResponse({"login_id": body.login_id, "license_expires_on": expires.isoformat()})

    return [
        Route("/licence-register/v1/companies/{login_id}", company, methods=["GET"]),
        Route("/_sim/licences", change, methods=["POST"]),
    ]
