"""Which stores a card carries: Apple shows at most 10 ``locations`` per pass and Google at most
10 ``merchantLocations`` per object, and a chain has hundreds of stores.

:class:`StoreIndex` is a grid over latitude and longitude: a nearest-k query looks at the
member's cell and rings of cells around it, and stops as soon as no farther ring can hold a
closer store, so a query costs about the stores in a few cells, not a scan of the chain.

:func:`choose_stores` ranks one member's stores: the stores they shop at (most visits first),
then the stores nearest to their home point (or, without one, to where they shop), then the
chain's flagship stores, then the rest in the chain's order.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

MAX_CARD_STORES = 10  # Apple's locations and Google's merchantLocations per card
EARTH_RADIUS_KM = 6371.0088
_KM_PER_DEGREE = math.pi * EARTH_RADIUS_KM / 180

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True, slots=True)
class Point:
    latitude: float
    longitude: float

    def __post_init__(self) -> None:
        if not (-90 <= self.latitude <= 90 and -180 <= self.longitude <= 180):
            raise ValueError(f"({self.latitude}, {self.longitude}) is not a coordinate")


def distance_km(a: Point, b: Point) -> float:
    """Great-circle (haversine) distance."""
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    dlat = lat2 - lat1
    dlon = math.radians(b.longitude - a.longitude)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


class StoreIndex(Generic[K]):
    """A uniform grid of ``cell_degrees`` cells over the stores' coordinates.

    Longitudes are not wrapped at ±180°: a chain that straddles the antimeridian gets correct
    distances but may miss a nearer store across it.
    """

    def __init__(self, stores: Mapping[K, Point], *, cell_degrees: float = 0.05) -> None:
        if cell_degrees <= 0:
            raise ValueError("cell_degrees must be positive")
        self.cell = cell_degrees
        self.points = dict(stores)
        self._cells: dict[tuple[int, int], list[K]] = defaultdict(list)
        for key, point in self.points.items():
            self._cells[self._cell_of(point)].append(key)
        rows = [r for r, _ in self._cells] or [0]
        cols = [c for _, c in self._cells] or [0]
        self._bounds = (min(rows), max(rows), min(cols), max(cols))

    def __len__(self) -> int:
        return len(self.points)

    def _cell_of(self, point: Point) -> tuple[int, int]:
        return math.floor(point.latitude / self.cell), math.floor(point.longitude / self.cell)

    def nearest(self, origin: Point, k: int = MAX_CARD_STORES) -> list[tuple[float, K]]:
        """The ``k`` stores nearest to ``origin`` as ``(km, key)``, nearest first."""
        if k <= 0 or not self.points:
            return []
        row, col = self._cell_of(origin)
        min_row, max_row, min_col, max_col = self._bounds
        reach = max(abs(row - min_row), abs(row - max_row), abs(col - min_col),
                    abs(col - max_col))  # fmt: skip
        best: list[tuple[float, int, K]] = []  # a max-heap by distance (negated)
        order = 0
        for ring in range(reach + 1):
            if len(best) == k and -best[0][0] <= self._ring_floor_km(origin, ring):
                break
            for cell in _ring(row, col, ring):
                for key in self._cells.get(cell, ()):
                    km = distance_km(origin, self.points[key])
                    order += 1
                    if len(best) < k:
                        heapq.heappush(best, (-km, -order, key))
                    elif km < -best[0][0]:
                        heapq.heapreplace(best, (-km, -order, key))
        return [(-d, key) for d, _, key in sorted(best, reverse=True)]

    def _ring_floor_km(self, origin: Point, ring: int) -> float:
        """No store in ``ring`` (or beyond) is closer than this."""
        if ring <= 1:
            return 0.0
        degrees = (ring - 1) * self.cell
        widest = min(89.9, abs(origin.latitude) + (ring + 1) * self.cell)
        # 0.99: a great circle is a little shorter than the parallel the bound measures along
        return 0.99 * degrees * _KM_PER_DEGREE * math.cos(math.radians(widest))


def _ring(row: int, col: int, ring: int) -> Iterable[tuple[int, int]]:
    if ring == 0:
        yield row, col
        return
    for c in range(col - ring, col + ring + 1):
        yield row - ring, c
        yield row + ring, c
    for r in range(row - ring + 1, row + ring):
        yield r, col - ring
        yield r, col + ring


def choose_stores(
    index: StoreIndex[K],
    *,
    visits: Mapping[K, int] | None = None,
    home: Point | None = None,
    flagships: Sequence[K] = (),
    chain_order: Sequence[K] = (),
    k: int = MAX_CARD_STORES,
) -> list[K]:
    """Up to ``k`` stores for one member's card, most relevant first."""
    chosen: list[K] = []
    seen: set[K] = set()

    def take(keys: Iterable[K]) -> bool:
        for key in keys:
            if key in index.points and key not in seen:
                chosen.append(key)
                seen.add(key)
                if len(chosen) == k:
                    return True
        return False

    visits = visits or {}
    by_visits = sorted((key for key in visits if visits[key] > 0),
                       key=lambda key: (-visits[key], str(key)))  # fmt: skip
    if take(by_visits):
        return chosen
    anchor = home or _centroid([index.points[key] for key in by_visits if key in index.points])
    if anchor is not None:
        nearest = index.nearest(anchor, k + len(chosen))
        if take(key for _, key in nearest):
            return chosen
    if take(flagships):
        return chosen
    take(chain_order)
    return chosen


def _centroid(points: Sequence[Point]) -> Point | None:
    if not points:
        return None
    return Point(
        sum(p.latitude for p in points) / len(points),
        sum(p.longitude for p in points) / len(points),
    )
