"""A house number the index has not seen, placed between the known numbers of its street
side, as geocoders do (pure).

French numbering puts odd numbers on one side of a street and even ones on the other, in
increasing order from the street's start. A number is placed linearly between the nearest
lower and the nearest higher known number of the same parity on the same street (one
street × postcode × commune of the index). Beyond the known numbers nothing says where
the street goes on: extrapolation is refused. The street is then what is known, but its
nearest known number (`nearest`: same side first) is a better point of it than its centre
on a long street. A suffix (`bis`, `ter`, `quater`) lies after its number and before the
next one of its side; a known number with suffixes only counts at its own place.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# Where a suffixed number lies after its number, in steps of one side (2 numbers apart).
SUFFIX_RANK = {"": 0.0, "bis": 0.5, "ter": 1.0, "quater": 1.5}


@dataclass(frozen=True)
class Known:
    """A known house number of a street: number and suffix as the index holds them."""

    number: str
    suffix: str
    latitude: float
    longitude: float
    code_commune: str


@dataclass(frozen=True)
class Placed:
    """An interpolated point and the known numbers it lies between."""

    latitude: float
    longitude: float
    code_commune: str
    below: int
    above: int


def position(number: str, suffix: str | None) -> float | None:
    """A number's place along its side (None for a number that is not a whole number)."""
    text = (number or "").strip()
    if not text.isdigit():
        return None
    rank = SUFFIX_RANK.get((suffix or "").strip().lower())
    return None if rank is None else int(text) + rank


def interpolate(number: str, suffix: str | None, known: Iterable[Known]) -> Placed | None:
    """`number` `suffix` between the nearest known numbers of its side, or None when it
    lies outside them (or its side has fewer than two usable numbers)."""
    target = position(number, suffix)
    if target is None:
        return None
    side = int(target) % 2
    below: tuple[float, Known] | None = None
    above: tuple[float, Known] | None = None
    for point in known:
        at = position(point.number, point.suffix)
        if at is None or int(at) % 2 != side or at == target:
            continue
        if at < target and (below is None or at > below[0]):
            below = (at, point)
        elif at > target and (above is None or at < above[0]):
            above = (at, point)
    if below is None or above is None:
        return None
    (lo, a), (hi, b) = below, above
    t = (target - lo) / (hi - lo)
    return Placed(
        latitude=a.latitude + t * (b.latitude - a.latitude),
        longitude=a.longitude + t * (b.longitude - a.longitude),
        code_commune=a.code_commune,
        below=int(lo),
        above=int(hi),
    )


def nearest(number: str, suffix: str | None, known: Iterable[Known]) -> Known | None:
    """The known number closest to `number` along the street, its own side first (ties: the
    lower one); None when `number` or every known one is not a whole number."""
    target = position(number, suffix)
    if target is None:
        return None
    best, best_key = None, None
    for point in known:
        at = position(point.number, point.suffix)
        if at is None:
            continue
        key = (int(at) % 2 != int(target) % 2, abs(at - target), at)
        if best_key is None or key < best_key:
            best, best_key = point, key
    return best
