"""/qc/: the warehouse's QC screen, plain HTML and JavaScript shipped inside this package.

Nothing is built or downloaded: three files in `api/qc/`. The page signs in with a warehouse key
(typed in, or carried by a short-lived link `/qc/#key=...`; a fragment never reaches a server or
its logs), keeps it for the browser tab only, and calls the same /v1 endpoints as any client,
so the order's own validator decides and its refusal is shown as it was given.
"""

from __future__ import annotations

from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

SCREEN_DIR = Path(__file__).with_name("qc")
_FILES = {"": ("index.html", "text/html; charset=utf-8"), "qc.js": ("qc.js", "text/javascript; charset=utf-8"),
          "qc.css": ("qc.css", "text/css; charset=utf-8")}
# Only our own files may run or load; no page may frame the screen; a link's key stays here.
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
                               "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


async def screen_file(request: Request) -> Response:
    name = request.path_params.get("name", "")
    if name not in _FILES:
        return Response("not found", status_code=404, media_type="text/plain")
    file_name, media_type = _FILES[name]
    return FileResponse(SCREEN_DIR / file_name, media_type=media_type, headers=HEADERS)


async def to_screen(request: Request) -> Response:
    return RedirectResponse("/qc/", status_code=308)


routes = [
    Route("/qc", to_screen, methods=["GET"]),
    Route("/qc/", screen_file, methods=["GET"]),
    Route("/qc/{name}", screen_file, methods=["GET"]),
]
