"""1688 never reuses an order id: neither after a reset nor after the simulator restarts."""

from simulator import SimClock, demo_catalog
from simulator.market import Market


def test_order_ids_keep_growing_across_a_reset():
    market = Market(demo_catalog(), SimClock.frozen())
    first = market.new_order_id()
    market.reset()
    assert market.new_order_id() > first


def test_a_restarted_simulator_does_not_hand_out_the_same_ids(monkeypatch):
    monkeypatch.setattr("simulator.market.time.time", lambda: 1_800_000_000.0)
    before = Market(demo_catalog(), SimClock.frozen()).new_order_id()
    monkeypatch.setattr("simulator.market.time.time", lambda: 1_800_000_060.0)
    after = Market(demo_catalog(), SimClock.frozen()).new_order_id()
    assert before != after
    assert min(before, after) > 2**53  # still too large for a float, as on the real platform
