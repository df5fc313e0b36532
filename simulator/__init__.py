"""A local 1688 Open Platform gateway for the demo and the tests (see docs/1688-wire-format.md).

In process::

    sim = Simulator(load_catalog(path), clock=SimClock.frozen())
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=sim.app), base_url="http://sim")
    # gateway URL: "http://sim/openapi/"

Over HTTP: ``async with serve(sim) as url: ...`` (gateway ``f"{url}/openapi/"``), or ``alibaba-sim``.
"""

from simulator.app import Simulator
from simulator.catalog import Catalog, CatalogError, demo_catalog, load_catalog, parse_catalog
from simulator.clock import SimClock
from simulator.faults import FaultSettings, LostReply
from simulator.generator import generate_catalog

__all__ = ["Catalog", "CatalogError", "FaultSettings", "LostReply", "SimClock", "Simulator", "demo_catalog",
           "generate_catalog", "load_catalog", "parse_catalog"]
