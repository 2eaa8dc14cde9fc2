"""The ledger: the end-to-end retry scenario, idempotency, senders, concurrency, timeouts."""

from __future__ import annotations

import multiprocessing
import threading
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from router_testkit import MONDAY, FakeClock

from mappings.schema import Needs
from router.ledger import EventError, Ledger
from router.members import SAMPLE_MEMBERS
from router.network import SAMPLE_NETWORK
from router.service import Router


def _decision(*lenders):
    return {
        "kind": "lend",
        "rota": [{"library": code, "score": 0.5, "components": {}} for code in lenders],
        "explanation": ["test"],
    }


@pytest.fixture
def router(tmp_path, clock):
    return Router(
        tmp_path / "ledger.sqlite3",
        members=SAMPLE_MEMBERS,
        network_path=SAMPLE_NETWORK,
        clock=clock,
    )


def test_refuse_timeout_supply_end_to_end(router, clock, make_item):
    item = make_item(["211030", "221010", "241010"])
    created = router.submit("211010", item, Needs(service="copy", format="book"), {"t": 1})
    rid = created["id"]
    rota = [entry["library"] for entry in created["decision"]["rota"]]
    assert created["state"] == "RequestReceived" and created["lender"] == rota[0]
    # lender 1 refuses
    clock.advance(hours=2)
    after = router.event(rid, "refused", library=rota[0], reason="not on shelf")
    assert after["state"] == "RequestReceived" and after["lender"] == rota[1]
    # lender 2 does not answer: nothing moves before its deadline (3 business days) ...
    deadline = datetime.fromisoformat(after["deadline"])
    assert deadline == datetime(2025, 3, 6, 11, 0, tzinfo=UTC)
    assert router.tick(datetime(2025, 3, 6, 10, 59, tzinfo=UTC)) == []
    # ... and at it, the next tick moves on; a second tick changes nothing
    clock.now = deadline
    assert router.tick() == [rid]
    assert router.tick() == []
    now = router.ledger.get(rid)
    assert now["lender"] == rota[2]
    clock.advance(days=1)
    router.event(rid, "will_supply", library=rota[2])
    clock.advance(hours=5)
    done = router.event(rid, "shipped", library=rota[2])
    assert done["state"] == "CopyCompleted" and done["lender"] is None
    timeline = [(e["type"], e["from"], e["to"], e["lender"]) for e in done["events"]]
    assert timeline == [
        ("created", "", "", None),
        ("sent", "", "RequestReceived", rota[0]),
        ("refused", "RequestReceived", "RequestReceived", rota[0]),
        ("sent", "RequestReceived", "RequestReceived", rota[1]),
        ("timeout", "RequestReceived", "RequestReceived", rota[1]),
        ("sent", "RequestReceived", "RequestReceived", rota[2]),
        ("will_supply", "RequestReceived", "WillSupply", rota[2]),
        ("shipped", "WillSupply", "CopyCompleted", rota[2]),
    ]
    assert [r["status"] for r in done["rota"]] == ["refused", "timed_out", "supplied"]
    stats = router.ledger.lender_stats()
    assert stats[rota[2]].filled == 1 and stats[rota[0]].unfilled == 1
    assert stats[rota[2]].turnaround_days_total == pytest.approx(1 + 5 / 24)


def test_rota_exhausted_ends_unfilled_with_purchase_offer(tmp_path, clock):
    ledger = Ledger(tmp_path / "l.sqlite3", clock=clock)
    rid = ledger.create(borrower="211010", request={}, decision=_decision("211030"))["id"]
    result = ledger.apply(rid, "refused", library="211030", reason="lost")
    assert result["state"] == "Unfilled" and result["purchase_suggestion"] is True
    assert result["lender"] is None


def test_timeline_is_in_causal_order(tmp_path, clock):
    """A refusal is recorded before the "sent" it causes, and the last refusal of an
    exhausted rota ends the timeline with the request Unfilled."""
    ledger = Ledger(tmp_path / "l.sqlite3", clock=clock)
    rid = ledger.create(borrower="211010", request={}, decision=_decision("A", "B"))["id"]
    ledger.apply(rid, "refused", library="A", reason="in use")
    done = ledger.apply(rid, "refused", library="B", reason="lost")
    moves = [(e["type"], e["lender"], e["to"]) for e in done["events"]]
    assert moves == [
        ("created", None, ""),
        ("sent", "A", "RequestReceived"),
        ("refused", "A", "RequestReceived"),
        ("sent", "B", "RequestReceived"),
        ("refused", "B", "Unfilled"),
    ]
    seqs = [e["seq"] for e in done["events"]]
    assert seqs == sorted(seqs)


def test_timeout_honours_weekends_and_closed_dates(router, clock):
    clock.now = datetime(2025, 7, 11, 9, tzinfo=UTC)  # Friday; Fudan closed 14-18 July
    assert router.deadline_for("221010", clock.now) == datetime(2025, 7, 23, 9, tzinfo=UTC)
    assert router.deadline_for("211010", clock.now) == datetime(2025, 7, 16, 9, tzinfo=UTC)


def test_repeated_message_does_not_transition_twice(tmp_path, clock):
    ledger = Ledger(tmp_path / "l.sqlite3", clock=clock)
    rid = ledger.create(borrower="211010", request={}, decision=_decision("A", "B", "C"))["id"]
    first = ledger.apply(rid, "refused", library="A", message_id="m-1")
    again = ledger.apply(rid, "refused", library="A", message_id="m-1")
    assert again["duplicate"] is True
    assert first["lender"] == again["lender"] == "B"
    assert sum(e["type"] == "refused" for e in again["events"]) == 1


def test_only_the_current_lender_may_answer(tmp_path, clock):
    ledger = Ledger(tmp_path / "l.sqlite3", clock=clock)
    rid = ledger.create(borrower="211010", request={}, decision=_decision("A", "B"))["id"]
    with pytest.raises(EventError) as caught:
        ledger.apply(rid, "will_supply", library="B")
    assert caught.value.field == "library" and caught.value.status == 403
    with pytest.raises(EventError, match="does not apply to a request in state"):
        ledger.apply(rid, "returned", library="211010")
    with pytest.raises(EventError, match="only the scheduler"):
        ledger.apply(rid, "timeout", library="211010")


def test_loan_cycle_and_staff_reroute(tmp_path, clock):
    ledger = Ledger(tmp_path / "l.sqlite3", clock=clock)
    rid = ledger.create(
        borrower="211010", request={}, decision=_decision("A", "B"), service="loan"
    )["id"]
    moved = ledger.apply(rid, "reroute", library="211010", to_library="Z", reason="faster")
    assert moved["lender"] == "Z" and moved["rota"][-1]["library"] == "Z"
    for event, library, state in (
        ("will_supply", "Z", "WillSupply"),
        ("shipped", "Z", "Loaned"),
        ("received", "211010", "Loaned"),
        ("returned", "211010", "LoanCompleted"),
    ):
        assert ledger.apply(rid, event, library=library)["state"] == state


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    lenders=st.integers(1, 6), answers=st.lists(st.sampled_from(["refused", "timeout"]), max_size=8)
)
def test_refusal_always_advances_or_ends(tmp_path_factory, lenders, answers):
    clock = FakeClock()
    ledger = Ledger(tmp_path_factory.mktemp("l") / "l.sqlite3", clock=clock)
    codes = [f"L{n}" for n in range(lenders)]
    view = ledger.create(borrower="B", request={}, decision=_decision(*codes))
    for answer in answers:
        if view["state"] == "Unfilled":
            break
        before = view["rota_position"]
        if answer == "refused":
            view = ledger.apply(view["id"], "refused", library=view["lender"])
        else:
            clock.advance(days=10)
            ledger.tick()
            view = ledger.get(view["id"])
        assert view["state"] in ("RequestReceived", "Unfilled")
        if view["state"] == "RequestReceived":
            assert view["rota_position"] == before + 1
        else:
            assert before == lenders and view["purchase_suggestion"]


def _worker(path: str, request_ids: list[str], worker: int) -> None:
    ledger = Ledger(path, clock=lambda: MONDAY)
    for rid in request_ids:
        view = ledger.get(rid)
        for _ in range(3):
            try:
                view = ledger.apply(
                    rid,
                    "refused",
                    library=view["lender"] or "-",
                    message_id=f"{rid}:{view['rota_position']}",
                )
            except EventError:
                view = ledger.get(rid)


def test_concurrent_workers_lose_no_event_and_never_double_advance(tmp_path, clock):
    path = str(tmp_path / "l.sqlite3")
    ledger = Ledger(path, clock=clock)
    ids = [
        ledger.create(borrower="B", request={}, decision=_decision("A", "C", "D", "E"))["id"]
        for _ in range(20)
    ]
    threads = [threading.Thread(target=_worker, args=(path, ids, n)) for n in range(3)]
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_worker, args=(path, ids, 9 + n)) for n in range(2)]
    for runner in (*threads, *processes):
        runner.start()
    for runner in (*threads, *processes):
        runner.join(120)
    for process in processes:
        assert process.exitcode == 0
    for rid in ids:
        view = ledger.get(rid)
        refusals = [e for e in view["events"] if e["type"] == "refused"]
        sends = [e for e in view["events"] if e["type"] == "sent"]
        # each lender refused exactly once, in rota order, each followed by one send
        assert [e["lender"] for e in refusals] == ["A", "C", "D", "E"][: len(refusals)]
        assert len(sends) == len(refusals) + (view["state"] != "Unfilled")
        assert view["state"] == "Unfilled" and len(refusals) == 4
