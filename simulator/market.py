"""The simulated market's state: stock, orders, payments, refunds, and the events they raise.

One object holds it all so that reset, snapshot and the single mutation lock have one home. The
business rules live next to the APIs that expose them (orders, payments, refunds, logistics);
this module only keeps the books and moves time forward.
"""

from __future__ import annotations

import time

from datetime import datetime
from decimal import Decimal
from typing import Any

from simulator import refunds
from simulator.inquiries import Inquiries
from simulator.catalog import Catalog, Offer, Supplier
from simulator.clock import SimClock
from simulator.logistics import apply_transition, next_transition
from simulator.orders import Order, Payment, Refund

# Order ids are above 2^53 like the real ones (about 19 digits), so a client that parses them as
# JSON doubles loses precision here exactly as it would in production.
ORDER_ID_BASE = 3_701_234_567_000_000_000
ORDER_ID_STEP = 10_007  # > 50 entries per order, so entry ids (order id + n) never collide
ORDER_ID_SPAN = 10_000_000_000  # room for ~1e6 orders per simulator start


class Market:
    def __init__(self, catalog: Catalog, clock: SimClock) -> None:
        self.catalog = catalog
        self.clock = clock
        # Where people reach this simulator (for the cashier link); updated from each request.
        self.public_url = "http://127.0.0.1:8688"
        # 1688 never reuses an order id. Numbering from the start time (and never restarting
        # within a process, not even on reset) keeps a restarted simulator from handing out ids
        # that a ledger already holds for other orders.
        self._order_id_base = ORDER_ID_BASE + (int(time.time()) % 10_000_000) * ORDER_ID_SPAN
        self._order_seq = 0
        self.reset()

    def reset(self) -> None:
        self.stock: dict[tuple[str, str], int] = {
            (offer.offer_id, sku.spec_id): sku.stock for offer in self.catalog.offers for sku in offer.skus
        }
        self.orders: dict[int, Order] = {}
        self.payments: list[Payment] = []
        self.refunds: list[Refund] = []
        self.events: list[dict[str, Any]] = []
        self._refund_seq = 0
        self._event_seq = 1000
        self.shipment_seq = 0
        self.inquiries = Inquiries()

    # --- lookups -------------------------------------------------------------------------------
    def supplier_of(self, offer: Offer) -> Supplier:
        supplier = self.catalog.supplier(offer.supplier_id)
        assert supplier is not None, "catalog validation guarantees every offer's supplier exists"
        return supplier

    def supplier(self, member_id: str) -> Supplier:
        supplier = self.catalog.supplier(member_id)
        assert supplier is not None
        return supplier

    def order(self, order_id: int) -> Order | None:
        return self.orders.get(order_id)

    def orders_by_out_id(self, out_order_id: str) -> list[Order]:
        """Newest first, so a lookup after a lost reply finds the latest attempt."""
        found = [o for o in self.orders.values() if o.out_order_id == out_order_id]
        return sorted(found, key=lambda o: (o.created_at, o.order_id), reverse=True)

    # --- ids -----------------------------------------------------------------------------------
    def new_order_id(self) -> int:
        self._order_seq += 1
        return self._order_id_base + self._order_seq * ORDER_ID_STEP

    def new_refund_id(self) -> str:
        self._refund_seq += 1
        return f"TQ{37_000_000_000_000 + self._refund_seq}"

    # --- money movements ----------------------------------------------------------------------
    def record_refund(self, order: Order, amount: Decimal, carriage: Decimal, reason: str, *, reason_id: int | None,
                      dispute_request: str, goods_status: str | None, description: str, kind: str,
                      at: datetime, status: str = "refundsuccess", entry_ids: list[int] | None = None,
                      entry_counts: dict[int, int] | None = None) -> Refund:
        """Book a refund. Money counts as refunded only once its status is ``refundsuccess``
        (at once for a seller closing the order; when the seller gets to it for a buyer's request)."""
        refund = Refund(refund_id=self.new_refund_id(), order_id=order.order_id, amount=amount, carriage=carriage,
                        reason=reason, reason_id=reason_id, dispute_request=dispute_request,
                        goods_status=goods_status, description=description, kind=kind, created_at=at,
                        status=status, changed_at=at, entry_ids=list(entry_ids or []),
                        entry_counts=dict(entry_counts or {}))
        self.refunds.append(refund)
        if status == "refundsuccess":
            refund.completed_at = at
            order.refunded += amount + carriage
        return refund

    def refunds_of(self, order_id: int) -> list[Refund]:
        """The buyer's refund requests on one order (a seller closing the order files none), oldest first."""
        return [r for r in self.refunds if r.order_id == order_id and r.kind == "buyer"]

    def refund(self, refund_id: str) -> Refund | None:
        return next((r for r in self.refunds if r.refund_id == refund_id and r.kind == "buyer"), None)

    def return_stock(self, order: Order) -> None:
        for offer_id, spec_id, quantity in order.stock_taken:
            self.stock[(offer_id, spec_id)] += quantity
        order.stock_taken = []

    # --- events (push messages) ----------------------------------------------------------------
    def emit(self, topic: str, order: Order, at: datetime, **data: Any) -> None:
        self._event_seq += 1
        self.events.append({
            "msgId": self._event_seq,
            "gmtBorn": int(at.timestamp() * 1000),
            "type": topic,
            "userInfo": self.catalog.app.buyer_member_id,
            "bizKey": str(order.order_id),
            "data": {"orderId": order.order_id, "currentStatus": order.status,
                     "buyerMemberId": self.catalog.app.buyer_member_id, "sellerMemberId": order.supplier_id,
                     "msgSendTime": at.strftime("%Y-%m-%d %H:%M:%S"), **data},
        })

    # --- time ----------------------------------------------------------------------------------
    def catch_up(self, now: datetime | None = None) -> list[dict[str, Any]]:
        """Apply every order and refund transition that has become due by ``now``, each at its own due time."""
        now = now or self.clock.now()
        done: list[dict[str, Any]] = []
        for order in list(self.orders.values()):
            while (due := next_transition(self, order)) is not None and due[0] <= now:
                done.append(apply_transition(self, order, due[1], due[0]))
        done += refunds.catch_up(self, now)
        return done

    def step(self, steps: int = 1) -> list[dict[str, Any]]:
        """Force every order (and every waiting refund) ``steps`` transitions forward now, whatever
        their schedule says."""
        now = self.clock.now()
        done: list[dict[str, Any]] = []
        for _ in range(steps):
            for order in list(self.orders.values()):
                due = next_transition(self, order)
                if due is not None:
                    done.append(apply_transition(self, order, due[1], now))
            done += refunds.step(self, now)
        return done
