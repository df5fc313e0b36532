"""The basket solver as a local activity of the procurement worker.

`domain.basket.choose_basket` is exact within a node budget, so its answer does not depend on
the machine; but on a large request whose lines share many suppliers the budget takes seconds of
CPU (bench/results/sourcing.txt, "dense"), past what a workflow task may take. As a local
activity it runs beside the workflow, not inside its task, and its answer is recorded once in the
history: a replay reads it instead of solving again.
"""

from __future__ import annotations

import asyncio

from temporalio import activity

from domain.basket import BasketChoice, BasketQuestion, choose_basket


@activity.defn(name="choose_basket")
async def choose_basket_activity(question: BasketQuestion) -> BasketChoice:
    # CPU-bound: in a thread, so the worker's event loop keeps serving its other tasks meanwhile.
    return await asyncio.to_thread(choose_basket, question, question.sourcings)


def basket_activities() -> list:
    return [choose_basket_activity]
