"""The state table (router/states.toml) as a graph."""

from __future__ import annotations

import networkx as nx
import pytest

from router.track import ACTIONS, StateTableError, load_states


@pytest.fixture(scope="module")
def table():
    return load_states()


def test_every_state_is_reachable(table):
    graph = table.digraph()
    reachable = nx.descendants(graph, table.initial) | {table.initial}
    # Resolved and Unfilled are also where a request can start (full text, shelf, nobody)
    assert set(table.states) - reachable <= {"Resolved"}


def test_terminal_states_have_no_outgoing_edges(table):
    graph = table.digraph()
    for name, state in table.states.items():
        assert state.terminal == (graph.out_degree(name) == 0), name


def test_every_action_result_is_listed(table):
    for transition in set(table.transitions.values()):
        if transition.action:
            assert {k for k, _ in transition.results} == set(ACTIONS[transition.action])


def test_iso18626_vocabulary(table):
    assert {
        "ExpectToSupply", "WillSupply", "Loaned", "Unfilled", "CopyCompleted",
        "LoanCompleted", "Cancelled",
    } <= set(table.states)  # fmt: skip


def test_refusal_always_advances_or_ends(table):
    for state in table.states.values():
        transition = table.find(state.name, "refused")
        if transition is not None:
            assert transition.action == "next_lender"


def test_dot_diagram(table):
    dot = table.to_dot()
    assert dot.startswith("digraph") and '"WillSupply" -> "Loaned" [label="shipped [loan]"]' in dot


def test_a_broken_table_names_the_transition(tmp_path):
    path = tmp_path / "states.toml"
    path.write_text(
        'initial = "A"\n[states.A]\n[states.B]\nterminal = true\n'
        '[[transitions]]\nevent = "go"\nfrom = ["A"]\nby = "lender"\naction = "next_lender"\n'
        'results = { next = "A" }\n',
        encoding="utf-8",
    )
    with pytest.raises(StateTableError, match=r"transition #1 \(go\), field results"):
        load_states(path)
