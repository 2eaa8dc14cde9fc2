"""Engine-neutral text analysis."""

from hypothesis import given
from hypothesis import strategies as st

from mappings.text import cjk_bigrams, fold, has_cjk, title_key


def test_cjk_runs_become_bigrams_and_latin_is_kept() -> None:
    assert cjk_bigrams("中国文学史 history") == "中国 国文 文学 学史 history"
    assert cjk_bigrams("红") == "红"
    assert cjk_bigrams("plain") == "plain"


def test_traditional_folds_to_simplified() -> None:
    assert cjk_bigrams("中國") == cjk_bigrams("中国") == "中国"
    assert title_key("紅樓夢") == title_key("红楼梦")


def test_japanese_kana_and_korean_are_cjk() -> None:
    assert has_cjk("にほん") and has_cjk("한국")
    assert cjk_bigrams("日本の茶書") == "日本 本の の茶 茶书"


def test_fold_removes_accents_case_and_punctuation() -> None:
    assert fold("Études  sur l'Économie!") == "etudes sur l economie"
    assert title_key("The Hobbit: or, There and Back Again") == "thehobbitorthereandbackagain"[:40]


@given(st.text())
def test_analysis_never_raises(text: str) -> None:
    assert isinstance(cjk_bigrams(text), str)
    assert isinstance(fold(text), str)
