"""Links into the Temporal Web UI, printed next to every procurement a command touches."""

from __future__ import annotations

from urllib.parse import quote

from runtime.settings import Settings


def ui_base_url(settings: Settings) -> str:
    """PROCURE_UI_URL when set (environment or .env); else the dev server's convention: the UI
    on the gRPC port + 1000."""
    configured = (settings.procure_ui_url or "").strip()
    if configured:
        return configured.rstrip("/")
    host, _, port = settings.temporal_address.rpartition(":")
    return f"http://{host}:{int(port) + 1000}"


def workflow_url(settings: Settings, workflow_id: str, *, base: str | None = None) -> str:
    namespace = quote(settings.temporal_namespace, safe="")
    return f"{base or ui_base_url(settings)}/namespaces/{namespace}/workflows/{quote(workflow_id, safe='')}"
