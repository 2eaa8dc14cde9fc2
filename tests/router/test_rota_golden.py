"""The optimised scoring path decides exactly as the original did on a seeded consortium.

``golden/rota_seeded.json`` was written by the straightforward implementation (before the
hot path was tuned for ``bench/bench_router.py``): every decision kind, rota (rank,
score, components, facts, reason) and exclusion with its reason. Regenerate it only for
an intended change of routing: ``python tests/router/test_rota_golden.py``.
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bench.bench_router import synthetic_members
from mappings.schema import EHolding, Needs
from router.candidates import RoutingContext
from router.decision import decide, item_from_payload
from router.members import SAMPLE_MEMBERS, load_consortium
from router.network import SAMPLE_NETWORK, DeliveryNetwork
from router.rank import LenderStats, Weights, score

GOLDEN = Path(__file__).parent / "golden" / "rota_seeded.json"
TODAY = date(2025, 3, 4)
FORMATS = ["book", "article", "journal", "thesis"]


def _context(seed: int, count: int, weights: Weights | None = None) -> RoutingContext:
    rng = random.Random(seed)
    members = synthetic_members(count, rng)
    for n, library in enumerate(members.values()):
        if n % 7 == 0:
            library.policy.closed_dates = ["2025-03-04"]
    table = DeliveryNetwork.from_file(SAMPLE_NETWORK, members).table()
    stats = {
        code: LenderStats(
            rng.randint(0, 40),
            rng.randint(0, 9),
            rng.uniform(0, 30),
            rng.randint(0, 9),
            rng.randint(0, 25),
        )
        for code in list(members)[::2]
    }
    options: dict[str, Any] = {"stats": stats}
    if weights is not None:
        options["weights"] = weights
    return RoutingContext.build(members, table, load_consortium(SAMPLE_MEMBERS), **options)


def _requests(codes: list[str], count: int, seed: int) -> list[tuple[Any, str, Needs]]:
    rng = random.Random(seed)
    out = []
    for n in range(count):
        holders = rng.sample(codes, rng.randint(1, min(25, len(codes))))
        holdings = [
            {
                "library": c,
                "kind": "print",
                "call_number": "X",
                "status": rng.choice(["", "", "", "on loan", "missing"]),
            }
            for c in holders
        ]
        lines = [
            EHolding(
                rng.choice(codes),
                "pkg",
                "J",
                title_url="https://x/1",
                ill_allowed=rng.random() < 0.8,
                date_first_issue_online=rng.choice(["", "1990", "2010"]),
            )
            for _ in range(rng.randint(0, 2))
        ]
        payload = {
            "id": f"c{n}",
            "format": rng.choice(FORMATS),
            "year": rng.randint(1980, 2024),
            "holdings": holdings,
            "links": [],
        }
        needs = Needs(
            service=rng.choice(["copy", "copy", "loan"]),
            format=rng.choice(["", "", "article", "book"]),
            max_cost=rng.choice([None, None, 20.0, 60.0]),
            needed_by=rng.choice(["", "", "2025-03-07", "2025-03-20"]),
            electronic_ok=rng.random() > 0.2,
        )
        out.append((item_from_payload(payload, lines), rng.choice(codes), needs))
    return out


def _decisions(seed: int = 7, members: int = 40, count: int = 120) -> list[dict[str, Any]]:
    ctx = _context(seed, members)
    out = []
    for item, borrower, needs in _requests(list(ctx.profiles), count, seed + 1):
        decision = decide(item, borrower, needs, ctx, today=TODAY)
        out.append(
            {
                "kind": decision.kind,
                "rota": [asdict(entry) for entry in decision.rota],
                "excluded": decision.excluded,
                "explanation": decision.explanation,
            }
        )
    return out


def test_decisions_equal_the_golden_file() -> None:
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    got = json.loads(json.dumps(_decisions(), ensure_ascii=False))
    assert len(got) == len(expected)
    for n, (have, want) in enumerate(zip(got, expected, strict=True)):
        assert have == want, f"decision #{n} differs"


def test_golden_file_exercises_every_path() -> None:
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    kinds = {d["kind"] for d in expected}
    reasons = " ".join(e["reason"] for d in expected for e in d["excluded"])
    assert {"lend", "none", "local"} <= kinds
    for fragment in ("closed today", "more than the maximum", "needed-by", "no loans"):
        assert fragment in reasons


@pytest.mark.parametrize("weights", [Weights(), Weights(cost=3, partner=0, load=2)])
def test_rota_scores_equal_the_reference_score_function(weights: Weights) -> None:
    ctx = _context(11, 120, weights)
    home_groups = {c: p.partners for c, p in ctx.profiles.items()}
    checked = 0
    for item, borrower, needs in _requests(list(ctx.profiles), 300, 12):
        for entry in decide(item, borrower, needs, ctx, today=TODAY).rota:
            facts = entry.facts
            value, components = score(
                cost=facts["fee"] + facts["shipping"],
                days=ctx.profiles[entry.library].processing_days + facts["transit_days"],
                processing_days=facts["processing_days"],
                stats=ctx.stats.get(entry.library),
                partner=bool(home_groups[borrower] & ctx.profiles[entry.library].partners),
                weights=weights,
            )
            assert entry.components == components
            assert entry.score == round(value, 4)
            checked += 1
    assert checked > 500


if __name__ == "__main__":
    lines = (json.dumps(d, ensure_ascii=False, sort_keys=True) for d in _decisions())
    GOLDEN.write_text("[\n" + ",\n".join(lines) + "\n]\n", encoding="utf-8")
