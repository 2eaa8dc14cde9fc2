"""The request state table, loaded from ``router/states.toml`` and checked when loaded.

States and transitions are data: an event either has a transition from the request's
state (with a fixed next state, or an *action* whose qualifier picks the next state), or
it does not apply. The ledger (:mod:`router.ledger`) performs the actions; this module
only knows their names and the qualifiers each can return (:data:`ACTIONS`).

>>> table = load_states()
>>> table.find("RequestReceived", "will_supply").to
'WillSupply'
>>> table.is_terminal("Unfilled")
True
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx

from mappings.errors import RoutingError

__all__ = [
    "ACTIONS",
    "DEFAULT_STATES",
    "SENDERS",
    "State",
    "StateTable",
    "StateTableError",
    "Transition",
    "load_states",
]

DEFAULT_STATES = Path(__file__).with_name("states.toml")
#: action name -> the qualifiers it can return.
ACTIONS: dict[str, tuple[str, ...]] = {
    "next_lender": ("next", "exhausted"),
    "reroute": ("next",),
    "by_service": ("copy", "loan"),
}
SENDERS = ("lender", "borrower", "staff", "system")


class StateTableError(RoutingError):
    """``states.toml`` is inconsistent; the message names the state or transition."""


@dataclass(frozen=True, slots=True)
class State:
    name: str
    description: str = ""
    terminal: bool = False
    timeout: bool = False
    lender: bool = False


@dataclass(frozen=True, slots=True)
class Transition:
    event: str
    sources: tuple[str, ...]
    by: str
    to: str = ""
    action: str = ""
    results: tuple[tuple[str, str], ...] = ()

    def target(self, qualifier: str = "") -> str:
        """The next state, given the action's qualifier when there is an action."""
        if not self.action:
            return self.to
        return dict(self.results)[qualifier]

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.to,) if not self.action else tuple(state for _, state in self.results)


@dataclass(frozen=True, slots=True)
class StateTable:
    initial: str
    states: dict[str, State]
    transitions: dict[tuple[str, str], Transition]

    @property
    def events(self) -> frozenset[str]:
        return frozenset(event for _, event in self.transitions)

    def find(self, state: str, event: str) -> Transition | None:
        return self.transitions.get((state, event))

    def is_terminal(self, state: str) -> bool:
        return self.states[state].terminal

    def events_from(self, state: str) -> list[str]:
        return sorted(event for (source, event) in self.transitions if source == state)

    def digraph(self) -> nx.MultiDiGraph:
        """States as nodes, one edge per (event, qualifier) with ``event``/``by`` attributes."""
        graph = nx.MultiDiGraph()
        for state in self.states.values():
            graph.add_node(state.name, terminal=state.terminal)
        for (source, event), transition in self.transitions.items():
            for qualifier, target in transition.results or (("", transition.to),):
                graph.add_edge(source, target, event=event, qualifier=qualifier, by=transition.by)
        return graph

    def to_markdown(self) -> str:
        """``docs/states.md``: every state, and every event with who sends it and where
        it leads (``efirst router states-doc`` writes it; a test keeps it current)."""
        lines = [
            "# Request states",
            "",
            "<!-- Generated from router/states.toml by `efirst router states-doc`;"
            " do not edit by hand. -->",
            "",
            "States use the ISO 18626 status vocabulary, seen from the borrowing side."
            f" A new lending request starts in **{self.initial}**.",
            "",
            "## States",
            "",
            "| State | Terminal | Timeout runs | With a lender | Description |",
            "|---|---|---|---|---|",
        ]
        for state in self.states.values():
            flags = [
                "yes" if flag else "" for flag in (state.terminal, state.timeout, state.lender)
            ]
            lines.append(f"| `{state.name}` | {' | '.join(flags)} | {state.description} |")
        lines += ["", "## Events", "", "| Event | Sent by | From | To |", "|---|---|---|---|"]
        seen: set[int] = set()
        for transition in self.transitions.values():
            if id(transition) in seen:
                continue
            seen.add(id(transition))
            sources = ", ".join(f"`{name}`" for name in transition.sources)
            if transition.action:
                target = f"action `{transition.action}`: " + ", ".join(
                    f"{qualifier} → `{state}`" for qualifier, state in transition.results
                )
            else:
                target = f"`{transition.to}`"
            lines.append(f"| `{transition.event}` | {transition.by} | {sources} | {target} |")
        lines += ["", "## Diagram (GraphViz)", "", "```dot", self.to_dot(), "```", ""]
        return "\n".join(lines)

    def to_dot(self) -> str:
        """GraphViz source of the state diagram (for the docs)."""
        lines = ["digraph requests {", "  rankdir=LR;"]
        for state in self.states.values():
            shape = "doublecircle" if state.terminal else "ellipse"
            lines.append(f'  "{state.name}" [shape={shape}];')
        for source, target, data in self.digraph().edges(data=True):
            label = data["event"] + (f" [{data['qualifier']}]" if data["qualifier"] else "")
            lines.append(f'  "{source}" -> "{target}" [label="{label}"];')
        lines.append("}")
        return "\n".join(lines)


def load_states(path: str | os.PathLike[str] = DEFAULT_STATES) -> StateTable:
    """Load and check a state table: every name known, every action's results complete."""
    path = Path(path)
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    states = {
        name: State(
            name=name,
            description=str(spec.get("description", "")),
            terminal=bool(spec.get("terminal", False)),
            timeout=bool(spec.get("timeout", False)),
            lender=bool(spec.get("lender", False)),
        )
        for name, spec in data.get("states", {}).items()
    }
    initial = str(data.get("initial", ""))
    if initial not in states:
        raise StateTableError(f"{path}: initial state {initial!r} is not a state")
    transitions: dict[tuple[str, str], Transition] = {}
    for number, spec in enumerate(data.get("transitions", []), start=1):
        transition = _transition(path, number, spec, states)
        for source in transition.sources:
            if (source, transition.event) in transitions:
                raise StateTableError(
                    f"{path}: transition #{number}: {transition.event!r} from {source} twice"
                )
            transitions[(source, transition.event)] = transition
    return StateTable(initial, states, transitions)


def _transition(
    path: Path, number: int, spec: dict[str, Any], states: dict[str, State]
) -> Transition:
    where = f"{path}: transition #{number} ({spec.get('event', '?')})"
    sources = tuple(spec.get("from", []))
    for source in sources:
        if source not in states:
            raise StateTableError(f"{where}, field from: {source!r} is not a state")
        if states[source].terminal:
            raise StateTableError(f"{where}, field from: {source} is terminal")
    if spec.get("by") not in SENDERS:
        raise StateTableError(f"{where}, field by: must be one of {', '.join(SENDERS)}")
    action = str(spec.get("action", ""))
    results = tuple(sorted((str(k), str(v)) for k, v in spec.get("results", {}).items()))
    if action:
        if action not in ACTIONS:
            raise StateTableError(f"{where}, field action: unknown action {action!r}")
        missing = set(ACTIONS[action]) - {k for k, _ in results}
        if missing:
            raise StateTableError(f"{where}, field results: no state for {sorted(missing)}")
    elif spec.get("to") not in states:
        raise StateTableError(f"{where}, field to: {spec.get('to')!r} is not a state")
    for _, target in results:
        if target not in states:
            raise StateTableError(f"{where}, field results: {target!r} is not a state")
    return Transition(
        event=str(spec.get("event", "")),
        sources=sources,
        by=str(spec["by"]),
        to=str(spec.get("to", "")),
        action=action,
        results=results,
    )
