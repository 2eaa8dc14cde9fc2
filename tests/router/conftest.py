"""Fixtures for the router tests: the sample consortium, a fake clock, a routing context."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from router_testkit import MONDAY, FakeClock, make_payload

from mappings.schema import Library
from router.candidates import RoutingContext
from router.decision import Item, item_from_payload
from router.members import SAMPLE_MEMBERS, load_consortium, load_members
from router.network import SAMPLE_NETWORK, DeliveryNetwork


@pytest.fixture(scope="session")
def members() -> dict[str, Library]:
    return load_members(SAMPLE_MEMBERS)


@pytest.fixture(scope="session")
def network(members: dict[str, Library]) -> DeliveryNetwork:
    return DeliveryNetwork.from_file(SAMPLE_NETWORK, members)


@pytest.fixture(scope="session")
def context(members: dict[str, Library], network: DeliveryNetwork) -> RoutingContext:
    return RoutingContext.build(members, network.table(), load_consortium(SAMPLE_MEMBERS))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def today() -> date:
    return MONDAY.date()


@pytest.fixture(scope="session")
def make_item() -> Callable[..., Item]:
    def build(libraries: list[str], eholdings: tuple = (), **overrides: Any) -> Item:
        return item_from_payload(make_payload(libraries, **overrides), list(eholdings))

    return build


@pytest.fixture
def members_copy(tmp_path: Path) -> Path:
    target = tmp_path / "members.toml"
    target.write_bytes(SAMPLE_MEMBERS.read_bytes())
    return target
