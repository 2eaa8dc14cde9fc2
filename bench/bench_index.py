"""End-to-end indexing throughput as a ratio to pymarc parse-only, on the same files.

``python -m bench.bench_index [--records 200000] [--seed 0] [--repeats 3]`` generates (once,
cached under ``bench/out/``) a synthetic corpus of ``--records`` MARC21 records in four
source files, then times, in turns (A B C, A B C, ...) so that drift of a shared machine
hits all three alike, three whole processes on exactly those files:

- **pipeline**: ``efirst index FILE...`` into a fresh ``EFIRST_DATA_DIR`` (mapping,
  normalisation, de-duplication into the catalog and tantivy indexing included; one
  source per file, full loads), the click command run in a ``python -c`` process;
- **pymarc**: parse-only, ``pymarc.MARCReader`` over every record;
- **rmarc**: parse-only with the ``rmarc`` drop-in.

Wall and CPU (user + system of the children) seconds per run; min and median over the
repeats; records/s; the ratio pipeline/pymarc in records/s (the issue's target: >= 3).
After the last pipeline run the number of clusters is compared with the generator's
ground truth (works). Results are printed and written to
``bench/out/index-<records>-<seed>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import OUT, machine

__all__ = ["corpus", "main", "parse_only_command", "pipeline_command", "run_pipeline", "timed"]

SOURCES = 4
_PARSE = (
    "import sys, {mod}\n"
    "n = 0\n"
    "for path in sys.argv[1:]:\n"
    "    with open(path, 'rb') as handle:\n"
    "        for record in {mod}.MARCReader(handle):\n"
    "            n += record is not None\n"
    "print(n)\n"
)


def corpus(records: int, seed: int) -> tuple[list[Path], dict[str, Any]]:
    """The cached corpus files and its manifest (generated on first use)."""
    directory = OUT / f"corpus-{records}-{seed}"
    manifest_path = directory / "manifest.json"
    if not manifest_path.exists():
        from bench.generate import write_corpus

        write_corpus(directory, records, SOURCES, seed, kbart_lines=0)
    manifest = json.loads(manifest_path.read_text())
    return sorted(directory.glob("src*.mrc")), manifest


def parse_only_command(module: str, files: list[Path]) -> list[str]:
    return [sys.executable, "-c", _PARSE.format(mod=module), *map(str, files)]


_CLI = "import sys; from indexer.cli import index; index.main(prog_name='efirst index')"


def pipeline_command(files: list[Path]) -> list[str]:
    """``efirst index FILE...``: the CLI command itself, run by the benchmark's Python
    (the ``efirst`` console script may belong to another install or be absent)."""
    return [sys.executable, "-c", _CLI, "--no-progress", *map(str, files)]


def run_pipeline(files: list[str]) -> int:
    """Index ``files`` (one source per file, named after it) as ``efirst index`` does."""
    from indexer.cli import index

    return int(index.main([*files], prog_name="efirst index", standalone_mode=False) or 0)


def timed(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """``(wall seconds, children's CPU seconds, stdout)`` of one run of ``command``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{command[:3]} failed ({done.returncode}): {done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


def _count_clusters(data_dir: Path) -> int:
    from indexer.backends.tantivy_backend import TantivyBackend
    from indexer.settings import Settings

    backend = TantivyBackend(Settings(data_dir=data_dir).index_dir)
    try:
        return backend.count()
    finally:
        backend.close()


def _label(name: str, command: list[str]) -> str:
    """A command for the report: the script of ``-c`` and the file list elided."""
    head = [Path(command[0]).name, *command[1:]]
    if name == "pipeline":
        return "efirst index --no-progress FILES (python -c: indexer.cli.index)"
    if "-c" in head:
        return " ".join(head[: head.index("-c") + 1]) + " <parse-only loop> FILES"
    files = [i for i, part in enumerate(head) if part.endswith(".mrc")]
    return " ".join(head[: files[0]] if files else head) + " FILES"


def _summary(runs: list[tuple[float, float]], records: int) -> dict[str, float]:
    walls = [w for w, _ in runs]
    cpus = [c for _, c in runs]
    median = statistics.median(walls)
    return {
        "wall_min": round(min(walls), 2),
        "wall_median": round(median, 2),
        "cpu_median": round(statistics.median(cpus), 2),
        "records_per_s_median": round(records / median),
        "runs": len(runs),
    }


def bench(records: int, seed: int, repeats: int) -> dict[str, Any]:
    files, manifest = corpus(records, seed)
    commands = {
        "pipeline": pipeline_command(files),
        "pymarc": parse_only_command("pymarc", files),
        "rmarc": parse_only_command("rmarc", files),
    }
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    clusters = 0
    for repeat in range(repeats):
        for name, command in commands.items():
            env = None
            data_dir = None
            if name == "pipeline":
                data_dir = Path(tempfile.mkdtemp(prefix="efirst-bench-", dir=OUT))
                env = {**os.environ, "EFIRST_DATA_DIR": str(data_dir), "EFIRST_SEARCH_URL": ""}
            wall, cpu, stdout = timed(command, env)
            runs[name].append((wall, cpu))
            print(
                f"  run {repeat + 1}/{repeats} {name}: {wall:.1f} s wall, {cpu:.1f} s cpu",
                file=sys.stderr,
            )
            if data_dir is not None:
                if repeat == repeats - 1:
                    clusters = _count_clusters(data_dir)
                shutil.rmtree(data_dir, ignore_errors=True)
    rows = {name: _summary(r, records) for name, r in runs.items()}
    ratios = {
        f"pipeline/{base}": round(rows[base]["wall_median"] / rows["pipeline"]["wall_median"], 3)
        for base in ("pymarc", "rmarc")
    }
    paired = [p / w for (w, _), (p, _) in zip(runs["pipeline"], runs["pymarc"], strict=True)]
    return {
        "machine": machine(),
        "records": records,
        "seed": seed,
        "files": [f.name for f in files],
        "bytes": sum(f.stat().st_size for f in files),
        "commands": {k: _label(k, v) for k, v in commands.items()},
        "cpu_ratio_pipeline_over_pymarc": round(
            rows["pipeline"]["cpu_median"] / rows["pymarc"]["cpu_median"], 2
        ),
        "rows": rows,
        "ratios_of_medians": ratios,
        "pipeline_vs_pymarc_paired": [round(x, 3) for x in paired],
        "works": manifest["works"],
        "clusters": clusters,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.bench_index",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--pipeline",
        nargs="+",
        metavar="FILE",
        help="internal: run the indexing pipeline on FILEs and exit",
    )
    args = parser.parse_args(argv)
    if args.pipeline:
        return run_pipeline(args.pipeline)
    result = bench(args.records, args.seed, args.repeats)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"index-{args.records}-{args.seed}.json").write_text(json.dumps(result, indent=2))
    print(json.dumps({k: result[k] for k in ("records", "bytes", "works", "clusters")}))
    print("| command | wall min s | wall median s | cpu median s | records/s (median) |")
    print("|---|---:|---:|---:|---:|")
    for name, row in result["rows"].items():
        print(
            f"| {name} | {row['wall_min']} | {row['wall_median']} | {row['cpu_median']} "
            f"| {row['records_per_s_median']:,} |"
        )
    print("ratios (records/s, pipeline over baseline):", result["ratios_of_medians"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
