"""The results page's fast helpers give what the slow originals give."""

from __future__ import annotations

import pytest
from flask import Flask
from flask_babel import format_number, gettext, ngettext

from search_app.templating import number


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_whole_numbers_format_like_babel(app: Flask, lang: str) -> None:
    with app.test_request_context(f"/?lang={lang}"):
        for value in [0, 7, 999, 1000, 12345, 1234567, 10**12, -1234]:
            assert number(value) == format_number(value)
        assert number(1234.5) == format_number(1234.5)


def test_template_translations_follow_the_request_language(app: Flask) -> None:
    render = app.jinja_env.from_string(
        "{{ _('Search') }}|{{ ngettext('%(num)s result', '%(num)s results', 2) }}"
    )
    for lang in ("en", "zh_CN", "en"):
        with app.test_request_context(f"/?lang={lang}"):
            app.preprocess_request()
            expected = f"{gettext('Search')}|{ngettext('%(num)s result', '%(num)s results', 2)}"
            assert render.render() == expected
    with app.test_request_context("/?lang=zh_CN"):
        assert render.render() == "检索|2 条结果"
