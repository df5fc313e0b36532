"""Joint basket choice: the offer (and SKU) for every line together, at the lowest total landed cost.

Choosing per line (`order_plan.plan_orders`) costs every line's freight as if it were ordered
alone. 1688 charges freight per order, mixed-batch minimums are met across lines, MOQs and tiers
count what is ordered of an offer: two lines bought from one supplier can beat the two per-line
winners. `choose_basket` looks at every line's shortlisted candidates together.

**The cost model** (what "total" means; `evaluate` is its one implementation):
- the lines going to one supplier are grouped in request order into orders of at most 50 lines
  (`MAX_LINES_PER_ORDER`, 1688's limit), exactly as `plan_orders` groups them;
- in an order, an offer's unit price is its tier price at the pieces ordered of that offer in the
  order (a SKU quoted at its own price keeps it); goods = price x quantity per line;
- the invoice surcharge is the offer's rate times the goods when the request needs a VAT invoice;
- an order's freight is the dearest of its lines' freight rules at the order's pieces (one parcel);
- an offer ordered below its MOQ needs its supplier's mixed-batch minimum met by the whole order
  (goods amount and pieces), else the basket is infeasible; what is taken of one SKU stays within
  its stock; failed (line, offer) choices and failed suppliers are not candidates. Eligibility
  (supplier policy, blocked suppliers, price range, licence...) is decided per line by
  `ranking.source_line`: only its candidates are considered.

**The objective**, compared as a tuple so the choice is total and deterministic: fewest lines left
unbought, then the lowest total (exact `Decimal`, no tolerance), then the highest sum of supplier
scores (the buyer's tie-break), then the better ranks in request order.

**Why an exact branch-and-bound and not a MILP solver (HiGHS, CP-SAT).** The order freight is the
*maximum* of several step functions of the order's pieces, the orders are cut by position in request
order, and the tie-breaks are lexicographic. Each is expressible in a MILP only with big-M
indicator constraints and a float objective whose tolerances (HiGHS' default relative gap is 1e-4)
would have to be argued away to call the answer exact and equal to brute force to the fen. A
search over the same `evaluate` that a brute force uses is exact by construction, needs no native
dependency in the workflow sandbox, and is bounded by a *node count*, not a clock, so its answer
never depends on the machine's speed: it can run inside workflow code.

**The search.** Lines that share no candidate supplier cannot affect each other's cost, so the
basket splits into independent components, solved smallest first. In a component lines are
assigned in request order (so earlier orders never change when later lines join) and every node is
bounded by: freight of the orders so far (it only grows as lines join), plus every assigned line's
goods at the lowest price its offer can reach (its tier at every piece the lines that could buy it
ask for), plus for every unassigned line its cheapest such
goods with, at a supplier not yet in the basket, a share of that supplier's least freight (split
over all the lines that could go there, so the shares never add up to more than one freight).
The per-line plan's choice is the first incumbent, so the answer is never worse than it.

**The budget and the fallback.** The search stops after `node_budget` nodes (default
`NODE_BUDGET`). A component not finished by then keeps the best basket found (at worst the
per-line plan's choice); the result then says `optimal=False` with `gap`, the distance between its
total and the proven lower bound. Each leaf of the search evaluates the whole component, so on a
200-line request whose lines share their suppliers the budget takes seconds (bench/sourcing_bench.py,
"dense"): the procurement runs the solver of a large request as a local activity, outside its
workflow task (activities/basket.py), and records the answer once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal, localcontext
from typing import NamedTuple, Protocol

from pydantic import BaseModel, ConfigDict

from domain.landed_cost import tier_price
from domain.money import ARITHMETIC, Yuan
from domain.prevalidated import prevalidated
from domain.order_plan import (
    MAX_LINES_PER_ORDER,
    OrderPlan,
    PlanTerms,
    PlannedLine,
    PlannedOrder,
    UnplannedLine,
    plan_orders,
    why_unplanned,
)
from domain.ranking import Candidate, LineSourcing
from domain.request import Price, RequestLine

NODE_BUDGET = 20_000

_RESULT = ConfigDict(extra="ignore", frozen=True)
_ZERO = Decimal("0.00")


class BasketChoice(BaseModel):
    """The chosen plan, whether it is proven optimal, and what it is compared against."""

    model_config = _RESULT

    plan: OrderPlan
    optimal: bool
    gap: Yuan  # 0 when optimal; otherwise total minus the proven lower bound
    lower_bound: Yuan
    nodes: int
    per_line_plan_total: Yuan  # what `plan_orders` (each line on its own) would have cost
    headline_total: Yuan  # each line at its lowest headline (listed unit) price, no freight or tax
    own_best_total: Yuan  # each line at its own best landed cost, freight counted per line


class BasketTerms(PlanTerms, Protocol):
    """What the basket needs of a request (a `PurchaseRequest` or a `BasketQuestion`)."""

    @property
    def needs_vat_invoice(self) -> bool: ...


class BasketQuestion(BaseModel):
    """`choose_basket`'s input, as the procurement sends it to the solver's local activity: no
    delivery address or policy, and each line's excluded offers only where the line has no
    candidate (the one place the answer reads them: why a line cannot be bought)."""

    model_config = _RESULT

    lines: list[RequestLine]
    needs_vat_invoice: bool
    budget: Price | None
    sourcings: list[LineSourcing]

    @classmethod
    def of(cls, terms: BasketTerms, sourcings: Sequence[LineSourcing]) -> BasketQuestion:
        # Built from validated values without validating them again (thousands of candidates, in
        # the workflow task that plans).
        return prevalidated(
            cls, lines=list(terms.lines), needs_vat_invoice=terms.needs_vat_invoice, budget=terms.budget,
            sourcings=[s.model_copy(update={"excluded": [], "suppliers": {}}) if s.ranked else s for s in sourcings],
        )


class Evaluation(NamedTuple):
    """The exact figures of one assignment (line -> candidate or None)."""

    feasible: bool
    key: tuple  # (unplanned, total, -score sum, ranks): smaller is better
    total: Decimal
    orders: list[PlannedOrder]


def evaluate(
    lines: Sequence[RequestLine],
    choice: Sequence[Candidate | None],
    *,
    needs_vat_invoice: bool,
) -> Evaluation:
    """The cost model of the module docstring for one assignment, in request order."""
    feasible, key, raw = _figures(lines, choice, needs_vat_invoice)
    orders = []
    for supplier_id, part, chosen, priced, pieces, freight in raw:
        planned = [
            PlannedLine(line_id=line.line_id, offer_id=c.offer_id, spec_id=c.spec_id, quantity=line.quantity,
                        unit_price=price, goods_total=goods, tax=tax, rank=c.rank, below_moq=below)
            for (line, c), (price, goods, tax, below) in zip(chosen, priced)
        ]
        goods = sum((pl.goods_total for pl in planned), _ZERO)
        tax = sum((pl.tax for pl in planned), _ZERO)
        orders.append(PlannedOrder(supplier_id=supplier_id, part=part, lines=planned, pieces=pieces,
                                   goods_total=goods, freight=freight, tax=tax, total=goods + freight + tax))
    return Evaluation(feasible, key, key[1], orders)


def cost_key(
    lines: Sequence[RequestLine], choice: Sequence[Candidate | None], *, needs_vat_invoice: bool
) -> tuple[bool, tuple]:
    """(feasible, key) of `evaluate` without building the plan: what a search compares."""
    feasible, key, _ = _figures(lines, choice, needs_vat_invoice)
    return feasible, key


def _figures(lines: Sequence[RequestLine], choice: Sequence[Candidate | None], invoice: bool) -> tuple[bool, tuple, list]:
    with localcontext(ARITHMETIC):
        by_supplier: dict[str, list[tuple[RequestLine, Candidate]]] = {}
        for line, candidate in zip(lines, choice):
            if candidate is not None:
                by_supplier.setdefault(candidate.supplier_id, []).append((line, candidate))
        feasible = True
        taken: dict[tuple[str, str | None], int] = {}
        raw = []
        total = _ZERO
        for supplier_id, chosen in by_supplier.items():
            for part, start in enumerate(range(0, len(chosen), MAX_LINES_PER_ORDER), start=1):
                batch = chosen[start:start + MAX_LINES_PER_ORDER]
                per_offer: dict[str, int] = {}
                for line, candidate in batch:
                    per_offer[candidate.offer_id] = per_offer.get(candidate.offer_id, 0) + line.quantity
                pieces = sum(line.quantity for line, _ in batch)
                priced = []
                goods_sum = _ZERO
                for line, candidate in batch:
                    ordered = per_offer[candidate.offer_id]
                    price = _price(candidate, ordered)
                    goods = price * line.quantity
                    tax = goods * candidate.tax_rate if invoice else _ZERO
                    below = ordered < candidate.min_order_quantity
                    priced.append((price, goods, tax, below))
                    goods_sum += goods
                    total += goods + tax
                freight = max(candidate.freight_rule.cost(pieces) for _, candidate in batch)
                total += freight
                for (_, candidate), (_, _, _, below) in zip(batch, priced):
                    if below and (candidate.mix_batch is None or not candidate.mix_batch.is_met(goods_sum, pieces)):
                        feasible = False
                raw.append((supplier_id, part, batch, priced, pieces, freight))
            for line, candidate in chosen:
                sku = (candidate.offer_id, candidate.spec_id)
                taken[sku] = taken.get(sku, 0) + line.quantity
                if candidate.stock is not None and taken[sku] > candidate.stock:
                    feasible = False
        unplanned = sum(1 for candidate in choice if candidate is None)
        score = sum((c.score for c in choice if c is not None), Decimal(0))
        ranks = tuple(c.rank if c is not None else 10**6 for c in choice)
        return feasible, (unplanned, total, -score, ranks), raw


def _price(candidate: Candidate, ordered: int) -> Decimal:
    if not candidate.price_tiers:
        return candidate.unit_price
    return tier_price(candidate.price_tiers, ordered)


def choose_basket(
    request: BasketTerms,
    sourcings: Sequence[LineSourcing],
    *,
    exclude: Iterable[Sequence[str]] = (),
    exclude_suppliers: Iterable[str] = (),
    node_budget: int = NODE_BUDGET,
) -> BasketChoice:
    """The cheapest basket over every line's candidates (see the module docstring)."""
    exclude = [tuple(str(part) for part in pair) for pair in exclude]
    exclude_suppliers = set(exclude_suppliers)
    failed = set(exclude)
    lines = list(request.lines)
    by_line = {s.line_id: s for s in sourcings}
    options: list[list[Candidate]] = []
    for line in lines:
        sourcing = by_line.get(line.line_id)
        ranked = sourcing.ranked if sourcing is not None else []
        options.append([c for c in ranked if (line.line_id, c.offer_id) not in failed
                        and c.supplier_id not in exclude_suppliers])

    per_line = plan_orders(request, sourcings, exclude=exclude, exclude_suppliers=exclude_suppliers)
    seed_offer = {pl.line_id: pl.offer_id for order in per_line.orders for pl in order.lines}
    seed = [next((c for c in opts if c.offer_id == seed_offer.get(line.line_id)), None)
            for line, opts in zip(lines, options)]

    search = _Search(lines, options, request.needs_vat_invoice, node_budget)
    choice: list[Candidate | None] = [None] * len(lines)
    optimal = True
    gap = _ZERO
    lower = _ZERO
    for component in _components(options):
        best, proven, bound = search.solve(component, [seed[i] for i in component])
        for i, candidate in zip(component, best):
            choice[i] = candidate
        lower += bound
        if not proven:
            optimal = False
    result = evaluate(lines, choice, needs_vat_invoice=request.needs_vat_invoice)
    if not optimal:
        gap = max(_ZERO, result.total - lower)
    else:
        lower = result.total

    unplanned = [
        UnplannedLine(line_id=line.line_id, reason=_why_not_bought(line, by_line.get(line.line_id), options[i],
                                                                    per_line, exclude_suppliers, failed))
        for i, line in enumerate(lines) if choice[i] is None
    ]
    goods = sum((o.goods_total for o in result.orders), _ZERO)
    freight = sum((o.freight for o in result.orders), _ZERO)
    tax = sum((o.tax for o in result.orders), _ZERO)
    plan = OrderPlan(orders=result.orders, unplanned=unplanned, goods_total=goods, freight=freight, tax=tax,
                     total=result.total, over_budget=request.budget is not None and result.total > request.budget)
    bought = [(line, opts) for line, opts, c in zip(lines, options, choice) if c is not None]
    return BasketChoice(
        plan=plan, optimal=optimal, gap=gap, lower_bound=lower, nodes=search.nodes,
        per_line_plan_total=per_line.total,
        headline_total=sum((min(c.unit_price for c in opts) * line.quantity for line, opts in bought), _ZERO),
        own_best_total=sum((min(c.total for c in opts) for _, opts in bought), _ZERO),
    )


def _why_not_bought(
    line: RequestLine,
    sourcing: LineSourcing | None,
    options: list[Candidate],
    per_line: OrderPlan,
    failed_suppliers: set[str],
    failed: set[tuple[str, ...]],
) -> str:
    own = next((u.reason for u in per_line.unplanned if u.line_id == line.line_id), None)
    if not options or sourcing is None:
        return own or why_unplanned(line, sourcing, failed_suppliers, {})
    return own or (f"none of its {len(options)} remaining candidates fits a basket that 1688 accepts "
                   "(mixed-batch minimums, stock)")


def _components(options: list[list[Candidate]]) -> list[list[int]]:
    """Lines linked by a shared candidate supplier, smallest group first, then by first line."""
    parent = list(range(len(options)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_line: dict[str, int] = {}
    for i, opts in enumerate(options):
        for candidate in opts:
            j = first_line.setdefault(candidate.supplier_id, i)
            parent[root(i)] = root(j)
    groups: dict[int, list[int]] = {}
    for i in range(len(options)):
        groups.setdefault(root(i), []).append(i)
    return sorted(groups.values(), key=lambda group: (len(group), group[0]))


class _Search:
    """Depth-first branch-and-bound over one component at a time, sharing one node budget."""

    def __init__(self, lines: list[RequestLine], options: list[list[Candidate]], needs_vat_invoice: bool,
                 node_budget: int) -> None:
        self.lines = lines
        self.options = options
        self.invoice = needs_vat_invoice
        self.budget = node_budget
        self.nodes = 0

    def _goods_floor(self, line: RequestLine, candidate: Candidate, most: int) -> Decimal:
        # The offer's price can fall no lower than its tier at `most`, every piece that the lines
        # which could buy it ask for.
        goods = _price(candidate, most) * line.quantity
        return goods + goods * candidate.tax_rate if self.invoice else goods

    def solve(self, component: list[int], seed: list[Candidate | None]) -> tuple[list[Candidate | None], bool, Decimal]:
        """(best choice for the component's lines, proven optimal, lower bound of its total)."""
        lines = [self.lines[i] for i in component]
        options = [self.options[i] for i in component]
        with localcontext(ARITHMETIC):
            most: dict[str, int] = {}
            for line, opts in zip(lines, options):
                for offer_id in {c.offer_id for c in opts}:
                    most[offer_id] = most.get(offer_id, 0) + line.quantity
            floors = [[self._goods_floor(line, c, most[c.offer_id]) for c in opts] for line, opts in zip(lines, options)]
            # A supplier not yet in the basket costs at least its cheapest freight F for one line; the
            # n lines that could go there share it, F / n each, and no more than n of them can go.
            floor_freight: dict[str, Decimal] = {}
            reach: dict[str, dict[int, Decimal]] = {}  # supplier -> line -> its cheapest goods there
            for k, (line, opts) in enumerate(zip(lines, options)):
                for candidate, floor in zip(opts, floors[k]):
                    s = candidate.supplier_id
                    cost = candidate.freight_rule.cost(line.quantity)
                    floor_freight[s] = min(floor_freight.get(s, cost), cost)
                    reach.setdefault(s, {})
                    reach[s][k] = min(reach[s].get(k, floor), floor)
            share = {s: floor_freight[s] / len(reach[s]) for s in reach}
            # contrib[k]: the least line k can add once it is bought (goods at its best price, plus its
            # share of a new supplier's freight, or nothing more at a supplier already in the basket)
            contrib = [min((f + share[c.supplier_id] for f, c in zip(floors[k], options[k])), default=_ZERO)
                       for k in range(len(lines))]
            root_bound = sum(contrib, _ZERO)

            best: list[list[Candidate | None]] = [list(seed)]
            feasible, key = cost_key(lines, seed, needs_vat_invoice=self.invoice)
            best_key: list[tuple | None] = [key if feasible else None]
            if not feasible:
                # Buying nothing is always feasible: the worst basket, never the answer while any is better.
                best[0] = [None] * len(lines)
                best_key[0] = cost_key(lines, best[0], needs_vat_invoice=self.invoice)[1]
            choice: list[Candidate | None] = [None] * len(lines)
            # supplier -> (lines so far, freight of closed orders, pieces of the open order, its candidates)
            open_orders: dict[str, tuple[int, Decimal, int, tuple[Candidate, ...]]] = {}
            exhausted = False

            def freight_of(state: tuple[int, Decimal, int, tuple[Candidate, ...]]) -> Decimal:
                _, closed, pieces, cands = state
                return closed + max(c.freight_rule.cost(pieces) for c in cands)

            def visit(k: int, unbought: int, goods_lb: Decimal, freight_lb: Decimal, rest: Decimal) -> None:
                nonlocal exhausted
                if exhausted:
                    return
                self.nodes += 1
                if self.nodes > self.budget:
                    exhausted = True
                    return
                incumbent = best_key[0]
                assert incumbent is not None
                if (unbought, goods_lb + freight_lb + rest) > incumbent[:2]:
                    return
                if k == len(lines):
                    feasible, key = cost_key(lines, choice, needs_vat_invoice=self.invoice)
                    if feasible and key < incumbent:
                        best[0] = list(choice)
                        best_key[0] = key
                    return
                line = lines[k]
                # Try suppliers already in the basket first: shared freight finds good baskets early.
                order = sorted(range(len(options[k])), key=lambda j: (
                    options[k][j].supplier_id not in open_orders, floors[k][j] + options[k][j].freight, j))
                for j in order:
                    candidate = options[k][j]
                    supplier = candidate.supplier_id
                    before = open_orders.get(supplier)
                    if before is None:
                        after = (1, _ZERO, line.quantity, (candidate,))
                        delta = freight_of(after)
                    elif before[0] % MAX_LINES_PER_ORDER == 0:
                        after = (before[0] + 1, freight_of(before), line.quantity, (candidate,))
                        delta = freight_of(after) - freight_of(before)
                    else:
                        after = (before[0] + 1, before[1], before[2] + line.quantity, before[3] + (candidate,))
                        delta = freight_of(after) - freight_of(before)
                    open_orders[supplier] = after
                    choice[k] = candidate
                    after_rest = rest - contrib[k]
                    undo: list[tuple[int, Decimal]] = []
                    if before is None:
                        # Lines still to come may now join this supplier without new freight.
                        for later, floor in reach[supplier].items():
                            if later > k and floor < contrib[later]:
                                undo.append((later, contrib[later]))
                                after_rest -= contrib[later] - floor
                                contrib[later] = floor
                    visit(k + 1, unbought, goods_lb + floors[k][j], freight_lb + delta, after_rest)
                    for later, value in undo:
                        contrib[later] = value
                    if before is None:
                        del open_orders[supplier]
                    else:
                        open_orders[supplier] = before
                choice[k] = None
                visit(k + 1, unbought + 1, goods_lb, freight_lb, rest - contrib[k])

            visit(0, 0, _ZERO, _ZERO, root_bound)
            assert best_key[0] is not None
            return best[0], not exhausted, root_bound if exhausted else best_key[0][1]
