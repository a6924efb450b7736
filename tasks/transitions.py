"""The one place an item's state moves, and the moves that are legal.

The first claim moves an item from open to collecting inside assignment's claim statement
(`assignment_sql._mark_collecting`), for speed; every other move is one of the services below, which the
higher apps call (quality decides and reviews, training flags) instead of writing the item themselves.
Each move is a conditional UPDATE on the state it starts from, so a move that lost a race to another one
changes nothing and says so (0 rows): a reviewer's decision and a parallel evaluation never both land.
"""

from .models import Item, ItemState

LEGAL_MOVES = {
    ItemState.OPEN: {ItemState.COLLECTING},
    # The crowd's answers decide it, or it needs a reviewer.
    ItemState.COLLECTING: {ItemState.ACCEPTED, ItemState.NEEDS_REVIEW},
    # A reviewer decides it, or sends it back for fresh answers.
    ItemState.NEEDS_REVIEW: {ItemState.ACCEPTED, ItemState.COLLECTING},
    # A verification sample, or a model that confidently disagrees, asks a reviewer to look again.
    ItemState.ACCEPTED: {ItemState.NEEDS_REVIEW},
}


class IllegalMove(ValueError):
    """A move LEGAL_MOVES does not allow: a programming error, never a race."""


def _move(item_ids, *, source: str, target: str, **fields) -> int:
    if target not in LEGAL_MOVES[source]:
        raise IllegalMove(f"An item cannot move from {source} to {target}.")
    return Item.objects.filter(pk__in=list(item_ids), state=source).update(state=target, **fields)


def item_accept(*, item_id: int, source: str = ItemState.COLLECTING) -> bool:
    """The item has its label: no more slots are handed out."""
    return bool(_move([item_id], source=source, target=ItemState.ACCEPTED, open_slots=0))


def items_send_to_review(*, item_ids, source: str = ItemState.COLLECTING) -> int:
    """A reviewer must decide these items; returns how many moved."""
    return _move(item_ids, source=source, target=ItemState.NEEDS_REVIEW)


def item_reopen(*, item_id: int, open_slots: int) -> bool:
    """Sent back by a reviewer: collecting again from nothing, with `open_slots` fresh slots."""
    return bool(_move([item_id], source=ItemState.NEEDS_REVIEW, target=ItemState.COLLECTING,
                      open_slots=open_slots, submitted_count=0))


def item_ask_one_more(*, item_id: int) -> bool:
    """A full item still collecting gets one more slot (the state stays): its answers did not agree enough."""
    return bool(Item.objects.filter(pk=item_id, state=ItemState.COLLECTING, open_slots=0).update(open_slots=1))


def items_set_uncertainty(*, uncertainties: dict[int, float]) -> int:
    """The active model's 1 - top probability per item id, which the uncertainty-first order reads."""
    changed = 0
    for item_id, uncertainty in uncertainties.items():
        changed += Item.objects.filter(pk=item_id).update(model_uncertainty=round(uncertainty, 6))
    return changed


__all__ = ["LEGAL_MOVES", "IllegalMove", "item_accept", "items_send_to_review", "item_reopen", "item_ask_one_more",
           "items_set_uncertainty"]
