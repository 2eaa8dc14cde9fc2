"""Routing decisions per second: 500 members, realistic holdings; table vs per-request paths.

Run: ``python bench/bench_router.py [--members 500] [--requests 20000] [--repeat 5]``

A synthetic consortium of ``--members`` libraries is spread over the sample network's
hubs (each member near a hub city, a few off-network), with policies varied like the
sample consortium. Each request is a cluster held in print by 3-40 members (Zipf-like:
most items are held by few libraries) with sometimes an ILL-allowed e-holding.

Two ways of getting delivery time and cost are measured in the same run:

- **table**: the precomputed member-to-member :class:`~router.network.DeliveryTable`
  (how the router runs);
- **naive**: a networkx shortest path per candidate per request
  (:meth:`~router.network.DeliveryNetwork.route`), on fewer requests.

Reports decisions/s (min / median over repeats), both per wall-clock second and per CPU
second of the process (the per-core figure, robust to other load on a shared machine),
and per-decision p50/p95/p99 latency.
Goal: >= 20,000 decisions/s per core and p95 <= 1 ms with the table.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import date

from mappings.schema import EHolding, LendingPolicy, Library, Needs
from router.candidates import RoutingContext
from router.decision import decide, item_from_payload
from router.members import SAMPLE_MEMBERS, load_consortium
from router.network import SAMPLE_NETWORK, DeliveryNetwork, DeliveryTable
from router.rank import LenderStats

FORMATS = ["book", "article", "journal", "thesis"]


def synthetic_members(count: int, rng: random.Random) -> dict[str, Library]:
    hubs = DeliveryNetwork.from_file(SAMPLE_NETWORK, {}).hubs
    names = list(hubs)
    members: dict[str, Library] = {}
    for n in range(count):
        hub = rng.choice(names)
        lat, lon = hubs[hub]
        off_network = rng.random() < 0.05
        policy = LendingPolicy(
            lends=rng.random() > 0.05,
            formats=rng.sample(FORMATS, rng.randint(2, 4)),
            loans=rng.random() > 0.2,
            copies=rng.random() > 0.05,
            fees={f: float(rng.choice([0, 5, 8, 10, 15, 25, 30])) for f in FORMATS},
            payment_methods=rng.sample(["deposit", "invoice", "card"], rng.randint(1, 3)),
            delivery_methods=rng.choice(
                [["electronic", "courier"], ["electronic", "post"], ["courier"], ["electronic"]]
            ),
            processing_days=rng.choice([0.5, 1.0, 1.5, 2.0, 3.0]),
            closed_dates=["2025-03-03"] if rng.random() < 0.02 else [],
        )
        code = f"{21 + n % 8}{n:04d}"
        members[code] = Library(
            code=code,
            name_zh=f"图书馆{n}",
            name_en=f"Library {n}",
            city="Elsewhere" if off_network else hub,
            lat=lat + rng.uniform(-1.5, 1.5),
            lon=lon + rng.uniform(-1.5, 1.5),
            partner_groups=[f"pod-{n % 12}"],
            policy=policy,
        )
    return members


def synthetic_requests(codes: list[str], count: int, rng: random.Random) -> list[tuple]:
    requests = []
    for n in range(count):
        holders = rng.sample(codes, min(40, len(codes), int(rng.paretovariate(1.2) * 3) + 2))
        payload = {
            "id": f"c{n}",
            "format": rng.choice(FORMATS),
            "year": rng.randint(1950, 2024),
            "holdings": [{"library": c, "kind": "print", "call_number": "X"} for c in holders],
            "links": [],
        }
        lines = []
        if rng.random() < 0.2:
            lines.append(
                EHolding(rng.choice(codes), "pkg", "J", title_url="https://x", ill_allowed=True)
            )
        item = item_from_payload(payload, lines)
        needs = Needs(
            service=rng.choice(["copy", "copy", "loan"]),
            max_cost=rng.choice([None, None, 40.0]),
            electronic_ok=rng.random() > 0.1,
        )
        requests.append((item, rng.choice(codes), needs))
    return requests


class NaiveTable(DeliveryTable):
    """Delivery by a networkx shortest path per lookup (what the table replaces)."""

    def __init__(self, network: DeliveryNetwork) -> None:
        super().__init__(
            {}, network.settings["post_days_factor"], network.settings["post_cost_factor"]
        )
        self.network = network

    def get(self, origin: str, destination: str) -> tuple[float, float]:
        leg = self.network.route(origin, destination)
        return leg.days, leg.cost


def run(
    ctx: RoutingContext, requests: list[tuple], today: date
) -> tuple[float, float, list[float]]:
    """``(decisions per wall-clock second, per CPU second of this process, latencies)``.

    The CPU-time rate is the per-core figure: on a shared machine the wall clock also
    counts the time other processes hold the core.
    """
    latencies = []
    clock = time.perf_counter
    cpu_start = time.process_time()
    start = clock()
    for item, borrower, needs in requests:
        t0 = clock()
        decide(item, borrower, needs, ctx, today=today)
        latencies.append(clock() - t0)
    wall, cpu = clock() - start, time.process_time() - cpu_start
    return len(requests) / wall, len(requests) / max(cpu, 1e-9), latencies


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--naive-requests", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--seed", type=int, default=18626)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    members = synthetic_members(args.members, rng)
    t0 = time.perf_counter()
    network = DeliveryNetwork.from_file(SAMPLE_NETWORK, members)
    table = network.table()
    build = time.perf_counter() - t0
    consortium = load_consortium(SAMPLE_MEMBERS)
    stats = {
        c: LenderStats(rng.randint(0, 50), rng.randint(0, 10), 0.0, 0, rng.randint(0, 20))
        for c in members
    }
    ctx = RoutingContext.build(members, table, consortium, stats=stats)
    requests = synthetic_requests(list(members), args.requests, rng)
    holders = statistics.mean(len(item.holdings) for item, _, _ in requests)
    today = date(2025, 3, 4)
    print(
        f"{args.members} members, {len(table):,} pairs; table built in {build * 1000:.0f} ms;"
        f" {len(requests):,} requests, {holders:.1f} holders each on average"
    )
    rates, cpu_rates, lat = [], [], []
    for _ in range(args.repeat):
        rate, cpu_rate, latencies = run(ctx, requests, today)
        rates.append(rate)
        cpu_rates.append(cpu_rate)
        lat.extend(latencies)
    print(
        f"table: decisions/s wall min {min(rates):,.0f} median {statistics.median(rates):,.0f};"
        f" per CPU-second min {min(cpu_rates):,.0f} median {statistics.median(cpu_rates):,.0f};"
        f" latency p50 {pct(lat, 0.5):.3f} ms p95 {pct(lat, 0.95):.3f} ms"
        f" p99 {pct(lat, 0.99):.3f} ms"
    )
    naive_ctx = RoutingContext.build(members, NaiveTable(network), consortium, stats=stats)
    rate, cpu_rate, latencies = run(naive_ctx, requests[: args.naive_requests], today)
    print(
        f"naive (networkx path per candidate): decisions/s wall {rate:,.0f},"
        f" per CPU-second {cpu_rate:,.0f};"
        f" latency p50 {pct(latencies, 0.5):.3f} ms p95 {pct(latencies, 0.95):.3f} ms"
    )
    print(
        f"speed-up of the table (median, per CPU-second): "
        f"{statistics.median(cpu_rates) / cpu_rate:,.0f}x"
    )


if __name__ == "__main__":
    main()
