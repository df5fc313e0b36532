"""Before/after for the ranking hot path: `source_request` on the sourcing benchmark's 200 x 50
input, timed in CPU seconds, from the `domain` package found under ROOT (a checkout or a
`git archive` of another commit). Run it for two roots alternately in fresh processes so both see
the same load:

    git archive 16caa0f domain | tar -x -C /tmp/before
    for i in 1 2 3 4 5; do .venv/bin/python bench/sourcing_ab.py /tmp/before 5; .venv/bin/python bench/sourcing_ab.py . 5; done

Prints the minimum and the median CPU milliseconds of RUNS runs.
"""

import gc
import random
import sys
import time
from pathlib import Path

root = str(Path(sys.argv[1]).resolve())
sys.path.insert(0, root)
sys.path.insert(1, str(Path(__file__).resolve().parent))
import sourcing_bench as sb
import domain.ranking as r
assert r.__file__.startswith(root), r.__file__
from pydantic import TypeAdapter
from domain.offer import Listing
rng = random.Random(1688)
request = sb.make_request(rng)
suppliers = [sb.make_supplier(rng, n) for n in range(sb.SUPPLIERS)]
raw = {line.line_id: [sb.make_listing(rng, number, i, suppliers) for i in range(sb.LISTINGS_PER_LINE)] for number, line in enumerate(request.lines)}
listings = TypeAdapter(dict[str, list[Listing]]).validate_python(raw)
r.source_request(request, listings, today=sb.TODAY)
ts=[]
for _ in range(int(sys.argv[2])):
    gc.collect(); t=time.process_time(); r.source_request(request, listings, today=sb.TODAY); ts.append(time.process_time()-t)
print(f"{min(ts)*1000:.1f} {sorted(ts)[len(ts)//2]*1000:.1f}")
