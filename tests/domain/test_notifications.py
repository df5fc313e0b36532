"""Routing, backoff, text and the routes file of notifications (pure rules)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from domain.notifications import (
    Event, EventType, NotificationRoutes, RoutesError, channels_for, load_routes, render, retry_delay,
)

ROUTES = NotificationRoutes.model_validate({
    "channels": {
        "ops": {"kind": "dingtalk", "url": "https://oapi.dingtalk.com/robot/send?access_token=T", "secret": "SEC1"},
        "store17": {"kind": "wecom", "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K"},
        "mail": {"kind": "email", "smtp_host": "smtp.example.com", "from": "procure@example.com", "to": ["b@example.com"]},
    },
    "routes": [
        {"events": ["signed_for", "finished"], "requesters": ["store-17"], "channels": ["store17", "mail"]},
        {"events": ["*"], "channels": ["ops"]},
        {"events": ["signed_for"], "channels": ["mail"]},
    ],
    "alert_channels": ["ops", "mail"],
})


def event(kind: EventType, requester: str | None = "store-17", **detail) -> Event:
    return Event(event_key=f"k-{kind}", event_type=kind, request_id="PR-1", requester=requester, detail=detail)


def test_routes_by_event_type_and_requester_each_channel_once() -> None:
    assert channels_for(ROUTES, event(EventType.SIGNED_FOR)) == ["store17", "mail", "ops"]
    assert channels_for(ROUTES, event(EventType.SIGNED_FOR, requester="store-9")) == ["ops", "mail"]
    assert channels_for(ROUTES, event(EventType.QC_ESCALATED)) == ["ops"]


def test_a_failing_channel_is_reported_on_the_alert_channels_but_never_to_itself() -> None:
    failing = event(EventType.CHANNEL_FAILING, channel="ops")
    assert channels_for(ROUTES, failing) == ["mail"]


def test_backoff_doubles_and_is_capped() -> None:
    routes = ROUTES.model_copy(update={"first_retry_seconds": 5.0, "max_retry_seconds": 30.0})
    assert [retry_delay(routes, n) for n in (1, 2, 3, 4, 9)] == [
        timedelta(seconds=s) for s in (5, 10, 20, 30, 30)]


def test_the_finished_text_carries_the_summary_per_line_and_order() -> None:
    text = render(event(EventType.FINISHED, stage="COMPLETED", outcome={
        "lines": [{"line_id": "1", "status": "received"}, {"line_id": "2", "status": "failed", "reason": "no stock"}],
        "orders": [{"order_id": "9001", "status": "COMPLETED", "amount": "1490.00"}],
    })).text
    assert "PR-1 (store-17)" in text and "COMPLETED" in text
    assert "line 2: failed - no stock" in text and "order 9001: COMPLETED 1490.00" in text


def test_every_event_type_has_a_title() -> None:
    for kind in EventType:
        assert render(event(kind, text="x")).title


def test_the_routes_file_names_each_problem_and_never_echoes_a_secret(tmp_path: Path) -> None:
    path = tmp_path / "routes.yaml"
    path.write_text(
        "channels:\n"
        "  a: {kind: dingtalk, url: 'https://x/robot/send?access_token=TOPSECRET', secret: SECxyz}\n"
        "  b: {kind: pigeon, url: 'u'}\n"
        "routes:\n"
        "  - {events: [signed_for], channels: [a, nowhere]}\n", encoding="utf-8")
    with pytest.raises(RoutesError) as caught:
        load_routes(path)
    text = str(caught.value)
    assert "channels.b" in text
    assert "TOPSECRET" not in text and "SECxyz" not in text
    path.write_text("channels:\n  a: {kind: wecom, url: 'https://x?key=K'}\nroutes:\n"
                    "  - {events: [signed_for], channels: [a, nowhere]}\n", encoding="utf-8")
    with pytest.raises(RoutesError, match="not defined: nowhere"):
        load_routes(path)
    path.write_text("routes:\n  - {events: [signed_fr], channels: [a]}\n", encoding="utf-8")
    with pytest.raises(RoutesError, match="events"):
        load_routes(path)


def test_secrets_do_not_show_in_the_settings_repr() -> None:
    assert "SEC1" not in repr(ROUTES) and "access_token=T" not in repr(ROUTES)
