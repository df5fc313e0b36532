"""Who is told what: the notification events, the routing rules and the text people read.

Pure: the ledger queues events (ledger/migrations/0009), the dispatcher
(activities/notification_dispatch.py) asks these rules which channels get an event and what to
say, and the channels (activities/notification_channels.py) carry it.
"""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator


class EventType(StrEnum):
    SIGNED_FOR = "signed_for"                # the seed's "notify the buyer"
    APPROVAL_NEEDED = "approval_needed"
    QC_WAITING = "qc_waiting"
    QC_ESCALATED = "qc_escalated"
    STUCK_SHIPMENT = "stuck_shipment"
    AUTHORISATION_EXPIRED = "authorisation_expired"
    REFUND_REFUSED = "refund_refused"
    FINISHED = "finished"
    ALERT = "alert"                          # any other alert an order raises
    CHANNEL_FAILING = "channel_failing"      # one of our own channels stopped taking messages


TITLES: dict[EventType, str] = {
    EventType.SIGNED_FOR: "货已签收 Goods signed for",
    EventType.APPROVAL_NEEDED: "待审批 Approval needed",
    EventType.QC_WAITING: "待质检 QC waiting",
    EventType.QC_ESCALATED: "质检已升级 QC escalated",
    EventType.STUCK_SHIPMENT: "物流停滞 Shipment stuck",
    EventType.AUTHORISATION_EXPIRED: "1688 授权失效 Authorisation expired",
    EventType.REFUND_REFUSED: "退款被拒 Refund refused",
    EventType.FINISHED: "采购结束 Procurement finished",
    EventType.ALERT: "告警 Alert",
    EventType.CHANNEL_FAILING: "通知渠道失败 Notification channel failing",
}


class Event(BaseModel):
    event_key: str
    event_type: EventType
    workflow_id: str | None = None
    request_id: str | None = None
    requester: str | None = None
    detail: dict[str, Any] = Field(default_factory=dict)


class Message(BaseModel):
    title: str
    text: str                                # plain text; channels that take markdown get it as is


def render(event: Event) -> Message:
    """What a person reads: the headline, the request and requester, and the detail that matters."""
    title = TITLES[event.event_type]
    lines = [f"{title}"]
    if event.request_id:
        lines.append(f"采购单 request: {event.request_id}" + (f" ({event.requester})" if event.requester else ""))
    detail = event.detail
    if event.event_type is EventType.SIGNED_FOR:
        lines.append(f"订单 order {detail.get('order_id')}: {detail.get('company') or ''} {detail.get('tracking_no') or ''}".rstrip())
        lines.append("The warehouse can inspect the goods now.")
    elif event.event_type is EventType.FINISHED:
        lines.append(f"结果 stage: {detail.get('stage')}")
        lines.extend(_outcome_lines(detail.get("outcome")))
    elif event.event_type is EventType.CHANNEL_FAILING:
        lines.append(f"channel {detail.get('channel')} failed {detail.get('attempts')} times "
                     f"({detail.get('error')}); event {detail.get('failed_event')} was not delivered there")
    elif detail.get("text"):
        lines.append(str(detail["text"]))
    elif detail.get("stage"):
        lines.append(f"stage: {detail['stage']}")
    return Message(title=title, text="\n".join(lines))


def _outcome_lines(outcome: Any) -> list[str]:
    """The end summary of a procurement: each line's status and each order's amount."""
    if not isinstance(outcome, dict):
        return []
    lines = []
    for line in outcome.get("lines") or []:
        if isinstance(line, dict):
            lines.append(f"line {line.get('line_id')}: {line.get('status')}"
                         + (f" - {line['reason']}" if line.get("reason") else ""))
    for order in outcome.get("orders") or []:
        if isinstance(order, dict):
            lines.append(f"order {order.get('order_id')}: {order.get('status')} {order.get('amount') or ''}".rstrip())
    return lines


# --- routing -----------------------------------------------------------------------------------

class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WeComChannel(_Strict):
    kind: Literal["wecom"]
    # The robot's URL carries its key (`send?key=...`): whoever has it can post, so it is a secret.
    url: SecretStr
    msgtype: Literal["text", "markdown"] = "markdown"


class DingTalkChannel(_Strict):
    kind: Literal["dingtalk"]
    url: SecretStr                           # carries access_token
    secret: SecretStr | None = None          # "加签" secret (SEC...): signs every message
    msgtype: Literal["text", "markdown"] = "markdown"


class FeishuChannel(_Strict):
    kind: Literal["feishu"]
    url: SecretStr
    secret: SecretStr | None = None          # signature verification secret


class EmailChannel(_Strict):
    kind: Literal["email"]
    smtp_host: str
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    starttls: bool = False
    sender: str = Field(alias="from")
    to: list[str] = Field(min_length=1)


Channel = Annotated[WeComChannel | DingTalkChannel | FeishuChannel | EmailChannel, Field(discriminator="kind")]


class Route(_Strict):
    events: list[EventType | Literal["*"]] = Field(min_length=1)
    requesters: list[str] | None = None      # None: every requester
    channels: list[str] = Field(min_length=1)


class NotificationRoutes(_Strict):
    channels: dict[str, Channel] = Field(default_factory=dict)
    routes: list[Route] = Field(default_factory=list)
    # Where a channel that stopped taking messages is reported (never to itself).
    alert_channels: list[str] = Field(default_factory=list)
    max_attempts: int = Field(default=8, ge=1, le=100)
    first_retry_seconds: float = Field(default=5.0, gt=0)
    max_retry_seconds: float = Field(default=600.0, gt=0)

    @model_validator(mode="after")
    def _known_channels(self) -> "NotificationRoutes":
        named = [c for r in self.routes for c in r.channels] + self.alert_channels
        unknown = sorted({c for c in named if c not in self.channels})
        if unknown:
            raise ValueError(f"routes name channels that are not defined: {', '.join(unknown)}")
        return self


def channels_for(routes: NotificationRoutes, event: Event) -> list[str]:
    """Every channel some route gives this event, each once, in the order the routes name them."""
    if event.event_type is EventType.CHANNEL_FAILING:
        failed = event.detail.get("channel")
        return [c for c in dict.fromkeys(routes.alert_channels) if c != failed]
    chosen: list[str] = []
    for route in routes.routes:
        if "*" not in route.events and event.event_type not in route.events:
            continue
        if route.requesters is not None and event.requester not in route.requesters:
            continue
        chosen.extend(route.channels)
    return list(dict.fromkeys(chosen))


def retry_delay(routes: NotificationRoutes, attempts: int) -> timedelta:
    """Exponential backoff after the given number of failed attempts, capped."""
    seconds = routes.first_retry_seconds * (2 ** max(attempts - 1, 0))
    return timedelta(seconds=min(seconds, routes.max_retry_seconds))


class RoutesError(Exception):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid notification routes:\n" + "\n".join(f"  {p}" for p in problems))


def load_routes(path: Path) -> NotificationRoutes:
    """Read the routes file (YAML); one message per problem, secrets never echoed back."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise RoutesError([f"{path}: cannot read it ({type(error).__name__})"]) from None
    try:
        return NotificationRoutes.model_validate(data)
    except ValidationError as error:
        raise RoutesError([
            f"{path}: {'.'.join(str(p) for p in e['loc']) or '(top)'}: {e['msg']}" for e in error.errors()
        ]) from None
