"""Router and account errors raised for real, shown through the display mapping."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask

from mappings.errors import RoutingError
from router.api import get_router
from router.rank import Weights
from router.requests import parse_needs
from search_app.error_text import localise_error
from search_app.staff_store import check_password_rules


def _raised(action: Callable[[], object]) -> Exception:
    with pytest.raises((RoutingError, ValueError)) as caught:
        action()
    return caught.value


CASES: dict[str, tuple[Callable[[], object], str]] = {
    "bad date": (lambda: parse_needs({"needed_by": "soon"}), "请按 YYYY-MM-DD 格式输入日期。"),
    "bad service": (lambda: parse_needs({"service": "gift"}), "请选择复制件或借阅原件。"),
    "unknown weight": (
        lambda: Weights.from_mapping({"speed": 1}),
        "权重 speed：没有这项权重。",
    ),
    "short password": (lambda: check_password_rules("abc"), "密码至少需要"),
    "password with name": (
        lambda: check_password_rules("alice-secret-words", "alice"),
        "密码不能包含用户名。",
    ),
}


@pytest.mark.parametrize("case", CASES, ids=str)
def test_real_errors_are_shown_in_chinese(app: Flask, case: str) -> None:
    action, expected = CASES[case]
    error = _raised(action)
    with app.test_request_context("/?lang=zh_CN"):
        assert expected in localise_error(error)


def test_english_pages_show_the_message_as_raised(app: Flask) -> None:
    error = _raised(lambda: parse_needs({"needed_by": "soon"}))
    with app.test_request_context("/?lang=en"):
        assert localise_error(error) == str(error)


def test_wrong_state_event_names_the_state_in_chinese(app: Flask) -> None:
    made = app.test_client().post(
        "/api/v1/requests",
        json={"library": "211010", "record_id": "c-1", "needs": {"service": "copy"}},
    )
    assert made.status_code == 201, made.get_data(as_text=True)
    with app.test_request_context("/?lang=zh_CN"):
        router = get_router()
        error = _raised(
            lambda: router.event(made.get_json()["id"], "returned", library="211010", system=True)
        )
        shown = localise_error(error)
    assert "不适用于处于" in shown and "returned" in shown, (str(error), shown)


def test_unknown_messages_pass_through_and_prefixes_are_kept(app: Flask) -> None:
    with app.test_request_context("/?lang=zh_CN"):
        assert localise_error("something new went wrong") == "something new went wrong"
        assert (
            localise_error("alice: the password is too repetitive") == "alice: 密码重复字符过多。"
        )


def test_state_descriptions_match_the_state_table(app: Flask) -> None:
    """Each state's description in ``router/states.toml`` has its translation (a reworded
    description would otherwise fall back to English silently)."""
    import tomllib

    from router.track import __file__ as track_file
    from search_app.error_text import STATE_DESCRIPTIONS, state_description

    table = tomllib.loads((Path(track_file).parent / "states.toml").read_text("utf-8"))
    english = {name: spec["description"] for name, spec in table["states"].items()}
    assert english == STATE_DESCRIPTIONS
    with app.test_request_context("/?lang=zh_CN"):
        assert state_description("Overdue", english["Overdue"]) == "借阅已超过应还日期。"
