"""``alibaba-sim``: the 1688 gateway simulator as a standalone server.

Exit status: 0 after Ctrl-C, 1 when it cannot listen (e.g. the port is in use), 2 for a bad
catalog or bad arguments.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from simulator.app import Simulator
from simulator.catalog import CatalogError, demo_catalog, load_catalog
from simulator.clock import SimClock
from simulator.faults import FaultSettings
from simulator.generator import generate_catalog
from simulator.server import PortInUse, bind_socket, make_server

DEFAULT_PORT = 8688


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="alibaba-sim", description="A local 1688 Open Platform gateway simulator.")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--catalog", metavar="FILE", help="catalog JSON (INTERFACES.md section 4)")
    source.add_argument("--seed", type=int, metavar="N", help="generate a catalog from seed N (default 1)")
    source.add_argument("--demo", action="store_true", help="use the small demo catalog shipped with the simulator")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=DEFAULT_PORT)
    p.add_argument("--speed", type=float, default=1.0, help="simulated seconds per real second (default 1)")
    p.add_argument("--latency-ms", type=int, default=None, help="fault: added latency per call")
    p.add_argument("--error-rate", type=float, default=None, help="fault: share of calls answered 503")
    p.add_argument("--throttle-rate", type=float, default=None, help="fault: share of calls throttled")
    p.add_argument("--push-url", default=None, help="POST signed push messages to this URL")
    p.add_argument("--log-level", default="warning")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.catalog:
            catalog = load_catalog(args.catalog)
        elif args.demo:
            catalog = demo_catalog()
        else:
            catalog = generate_catalog(args.seed if args.seed is not None else 1)
        overrides = {k: v for k, v in (("latency_ms", args.latency_ms), ("error_rate", args.error_rate),
                                       ("throttle_rate", args.throttle_rate)) if v is not None}
        if overrides:
            catalog = catalog.model_copy(update={"faults": FaultSettings.model_validate(
                {**catalog.faults.model_dump(), **overrides})})
        if args.speed < 0:
            raise ValueError("--speed must be >= 0")
    except CatalogError as exc:
        print(f"alibaba-sim: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"alibaba-sim: {exc}", file=sys.stderr)
        return 2

    try:
        sock = bind_socket(args.host, args.port)
    except PortInUse as exc:
        print(f"alibaba-sim: {exc.strerror}; choose another with --port", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"alibaba-sim: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1

    if args.speed > 1:
        # A fast clock (the demo, end-to-end tests) is for watching orders travel, not tokens
        # expire: at 10 simulated hours a second, 1688's 10-hour access token would expire every
        # second, and a call that had just refreshed it could meet it expired again before it went
        # out. Its lifetime is kept in real time; tests of expiry move a clock that runs at speed 1.
        app = catalog.app.model_copy(update={"access_token_ttl_seconds": int(catalog.app.access_token_ttl_seconds * args.speed)})
        catalog = catalog.model_copy(update={"app": app})
    sim = Simulator(catalog, clock=SimClock(speed=args.speed))
    sim.ticker_interval = 0.5
    sim.push.url = args.push_url
    port = sock.getsockname()[1]
    base = f"http://{args.host}:{port}"
    print(f"alibaba-sim: 1688 gateway at {base}/openapi/  (app key {catalog.app.app_key}, "
          f"{len(catalog.offers)} offers, {len(catalog.suppliers)} suppliers, clock x{args.speed:g})", flush=True)
    print(f"alibaba-sim: admin at {base}/_sim/  (orders, payments, refunds, calls, advance, faults); Ctrl-C to stop",
          flush=True)
    server = make_server(sim, log_level=args.log_level)
    try:
        asyncio.run(server.serve(sockets=[sock]))
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
    print("alibaba-sim: stopped", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
