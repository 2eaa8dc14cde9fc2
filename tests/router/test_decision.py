"""The decision: full text, local shelf, or an explained rota of lenders."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from mappings.schema import Citation, EHolding, Needs
from router.decision import decide, item_from_citation


def _journal_line(library, **fields):
    base = dict(
        library=library,
        package="Cambridge Journals",
        publication_title="Journal of Asian Studies",
        print_identifier="0021-9118",
        title_url="https://www.cambridge.org/core/journals/journal-of-asian-studies",
    )
    base.update(fields)
    return EHolding(**base)


def test_open_access_link_wins(context, make_item, today):
    item = make_item(["211010"], links=[{"url": "https://oa.example/x", "access": "open"}])
    decision = decide(item, "211010", Needs(), context, today=today)
    assert decision.kind == "fulltext"
    assert [link.url for link in decision.links] == ["https://oa.example/x"]
    assert "Full text online (open)" in decision.explanation[0]


def test_consortium_licence_covering_the_year_gives_a_link(context, make_item, today):
    line = _journal_line("CASHL", date_first_issue_online="1990")  # open-ended
    item = make_item(["221010"], eholdings=(line,), format="article", year=2020)
    decision = decide(item, "211010", Needs(), context, today=today)
    assert decision.kind == "fulltext"
    assert decision.links[0].access == "licensed"


def test_embargoed_year_falls_through_to_lending_and_says_why(context, make_item, today):
    line = _journal_line("CASHL", date_first_issue_online="1990", embargo_info="R2Y")
    item = make_item(["221010"], eholdings=(line,), format="article", year=2024)
    decision = decide(item, "211010", Needs(), context, today=today)
    assert decision.kind == "lend"
    assert "embargo R2Y" in " ".join(decision.explanation)


def test_volume_only_coverage(context, today):
    line = _journal_line("211010", num_first_vol_online="10", num_last_vol_online="20")
    for volume, kind in (("15", "fulltext"), ("21", "none")):
        item = item_from_citation(
            Citation(genre="article", atitle="A", volume=volume), eholdings=[line]
        )
        assert decide(item, "211010", Needs(), context, today=today).kind == kind


def test_another_library_licence_is_not_full_text_for_us(context, make_item, today):
    line = _journal_line("221010", date_first_issue_online="1990")
    item = make_item([], eholdings=(line,), format="article", year=2020)
    assert decide(item, "211010", Needs(), context, today=today).kind == "none"


def test_print_only_patron_skips_full_text(context, make_item, today):
    item = make_item(["211010"], links=[{"url": "https://oa.example/x", "access": "open"}])
    decision = decide(item, "211010", Needs(electronic_ok=False), context, today=today)
    assert decision.kind == "local"


def test_local_shelf_gives_call_number(context, make_item, today):
    decision = decide(make_item(["221010", "211010"]), "211010", Needs(), context, today=today)
    assert decision.kind == "local"
    assert decision.holding.call_number == "K25/1"
    assert "On the shelf at your library: Stacks, K25/1." in decision.explanation


def test_missing_local_copy_goes_to_lenders(context, make_item, today):
    item = make_item(["221010"])
    item.holdings[0].library = "211010"
    item.holdings[0].status = "Missing"
    item.holdings.append(make_item(["221010"]).holdings[0])
    decision = decide(item, "211010", Needs(service="loan"), context, today=today)
    assert decision.kind == "lend"
    assert [e.library for e in decision.rota] == ["221010"]


def test_lend_rota_is_ordered_scored_and_explained(context, make_item, today):
    item = make_item(["211030", "221010", "273010", "252010", "211040", "999999"])
    decision = decide(item, "211010", Needs(service="loan"), context, today=today)
    assert decision.kind == "lend"
    assert [e.library for e in decision.rota] == ["211030", "221010", "273010"]
    assert [e.rank for e in decision.rota] == [1, 2, 3]
    scores = [e.score for e in decision.rota]
    assert scores == sorted(scores, reverse=True)
    first = decision.rota[0]
    assert set(first.components) == {"cost", "time", "turnaround", "fill_rate", "load", "partner"}
    assert first.components["partner"] == 1.0  # both in the "beijing" group
    assert first.facts["delivery"] == "courier" and first.facts["shipping"] == 16.0  # both ways
    assert "courier" in first.reason and "partner (beijing)" in first.reason
    excluded = {e["library"]: e["reason"] for e in decision.excluded}
    assert excluded == {
        "252010": "does not lend to other libraries",
        "211040": "does not supply books",
        "999999": "is not a member of the consortium",
    }


def test_copies_go_electronically_without_shipping(context, make_item, today):
    decision = decide(
        make_item(["273010"]), "211010", Needs(format="article"), context, today=today
    )
    entry = decision.rota[0]
    assert entry.facts["delivery"] == "electronic" and entry.facts["shipping"] == 0.0


def test_max_cost_and_needed_by_exclude_with_reasons(context, make_item, today):
    item = make_item(["221010", "273010"])
    decision = decide(item, "211010", Needs(service="loan", max_cost=50), context, today=today)
    reasons = {e["library"]: e["reason"] for e in decision.excluded}
    assert reasons["221010"].startswith("costs 65.00 CNY (fee 25.00 + shipping 40.00)")
    needs = Needs(service="loan", needed_by="2025-03-08")
    decision = decide(item, "211010", needs, context, today=today)
    assert [e.library for e in decision.rota] == ["221010"]
    assert "after the needed-by date" in decision.excluded[0]["reason"]


def test_closed_lender_is_excluded(context, make_item):
    decision = decide(make_item(["221010"]), "211010", Needs(), context, today=date(2025, 7, 15))
    assert decision.excluded == [{"library": "221010", "reason": "is closed today (2025-07-15)"}]
    assert decision.kind == "none"
    assert "purchase" in decision.explanation[-1]


def test_ill_licence_makes_an_electronic_lender(context, make_item, today):
    line = _journal_line("221020", ill_allowed=True)
    no_ill = _journal_line("222010")
    item = make_item([], eholdings=(line, no_ill), format="article", year=2010)
    decision = decide(item, "211010", Needs(), context, today=today)
    assert [e.library for e in decision.rota] == ["221020"]
    assert decision.rota[0].facts["source"] == "electronic"
    loan = decide(item, "211010", Needs(service="loan"), context, today=today)
    assert loan.excluded[0]["reason"].startswith("holds it electronically only")


def test_history_changes_the_order(context, make_item, today):
    from router.rank import LenderStats

    item = make_item(["211030", "221010"])
    try:
        context.stats = {"211030": LenderStats(filled=1, unfilled=30, load=25)}
        decision = decide(item, "211010", Needs(service="loan"), context, today=today)
        assert decision.rota[0].library == "221010"
        assert decision.rota[1].components["fill_rate"] < 0.2
    finally:
        context.stats = {}


CODES = ["211010", "211030", "211040", "212010", "221010", "252010", "263010", "273010", "X1"]


@settings(max_examples=200, deadline=None)
@given(
    holders=st.lists(st.sampled_from(CODES), max_size=9),
    borrower=st.sampled_from(CODES[:-1]),
    service=st.sampled_from(["copy", "loan"]),
    fmt=st.sampled_from(["book", "article", "journal", "thesis", "video"]),
    max_cost=st.none() | st.floats(0, 100),
    electronic_ok=st.booleans(),
    statuses=st.lists(st.sampled_from(["", "missing", "on loan"]), min_size=9, max_size=9),
)
def test_excluded_library_never_in_rota(
    context, make_item, holders, borrower, service, fmt, max_cost, electronic_ok, statuses
):
    item = make_item(holders)
    for holding, status in zip(item.holdings, statuses, strict=False):
        holding.status = status
    needs = Needs(format=fmt, service=service, max_cost=max_cost, electronic_ok=electronic_ok)
    decision = decide(item, borrower, needs, context, today=date(2025, 3, 3))
    rota = [e.library for e in decision.rota]
    excluded = {e["library"] for e in decision.excluded}
    assert not excluded & set(rota)
    assert len(rota) == len(set(rota))
    assert borrower not in rota
    if decision.kind == "lend":
        assert rota and all(0 <= e.score <= 1 for e in decision.rota)
        if max_cost is not None:
            assert all(e.facts["total_cost"] <= max_cost for e in decision.rota)
