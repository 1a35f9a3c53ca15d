"""The nearest-stores index against brute force, and the choice of a card's stores."""

from __future__ import annotations

import dataclasses
import json
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from passes import ApplePassTemplate, Beacon, Location, LoyaltyCard, render_pass_json
from passes.geo import MAX_CARD_STORES, Point, StoreIndex, choose_stores, distance_km
from passes.google.objects import loyalty_object

MOSCOW = Point(55.7558, 37.6173)


def chain(
    count: int, *, seed: int = 7, centre: Point = MOSCOW, spread: float = 0.5
) -> dict[str, Point]:
    rng = random.Random(seed)
    return {
        f"s{i:03d}": Point(
            centre.latitude + rng.uniform(-spread, spread),
            centre.longitude + rng.uniform(-spread, spread),
        )  # fmt: skip
        for i in range(count)
    }


def brute_force(stores: dict[str, Point], origin: Point, k: int) -> list[float]:
    return sorted(distance_km(origin, p) for p in stores.values())[:k]


class TestDistance:
    def test_known_distance(self) -> None:
        st_petersburg = Point(59.9343, 30.3351)
        assert distance_km(MOSCOW, st_petersburg) == pytest.approx(634, rel=0.01)

    def test_bad_coordinates(self) -> None:
        with pytest.raises(ValueError, match="not a coordinate"):
            Point(91, 0)


class TestStoreIndex:
    def test_nearest_ten_of_a_chain_of_200(self) -> None:
        stores = chain(200)
        index = StoreIndex(stores)
        for origin in chain(50, seed=1, spread=0.7).values():
            found = index.nearest(origin, 10)
            assert [km for km, _ in found] == pytest.approx(brute_force(stores, origin, 10))

    @settings(max_examples=60, deadline=None)
    @given(
        seed=st.integers(0, 10_000),
        count=st.integers(0, 60),
        k=st.integers(1, 12),
        lat=st.floats(-70, 70),
        lon=st.floats(-170, 170),
        cell=st.sampled_from([0.01, 0.05, 0.3]),
        spread=st.sampled_from([0.02, 0.5, 3.0]),
    )
    def test_matches_brute_force(
        self, seed: int, count: int, k: int, lat: float, lon: float, cell: float, spread: float
    ) -> None:
        stores = chain(count, seed=seed, centre=Point(lat, lon), spread=spread)
        index = StoreIndex(stores, cell_degrees=cell)
        origin = Point(lat + spread / 3, lon - spread / 2)
        found = index.nearest(origin, k)
        assert len(found) == min(k, count)
        assert [km for km, _ in found] == pytest.approx(brute_force(stores, origin, k))

    def test_far_away_member_still_gets_stores(self) -> None:
        index = StoreIndex(chain(30))
        assert len(index.nearest(Point(-33.86, 151.2), 5)) == 5  # Sydney, the chain in Moscow

    def test_empty_and_zero(self) -> None:
        assert StoreIndex[str]({}).nearest(MOSCOW) == []
        assert StoreIndex(chain(3)).nearest(MOSCOW, 0) == []
        with pytest.raises(ValueError, match="positive"):
            StoreIndex(chain(3), cell_degrees=0)


class TestChooseStores:
    def test_stores_shopped_at_come_first_then_nearest_to_home(self) -> None:
        stores = chain(200)
        index = StoreIndex(stores)
        home = Point(55.70, 37.50)
        chosen = choose_stores(index, visits={"s150": 1, "s007": 5}, home=home)
        assert chosen[:2] == ["s007", "s150"]
        nearest = [key for _, key in index.nearest(home, 12) if key not in {"s007", "s150"}]
        assert chosen[2:] == nearest[:8]
        assert len(chosen) == MAX_CARD_STORES

    def test_without_home_the_shops_visited_anchor_it(self) -> None:
        index = StoreIndex(chain(100))
        chosen = choose_stores(index, visits={"s001": 2})
        assert chosen[0] == "s001"
        assert len(chosen) == 10

    def test_a_new_member_gets_flagships_then_the_chain(self) -> None:
        stores = chain(20)
        order = sorted(stores)
        chosen = choose_stores(StoreIndex(stores), flagships=["s019", "s005"], chain_order=order)
        assert chosen[:2] == ["s019", "s005"]
        assert chosen[2:] == [key for key in order if key not in {"s019", "s005"}][:8]

    def test_unknown_and_closed_stores_are_skipped(self) -> None:
        chosen = choose_stores(StoreIndex(chain(3)), visits={"gone": 9, "s001": 0},
                               flagships=["gone"], chain_order=["s002"])  # fmt: skip
        assert chosen == ["s002"]

    @settings(max_examples=40, deadline=None)
    @given(count=st.integers(0, 40), visited=st.lists(st.integers(0, 50), max_size=15))
    def test_never_more_than_ten_and_no_duplicates(self, count: int, visited: list[int]) -> None:
        stores = chain(count)
        visits = {f"s{i:03d}": 1 + i % 3 for i in visited}
        order = sorted(stores)
        chosen = choose_stores(
            StoreIndex(stores), visits=visits, home=MOSCOW, flagships=order[:3], chain_order=order
        )
        assert len(chosen) == min(count, MAX_CARD_STORES)
        assert len(set(chosen)) == len(chosen)


class TestWalletLimits:
    """Whatever the chain and the member, neither wallet ever gets more than it accepts."""

    @settings(
        max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(
        count=st.integers(0, 60),
        visited=st.lists(st.integers(0, 70), max_size=20),
        with_home=st.booleans(),
        seed=st.integers(0, 1000),
    )
    def test_chosen_stores_render_within_both_wallets_limits(
        self,
        coffee_template: ApplePassTemplate,
        card: LoyaltyCard,
        count: int,
        visited: list[int],
        with_home: bool,
        seed: int,
    ) -> None:
        stores = chain(count, seed=seed)
        index = StoreIndex(stores)
        chosen = choose_stores(
            index,
            visits={f"s{i:03d}": 1 for i in visited},
            home=MOSCOW if with_home else None,
            chain_order=sorted(stores),
        )
        state = dataclasses.replace(
            card,
            locations=tuple(Location(stores[k].latitude, stores[k].longitude) for k in chosen),
            beacons=tuple(
                Beacon("F7826DA6-4FA2-4E98-8024-BC5B71E0893E", 1, i) for i in range(len(chosen))
            ),
        )
        body = json.loads(render_pass_json(state, coffee_template))  # checks Apple's limits
        assert len(body.get("locations", [])) <= 10
        assert len(body.get("beacons", [])) <= 10
        google = loyalty_object(state, coffee_template.design, object_id="1.o", class_id="1.c")
        assert len(google.get("merchantLocations", [])) <= 10
