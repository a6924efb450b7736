"""Weighted sampling for assignment: pure functions, no Django, so they can be tested and benchmarked alone.

The design's rule: when several workers compete for the same work, worker i gets it with probability
T_i = W_i / ΣW_j over the workers asking. They compete only when the work left cannot serve them all
(`contested`); while it can, everyone who asks is served.
"""

import random


def contested(*, supply: int, demand: int) -> bool:
    """Whether the work is contested: the open supply (free slots) is smaller than the competing
    workers' demand (the items they would take meanwhile). Only then do the weights ration it."""
    return supply < demand


def admission_probability(weight: float, competitor_weights) -> float:
    """Chance that a request from a worker of `weight` is served while work is scarce.

    Each request is admitted with probability W_i / max_j W_j (rejection sampling). When the competing
    workers ask at the same rate, the admitted requests, and so the scarce items, are shared in the ratio
    of the weights: worker i's share is W_i / ΣW_j = T_i. The strongest worker is never refused, so no
    slot goes unused for lack of an admitted request.
    """
    top = max([weight, *competitor_weights], default=0.0)
    if weight <= 0 or top <= 0:
        return 0.0
    return min(1.0, weight / top)


def admitted(weight: float, competitor_weights, rng: random.Random | None = None) -> bool:
    return (rng or random).random() < admission_probability(weight, competitor_weights)


def shares(weights) -> list[float]:
    """T_i = W_i / ΣW_j (all zero when every weight is zero)."""
    total = float(sum(weights))
    return [w / total if total > 0 else 0.0 for w in weights]


def proportional_allocation(count: int, weights) -> list[int]:
    """Split `count` items among workers in proportion to their weights (largest remainder method):
    whole numbers that add up to `count`, each within one of count * T_i."""
    quotas = [count * t for t in shares(weights)]
    if not quotas or sum(weights) <= 0:
        return [0] * len(quotas)
    allocation = [int(q) for q in quotas]
    by_remainder = sorted(range(len(quotas)), key=lambda i: (quotas[i] - allocation[i], weights[i]), reverse=True)
    for i in by_remainder[: count - sum(allocation)]:
        allocation[i] += 1
    return allocation
