"""Span (NER) aggregation for one item's text: exact-span majority, plus pairwise span F1 as agreement.

A span is (start, end, label) with end exclusive. Rule: a span is accepted when the workers who marked
exactly that span hold MORE than `min_support` (default half) of the weight of the item's workers; a
worker who marked nothing counts as voting "no entity". Exact match is how NER is scored (entity-level
F1, as in seqeval/CoNLL), so the consensus is the set a majority would be scored correct on; a
per-token vote can stitch a span nobody marked out of two half-overlapping ones.
Overlapping accepted spans (only when a worker marks overlapping spans, or min_support < 0.5) are
resolved greedily: higher support first, then the longer, then the earlier.

agreement = mean over worker pairs of span F1 (exact match; two workers who both marked nothing
agree fully), the usual inter-annotator measure for spans (Hripcsak & Rothschild 2005); None with
fewer than two workers.
"""
from itertools import combinations
from typing import Mapping, NamedTuple, Optional, Sequence

Span = tuple  # (start: int, end: int, label: str)


class SpanConsensus(NamedTuple):
    spans: list        # accepted spans, sorted by (start, end, label)
    support: list      # weighted share of workers who marked each accepted span exactly
    agreement: Optional[float]


def as_span(span) -> Span:
    """(start, end, label) from a tuple or a {"start", "end", "label"} mapping; end is exclusive."""
    start, end, label = (span["start"], span["end"], span["label"]) if isinstance(span, Mapping) else span
    start, end = int(start), int(end)
    if not 0 <= start < end:
        raise ValueError(f"a span needs 0 <= start < end, got {(start, end)}")
    return (start, end, str(label))


def span_f1(first: set, second: set) -> float:
    """Exact-match F1 = 2|A ∩ B| / (|A| + |B|); 1.0 when neither marked anything."""
    if not first and not second:
        return 1.0
    return 2.0 * len(first & second) / (len(first) + len(second))


def pairwise_span_agreement(worker_sets: Sequence[set]) -> Optional[float]:
    pairs = list(combinations(worker_sets, 2))
    return sum(span_f1(a, b) for a, b in pairs) / len(pairs) if pairs else None


def _without_overlaps(candidates: list) -> list:
    """Greedy: strongest support, then longest, then earliest span wins a contested stretch of text."""
    ranked = sorted(candidates, key=lambda c: (-c[1], -(c[0][1] - c[0][0]), c[0]))
    kept = []
    for span, share in ranked:
        if all(span[1] <= other[0] or other[1] <= span[0] for other, _ in kept):
            kept.append((span, share))
    return sorted(kept)


def aggregate_spans(worker_spans: Sequence[Sequence], worker_weights: Optional[Sequence[float]] = None,
                    min_support: float = 0.5) -> SpanConsensus:
    """worker_spans[i]: the spans worker i marked on this item (may be empty). Weights W_i default to 1."""
    worker_sets = [{as_span(span) for span in spans} for spans in worker_spans]
    weights = [1.0] * len(worker_sets) if worker_weights is None else [float(w) for w in worker_weights]
    if len(weights) != len(worker_sets) or any(w < 0 for w in weights):
        raise ValueError("worker_weights needs one non-negative weight per worker")
    total = sum(weights)
    support = {}
    for spans, weight in zip(worker_sets, weights):
        for span in spans:
            support[span] = support.get(span, 0.0) + weight
    candidates = [(span, w / total) for span, w in support.items() if total > 0 and w / total > min_support]
    kept = _without_overlaps(candidates)
    return SpanConsensus([span for span, _ in kept], [share for _, share in kept],
                         pairwise_span_agreement(worker_sets))
