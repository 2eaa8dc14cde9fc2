"""bench_worker measures every stage of the worker side on a generated file."""

from __future__ import annotations

from pathlib import Path

from bench.bench_worker import STAGES, run
from bench.generate import write_corpus


def test_every_stage_is_measured(tmp_path: Path) -> None:
    write_corpus(tmp_path, 1200, 1, seed=3)
    result = run(str(tmp_path / "src01.mrc"), repeats=2, mapping_name="marc21")
    assert set(result) == set(STAGES)
    assert all(len(values) == 2 and all(v > 0 for v in values) for values in result.values())
