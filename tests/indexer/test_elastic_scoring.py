"""The BM25 calibration and the token encoding that make Elasticsearch score like tantivy.

Pure arithmetic and text: no node needed (the contract suite checks the end result on a
real Elasticsearch).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from indexer.backends.es_index import PLACEHOLDER, es_token, es_tokens, to_source
from indexer.backends.es_scoring import K1, B, TextStats


def _tantivy_norm(dl: float, tokens: int, docs: int) -> float:
    return K1 * (1 - B + B * dl / (tokens / docs))


def _lucene_norm(dl: float, k1: float, b: float, tokens: int, empty: int, docs: int) -> float:
    return k1 * (1 - b + b * dl / ((tokens + empty) / docs))  # placeholders count


@given(
    tokens=st.integers(1, 10**7),
    empty=st.integers(0, 10**6),
    dl=st.integers(1, 500),
)
def test_calibrated_length_norm_equals_tantivys(tokens, empty, dl):
    docs = empty + max(1, tokens // 7)
    stats = TextStats()
    stats.tokens["author"] = tokens
    stats.empty["author"] = empty
    params = stats.similarity()["efirst_author"]
    assert 0 < params["b"] <= 1
    lucene = _lucene_norm(dl, params["k1"], params["b"], tokens, empty, docs)
    assert lucene == pytest.approx(_tantivy_norm(dl, tokens, docs), rel=1e-9)
    assert stats.factors()["author"] * (params["k1"] + 1) == pytest.approx(K1 + 1)


def test_dense_fields_keep_the_plain_parameters():
    stats = TextStats()
    stats.add("title", 12)
    stats.add("title", 3)
    assert stats.similarity()["efirst_title"]["k1"] == pytest.approx(K1)
    assert stats.similarity()["efirst_title"]["b"] == pytest.approx(B)
    assert stats.factors()["title"] == pytest.approx(1.0)


@given(st.text(min_size=1, max_size=12))
def test_token_encoding_is_one_to_one_and_survives_the_standard_tokenizer(token):
    encoded = es_token(token)
    assert encoded.isascii() and encoded.isalnum() and encoded != PLACEHOLDER
    if encoded != token:
        assert encoded == "x" + token.encode("utf-8").hex()


def test_cjk_is_bigrammed_and_folded_before_encoding():
    assert es_tokens("中国 文学 Café") == [es_token("中国"), es_token("文学"), "cafe"]
    assert es_token("xab") == "x" + b"xab".hex()  # an ASCII word that looks encoded


def test_empty_text_fields_get_the_placeholder_and_are_counted():
    stats = TextStats()
    source = to_source({"id": "a", "title": ["Café society"], "author": []}, stats)
    assert source["title"] == ["cafe society"]
    assert source["author"] == [PLACEHOLDER]
    assert (stats.tokens["title"], stats.empty["author"]) == (2, 1)


def test_a_document_that_fails_does_not_count():
    stats = TextStats()
    with pytest.raises(ValueError):
        to_source({"id": "a", "title": ["x y"], "year": "soon"}, stats)
    assert not stats.tokens and not stats.empty
