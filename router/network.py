"""The delivery network: courier routes between hubs, and how long and how much a parcel takes.

The network file (``router/sample/network.toml`` documents every key) lists hubs and
courier routes with transit days and cost. :class:`DeliveryNetwork` loads it into a
``networkx.Graph`` whose nodes are the hubs plus one node per member (``member:<code>``),
each member tied to its city's hub, or to the nearest hub by great-circle distance. A
parcel takes the quickest path (fewest days) and costs the sum along it; when no path
joins two members, a great-circle estimate stands in.

Routing needs this for every candidate of every request, so :meth:`DeliveryNetwork.table`
computes all member pairs once (all-pairs Dijkstra over the hubs, then the members'
local legs) into a :class:`DeliveryTable`: a lookup, not a path search, per candidate.
:meth:`DeliveryNetwork.route` is the per-request path search, kept as the reference
(the tests check both agree; the benchmark measures both).
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx

from mappings.errors import RoutingError
from mappings.schema import Library

__all__ = [
    "SAMPLE_NETWORK",
    "DeliveryNetwork",
    "DeliveryTable",
    "Leg",
    "NetworkFileError",
    "great_circle_km",
]

SAMPLE_NETWORK = Path(__file__).parent / "sample" / "network.toml"
_EARTH_RADIUS_KM = 6371.0088
_SETTINGS = {
    "local_days": 0.5,
    "local_cost": 4.0,
    "km_per_day": 600.0,
    "cost_per_km": 0.012,
    "base_cost": 8.0,
    "post_days_factor": 1.6,
    "post_cost_factor": 0.6,
}


class NetworkFileError(RoutingError):
    """The network file is invalid; the message names the file, the entry and the field."""


@dataclass(frozen=True, slots=True)
class Leg:
    """A courier delivery between two places: transit days, cost, and the hubs it passes."""

    days: float
    cost: float
    via: tuple[str, ...] = ()
    estimated: bool = False


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Haversine distance in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * _EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


class DeliveryTable:
    """Precomputed courier (days, cost) for every ordered pair of members.

    ``get(a, b)`` is two dict lookups; ``a == b`` costs nothing. Built by
    :meth:`DeliveryNetwork.table`; rebuild it whenever the members or the network change.
    """

    __slots__ = ("_rows", "post_cost_factor", "post_days_factor")

    def __init__(
        self,
        rows: dict[str, dict[str, tuple[float, float]]],
        post_days_factor: float = 1.6,
        post_cost_factor: float = 0.6,
    ) -> None:
        self._rows = rows
        self.post_days_factor = post_days_factor
        self.post_cost_factor = post_cost_factor

    def get(self, origin: str, destination: str) -> tuple[float, float]:
        """``(days, cost)`` by courier; raises ``KeyError`` for an unknown member."""
        return self._rows[origin][destination]

    def __len__(self) -> int:
        return sum(len(row) for row in self._rows.values())


class DeliveryNetwork:
    """Hubs and courier routes, plus the members attached to them, as a networkx graph."""

    def __init__(
        self,
        hubs: Mapping[str, tuple[float, float]],
        routes: list[tuple[str, str, float, float]],
        members: Mapping[str, Library],
        settings: Mapping[str, float] | None = None,
    ) -> None:
        self.settings = {**_SETTINGS, **(settings or {})}
        self.hubs = dict(hubs)
        self.hub_graph = nx.Graph()
        for name, (lat, lon) in self.hubs.items():
            self.hub_graph.add_node(name, lat=lat, lon=lon)
        for origin, destination, days, cost in routes:
            self.hub_graph.add_edge(origin, destination, days=days, cost=cost)
        self.members = dict(members)
        self.attachments = {code: self._attach(lib) for code, lib in self.members.items()}
        self.graph = self.hub_graph.copy()
        for code, (hub, days, cost) in self.attachments.items():
            if hub is not None:
                self.graph.add_edge(f"member:{code}", hub, days=days, cost=cost)

    @classmethod
    def from_file(
        cls, path: str | os.PathLike[str], members: Mapping[str, Library]
    ) -> DeliveryNetwork:
        """Load a network file (see ``router/sample/network.toml``) for these members."""
        path = Path(path)
        try:
            with path.open("rb") as handle:
                data = tomllib.load(handle)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise NetworkFileError(f"{path}: cannot read: {exc}") from exc
        settings = _settings(path, data.get("network", {}))
        hubs = _hubs(path, data.get("network", {}).get("hubs", data.get("hubs", [])))
        routes = _routes(path, data.get("network", {}).get("routes", data.get("routes", [])), hubs)
        return cls(hubs, routes, members, settings)

    def _attach(self, library: Library) -> tuple[str | None, float, float]:
        """The member's hub and its local leg (days, cost)."""
        local_days, local_cost = self.settings["local_days"], self.settings["local_cost"]
        by_name = {name.casefold(): name for name in self.hubs}
        if library.city.casefold() in by_name:
            return by_name[library.city.casefold()], local_days, local_cost
        if not self.hubs or (library.lat == 0.0 and library.lon == 0.0):
            return None, 0.0, 0.0
        name, km = min(
            ((n, great_circle_km(library.lat, library.lon, *ll)) for n, ll in self.hubs.items()),
            key=lambda pair: pair[1],
        )
        days, cost = self._estimate_km(km)
        return name, local_days + days, local_cost + cost

    def _estimate_km(self, km: float) -> tuple[float, float]:
        days = km / self.settings["km_per_day"]
        return days, km * self.settings["cost_per_km"]

    def estimate(self, origin: str, destination: str) -> Leg:
        """The great-circle fallback between two members (no courier route joins them)."""
        a, b = self.members[origin], self.members[destination]
        km = great_circle_km(a.lat, a.lon, b.lat, b.lon)
        days, cost = self._estimate_km(km)
        return Leg(
            round(1.0 + days, 3), round(self.settings["base_cost"] + cost, 2), (), estimated=True
        )

    def route(self, origin: str, destination: str) -> Leg:
        """The quickest courier route between two members: a shortest-path search per call."""
        if origin == destination:
            return Leg(0.0, 0.0)
        try:
            path = nx.shortest_path(
                self.graph, f"member:{origin}", f"member:{destination}", weight=_weight
            )
        except (nx.NetworkXNoPath, nx.NodeNotFound):
            return self.estimate(origin, destination)
        days, cost = _along(self.graph, path)
        return Leg(round(days, 3), round(cost, 2), tuple(path[1:-1]))

    def table(self) -> DeliveryTable:
        """Every member pair's courier (days, cost): all-pairs Dijkstra over the hubs once."""
        hub_days: dict[str, dict[str, float]] = {}
        hub_cost: dict[str, dict[str, float]] = {}
        for hub, paths in nx.all_pairs_dijkstra_path(self.hub_graph, weight=_weight):
            hub_days[hub], hub_cost[hub] = {}, {}
            for target, path in paths.items():
                hub_days[hub][target], hub_cost[hub][target] = _along(self.hub_graph, path)
        rows: dict[str, dict[str, tuple[float, float]]] = {}
        for a, (hub_a, days_a, cost_a) in self.attachments.items():
            row: dict[str, tuple[float, float]] = {}
            for b, (hub_b, days_b, cost_b) in self.attachments.items():
                if a == b:
                    row[b] = (0.0, 0.0)
                elif hub_a is not None and hub_b is not None and hub_b in hub_days[hub_a]:
                    row[b] = (
                        round(days_a + hub_days[hub_a][hub_b] + days_b, 3),
                        round(cost_a + hub_cost[hub_a][hub_b] + cost_b, 2),
                    )
                else:
                    leg = self.estimate(a, b)
                    row[b] = (leg.days, leg.cost)
            rows[a] = row
        return DeliveryTable(
            rows, self.settings["post_days_factor"], self.settings["post_cost_factor"]
        )


def _weight(u: str, v: str, edge: dict[str, float]) -> float:
    """Fewest days first; among equally quick routes, the cheapest."""
    return edge["days"] + edge["cost"] * 1e-6


def _along(graph: nx.Graph, path: list[str]) -> tuple[float, float]:
    """Total (days, cost) along a path."""
    days = cost = 0.0
    for u, v in zip(path, path[1:], strict=False):
        edge = graph.edges[u, v]
        days += edge["days"]
        cost += edge["cost"]
    return days, cost


def _number(path: Path, where: str, key: str, value: Any, *, minimum: float = 0.0) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise NetworkFileError(f"{path}: {where}, field {key}: must be a number >= {minimum}")
    return float(value)


def _settings(path: Path, data: dict[str, Any]) -> dict[str, float]:
    unknown = set(data) - set(_SETTINGS) - {"hubs", "routes"}
    if unknown:
        raise NetworkFileError(f"{path}: [network], field {sorted(unknown)[0]}: unknown field")
    return {
        key: _number(path, "[network]", key, data[key], minimum=0.0)
        for key in _SETTINGS
        if key in data
    }


def _hubs(path: Path, entries: list[dict[str, Any]]) -> dict[str, tuple[float, float]]:
    hubs: dict[str, tuple[float, float]] = {}
    for number, entry in enumerate(entries, start=1):
        where = f"hub #{number} ({entry.get('name', '?')})"
        name = str(entry.get("name", "")).strip()
        if not name:
            raise NetworkFileError(f"{path}: {where}, field name: required")
        lat = _number(path, where, "lat", entry.get("lat"), minimum=-90.0)
        lon = _number(path, where, "lon", entry.get("lon"), minimum=-180.0)
        hubs[name] = (lat, lon)
    return hubs


def _routes(
    path: Path, entries: list[dict[str, Any]], hubs: dict[str, tuple[float, float]]
) -> list[tuple[str, str, float, float]]:
    routes = []
    for number, entry in enumerate(entries, start=1):
        where = f"route #{number} ({entry.get('from', '?')} - {entry.get('to', '?')})"
        for key in ("from", "to"):
            if entry.get(key) not in hubs:
                raise NetworkFileError(f"{path}: {where}, field {key}: not a hub")
        days = _number(path, where, "days", entry.get("days"))
        cost = _number(path, where, "cost", entry.get("cost"))
        routes.append((entry["from"], entry["to"], days, cost))
    return routes
