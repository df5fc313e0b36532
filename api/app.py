"""The ASGI application: the /v1 routes, the QC screen, and the two open documents."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api import orders, purchase_requests, qc_screen, rfqs, stock_levels
from api.endpoint import Services
from api.openapi import document


def create_app(services: Services) -> Starlette:
    openapi = document()  # built once: it depends on the code only

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def openapi_json(request: Request) -> Response:
        return JSONResponse(openapi)

    async def http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        return JSONResponse({"error": error.detail}, status_code=error.status_code, headers=error.headers)

    app = Starlette(
        routes=[
            Route("/v1/health", health, methods=["GET"]),
            Route("/v1/openapi.json", openapi_json, methods=["GET"]),
            *purchase_requests.routes,
            *orders.routes,
            *stock_levels.routes,
            *rfqs.routes,
            *qc_screen.routes,
        ],
        exception_handlers={HTTPException: http_error},
    )
    app.state.services = services
    return app
