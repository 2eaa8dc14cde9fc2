"""The delivery network: precomputed table == per-request shortest paths; fallbacks; errors."""

from __future__ import annotations

import itertools

import pytest

from mappings.schema import Library
from router.network import DeliveryNetwork, NetworkFileError, great_circle_km


def test_table_agrees_with_per_request_paths_for_every_pair(members, network):
    table = network.table()
    for a, b in itertools.permutations(members, 2):
        leg = network.route(a, b)
        assert table.get(a, b) == (leg.days, leg.cost), (a, b)


def test_route_takes_the_quickest_path_and_names_its_hubs(network):
    leg = network.route("211010", "273010")  # Peking University -> Xinjiang University
    assert leg.via == ("Beijing", "Xi'an", "Lanzhou", "Urumqi")
    assert leg.days == pytest.approx(0.5 + 2.0 + 1.5 + 3.0 + 0.5)
    assert leg.cost == pytest.approx(4 + 12 + 8 + 16 + 4)
    assert not leg.estimated


def test_same_city_is_a_local_round(network):
    assert network.route("211010", "211030").days == 1.0
    assert network.table().get("211010", "211010") == (0.0, 0.0)


def _lib(code, city, lat, lon):
    return Library(code=code, name_zh=code, name_en=code, city=city, lat=lat, lon=lon)


def test_great_circle_fallback_when_no_route_joins_two_members():
    members = {
        "A": _lib("A", "Beijing", 39.9, 116.4),
        "B": _lib("B", "Lhasa", 29.65, 91.1),
    }
    hubs = {"Beijing": (39.9, 116.4), "Lhasa": (29.65, 91.1)}
    net = DeliveryNetwork(hubs, [], members, {"km_per_day": 500.0, "cost_per_km": 0.01})
    leg = net.route("A", "B")
    km = great_circle_km(39.9, 116.4, 29.65, 91.1)
    assert 2500 < km < 2700
    assert leg.estimated
    assert leg.days == pytest.approx(1 + km / 500, abs=1e-3)
    assert net.table().get("A", "B") == (leg.days, leg.cost)


def test_member_outside_every_hub_city_joins_the_nearest_hub():
    members = {"A": _lib("A", "Beijing", 39.9, 116.4), "B": _lib("B", "Baoding", 38.87, 115.46)}
    net = DeliveryNetwork({"Beijing": (39.9, 116.4)}, [], members)
    assert net.attachments["B"][0] == "Beijing"
    assert net.route("A", "B").via == ("Beijing",)


def test_network_file_errors_name_the_route_and_field(tmp_path, members):
    bad = tmp_path / "network.toml"
    bad.write_text(
        'hubs = [{ name = "Beijing", lat = 39.9, lon = 116.4 }]\n'
        'routes = [{ from = "Beijing", to = "Atlantis", days = 1, cost = 2 }]\n',
        encoding="utf-8",
    )
    with pytest.raises(NetworkFileError, match=r"route #1 \(Beijing - Atlantis\), field to"):
        DeliveryNetwork.from_file(bad, members)
