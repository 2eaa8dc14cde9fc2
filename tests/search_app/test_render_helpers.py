"""The results page's fast helpers give what the slow originals give."""

from __future__ import annotations

import itertools

import pytest
from flask import Flask, url_for
from flask_babel import format_number, gettext, ngettext
from markupsafe import Markup

from search_app.availability import Availability
from search_app.go import go_url
from search_app.query import FACET_PARAMS, SearchForm
from search_app.results_page import (
    HitView,
    availability_line,
    facet_list,
    facet_views,
    hit_list,
)
from search_app.templating import (
    FACET_TITLES,
    facet_label,
    member_options,
    member_options_html,
    number,
)


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


#: The availability line as it was a Jinja macro (the reference for the Python one).
AVAILABILITY_MACRO = """{% macro availability_line(a, record_id, record_href=None) %}
<ul class="availability" aria-label="{{ _('Availability') }}">
  {% if a.online %}
    {% set first = a.online[0] %}
    <li class="av av-online"><span class="av-icon" aria-hidden="true">●</span>
      {% if first.url|safe_url %}<a href="{{ go_url(first.url, record_id) }}" target="_blank" rel="noopener noreferrer">{{ _("Full text online") }}</a>{% else %}{{ _("Full text online") }}{% endif %}
      <span class="av-note">({{ _("open access") if first.access == "open" else _("licensed to your library") }})</span></li>
  {% endif %}
  {% if a.shelf %}
    {% set h = a.shelf[0] %}
    <li class="av av-shelf"><span class="av-icon" aria-hidden="true">▸</span>
      {{ _("On the shelf at your library") }}{% if h.call_number %}: <span class="call-number">{{ h.call_number }}</span>{% endif %}{% if h.location %} <span class="av-note">({{ h.location }})</span>{% endif %}</li>
  {% endif %}
  {% if a.lenders %}
    <li class="av av-request"><span class="av-icon" aria-hidden="true">▸</span>
      <a href="{{ record_href or url_for('portal.record', record_id=record_id) }}#get-it">{{ _("Request delivery") }}</a>
      <span class="av-note">({{ ngettext("held by %(num)s member library", "held by %(num)s member libraries", a.lenders|length, num=a.lenders|length|numberformat) }})</span></li>
  {% endif %}
  {% if not a.online and not a.shelf and not a.lenders %}
    <li class="av av-none">{{ _("No copy in the consortium") }}</li>
  {% endif %}
</ul>
{% endmacro %}"""  # noqa: E501


def _availabilities() -> list[Availability]:
    urls = ["https://x.org/a?b=1&c=2", "javascript:alert(1)", " https://y.org/ü ", "", None]
    shelves = [{}, {"call_number": "QA<1>&", "location": 'Main "stacks"'}, {"call_number": 12}]
    found = []
    for url, access, shelf, lenders in itertools.product(
        urls, ["open", "licensed", None], shelves, [0, 1, 2, 1234]
    ):
        online = [{"url": url, "access": access}] if url is not None else []
        found.append(Availability(online, [shelf] if shelf else [], ["L"] * lenders))
    found.append(Availability())
    return found


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_availability_line_is_the_macro_it_replaced(app: Flask, lang: str) -> None:
    """Every branch, escaping, plural and number format, in both languages."""
    with app.test_request_context(f"/search?q=x&lang={lang}"):
        app.preprocess_request()
        macro = app.jinja_env.from_string(AVAILABILITY_MACRO).module.availability_line
        cases = _availabilities()
        for a, (record_id, href) in zip(
            cases, itertools.cycle([("rec/1 ?", None), ("w1", "/record/w1?q=a&b"), ("中文", "")])
        ):
            assert availability_line(a, record_id, href) == str(macro(a, record_id, href))
        assert len(cases) > 100


def test_availability_line_escapes_data(app: Flask) -> None:
    with app.test_request_context("/search?q=x&lang=en"):
        shelf = [{"call_number": "<script>", "location": '"x"&'}]
        html = availability_line(Availability(shelf=shelf), "r")
    assert "<script>" not in html and "&lt;script&gt;" in html and "&#34;x&#34;&amp;" in html


def test_go_links_are_url_for(app: Flask) -> None:
    with app.test_request_context("/search?q=x"):
        for url in ["https://x.org/a?b=1&c=2#f", "http://例え.jp/ü ?", ""]:
            for record in ["w1", "a&b=c", "中文 /"]:
                assert go_url(url, record) == url_for("go.go", url=url, record=record)


#: The library picker as base.html printed it, one option at a time.
OPTIONS_LOOP = """{% for code, name in member_options(locale) %}
        <option value="{{ code }}" {{ 'selected' if code == chosen }}>{{ name }}</option>
{% endfor %}"""


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_library_picker_options_are_the_loop_they_replaced(app: Flask, lang: str) -> None:
    loop = app.jinja_env.from_string(OPTIONS_LOOP)
    with app.test_request_context(f"/?lang={lang}"):
        codes = [code for code, _ in member_options(lang)]
        assert len(codes) > 1
        for chosen in [None, "", "no-such-library", codes[0], codes[-1]]:
            expected = loop.render(locale=lang, chosen=chosen)
            assert member_options_html(lang, chosen) == expected


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_facet_values_are_labelled_like_facet_label(app: Flask, lang: str) -> None:
    """The sidebar's per-page label tables give what ``facet_label`` gives."""
    with app.test_request_context(f"/search?q=x&lang={lang}"):
        app.preprocess_request()
        codes = [code for code, _ in member_options(lang)]
        facets = {
            "format": [("book", 3), ("journal", 1200), ("unheard-of", 1)],
            "online": [("open", 2), ("licensed", 1), ("odd", 1)],
            "language": [("chi", 5), ("eng", 4), ("xxx", 1)],
            "subject_facet": [("History", 2)],
            "library": [(codes[0], 2), ("not-a-member", 1)],
        }
        form = SearchForm(q="x", filters={"format": ["book"]})
        views = {view.name: view for view in facet_views(form, facets)}
        for name, engine_field in FACET_PARAMS.items():
            view = views[name]
            assert view.title == str(FACET_TITLES[name])
            for value, (raw, count) in zip(view.values, facets[engine_field], strict=True):
                assert value.label == facet_label(name, raw)
                assert value.count == format_number(count)
                assert value.active == (name == "format" and raw == "book")


#: The result list's and the sidebar's loops as the results template had them.
HITS_LOOP = """{% set et_al = _("et al.") %}
    {% for hit in hits %}
    <li class="result">
      <h2 class="result-title"><a href="{{ hit.url }}">{{ hit.title }}</a></h2>
      {% if hit.vernacular %}<p class="vernacular">{{ hit.vernacular }}</p>{% endif %}
      <p class="meta">
        {% if hit.authors %}<span class="authors">{{ hit.authors }}{% if hit.et_al %} {{ et_al }}{% endif %}</span>{% endif %}
        {% if hit.year %}<span class="year">{{ hit.year }}</span>{% endif %}
        <span class="format">{{ hit.format }}</span>
        {% if hit.language %}<span class="language">{{ hit.language }}</span>{% endif %}
      </p>
      {{ availability_line(hit.availability, hit.id, hit.url) }}
    </li>
    {% endfor %}
"""  # noqa: E501
FACETS_LOOP = """{% set selected_remove = _("selected, remove") %}
  {% for facet in facets %}
    <section class="facet" aria-labelledby="facet-{{ facet.name }}">
      <h3 id="facet-{{ facet.name }}">{{ facet.title }}</h3>
      <ul>
      {% for v in facet.values %}
        <li>{% if v.active %}<a class="active" aria-current="true" href="{{ v.href }}">{{ v.label }} <span class="visually-hidden">({{ selected_remove }})</span></a>
        {% else %}<a href="{{ v.href }}">{{ v.label }}</a>{% endif %}
        <span class="count">{{ v.count }}</span></li>
      {% endfor %}
      </ul>
    </section>
  {% endfor %}
"""  # noqa: E501


def _hits() -> list[HitView]:
    found = []
    cases = itertools.product(
        [Markup("<mark>Climate</mark> &amp; society"), Markup("")],
        [Markup("中国<mark>文学</mark>"), Markup("")],
        [Markup("Li, <mark>Wei</mark>"), Markup("")],
        [True, False],
        ["2019", ""],
        ["Book", 'Odd "format" <x>'],
        ["English", ""],
    )
    for n, (title, vernacular, authors, et_al, year, fmt, language) in enumerate(cases):
        found.append(
            HitView(
                f"r{n}",
                f"/record/r{n}?q=a&b",
                title,
                vernacular,
                authors,
                et_al,
                year,
                fmt,
                language,
                Availability(lenders=["L"] * (n % 3)),
            )
        )
    return found


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_hit_list_is_the_loop_it_replaced(app: Flask, lang: str) -> None:
    with app.test_request_context(f"/search?q=x&lang={lang}"):
        app.preprocess_request()
        hits = _hits()
        assert len(hits) == 128
        expected = app.jinja_env.from_string(HITS_LOOP).render(hits=hits)
        assert hit_list(hits) == expected
        assert hit_list([]) == ""


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_facet_list_is_the_loop_it_replaced(app: Flask, lang: str) -> None:
    with app.test_request_context(f"/search?q=x&lang={lang}"):
        app.preprocess_request()
        form = SearchForm(q="a&b", filters={"format": ["book"], "subject": ['"><x>']})
        facets = {
            "format": [("book", 3), ("journal", 1200)],
            "online": [("open", 2)],
            "language": [("chi", 5)],
            "subject_facet": [('"><x>', 2), ("History & <b>", 1)],
            "library": [],
        }
        views = facet_views(form, facets)
        assert [view.name for view in views] == ["format", "access", "language", "subject"]
        expected = app.jinja_env.from_string(FACETS_LOOP).render(facets=views)
        assert facet_list(views) == expected
        assert facet_list([]) == ""
