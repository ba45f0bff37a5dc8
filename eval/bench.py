"""`make bench`: run the benchmarks and write `docs/benchmarks.md`.

Each benchmark owns a section of the report between markers, so running one benchmark
(`--only`) refreshes its section and keeps the others.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from eval import bench_limits
from eval.datasets import PROJECT_ROOT, eval_data_root
from kb_assistant.composition import configure_process
from kb_assistant.settings import Settings

REPORT = PROJECT_ROOT / "docs" / "benchmarks.md"
HEADER = """# Benchmarks

Measured by `make bench` (`python -m eval.bench`); each section says what it compares and
how to reproduce it. Numbers from one machine and one run: compare within a section, where
the baseline was measured in the same run.
"""


def machine() -> str:
    """One line describing the machine and the library versions the numbers depend on."""
    cpu = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        found = re.search(r"model name\s*:\s*(.+)", cpuinfo.read_text())
        cpu = found.group(1).strip() if found else cpu
    versions = ", ".join(
        f"{name} {metadata.version(name)}"
        for name in ("torch", "sentence-transformers", "chromadb", "llama-index-core", "pypdf")
    )
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}; {versions}"


def replace_section(report: str, name: str, body: str) -> str:
    start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
    section = f"{start}\n{body.strip()}\n{end}"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(report):
        return pattern.sub(lambda _: section, report)
    return report.rstrip() + "\n\n" + section + "\n"


def write_section(out: Path, name: str, body: str) -> None:
    """Put one benchmark's section, stamped with the time, into the report at `out`."""
    report = out.read_text(encoding="utf-8") if out.exists() else HEADER
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(replace_section(report, name, f"{body}\n\n_Measured {stamp}._"), "utf-8")
    print(f"wrote {out}")


def ingest_section(root: Path, repeat: int) -> str:
    from eval import bench_ingest
    from eval.report_ingest import render

    return render(bench_ingest.run(root, repeat=repeat), machine())


def answers_section(root: Path, repeat: int) -> str:
    from eval import answers_eval

    return answers_eval.render(answers_eval.run(Settings(), root, limit=200), machine())


def llm_answers_section(root: Path, repeat: int) -> str | None:
    """The configured LLM's answers; skipped (the section kept) when none is configured."""
    from eval import llm_answers_eval

    settings = Settings()
    if settings.llm_provider == "none":
        return None
    return llm_answers_eval.render(llm_answers_eval.run(settings), machine())


def customer_section(root: Path, repeat: int) -> str:
    from eval import customer_eval

    return customer_eval.render(customer_eval.run(root), machine())


def ask_section(root: Path, repeat: int) -> str:
    from eval import bench_ask

    return bench_ask.render(bench_ask.run(root), machine())


def retrieval_section(root: Path, repeat: int) -> str:
    from eval import retrieval_eval
    from eval.report_retrieval import render

    report = retrieval_eval.run(root, Settings(), log=lambda line: print(line, flush=True))
    return render(report, machine())


def escalation_section(root: Path, repeat: int) -> str:
    from eval import escalation_eval
    from eval.escalation_datasets import DATASETS
    from eval.report_escalation import render

    report = escalation_eval.run(
        root,
        Settings(),
        DATASETS,
        figures=REPORT.parent / "figures",
        with_variant=True,
        baseline=escalation_eval.BASELINE_REV,
        log=lambda line: print(line, flush=True),
    )
    return render(report, machine(), REPORT.parent)


def money_info_section(root: Path, repeat: int) -> str:
    from eval import money_info_answers

    return money_info_answers.render(money_info_answers.run(root, Settings()), machine())


def api_section(root: Path, repeat: int) -> str:
    from eval import bench_api

    return bench_api.render(bench_api.run(), machine())


def keywords_section(root: Path, repeat: int) -> str:
    from eval import bench_keywords

    return bench_keywords.render(bench_keywords.run(root), machine())


def crash_section(root: Path, repeat: int) -> str:
    from eval import bench_crash

    return bench_crash.render(bench_crash.run_kills(), machine())


def pdf_section(root: Path, repeat: int) -> str:
    from eval import bench_pdf

    return bench_pdf.render(bench_pdf.run(root), machine())


def console_section(root: Path, repeat: int) -> str:
    from eval import bench_console

    return bench_console.render_report(bench_console.run(), machine())


def reindex_section(root: Path, repeat: int) -> str:
    from eval import bench_reindex

    return bench_reindex.render(bench_reindex.run(root), machine())


SECTIONS: dict[str, Callable[[Path, int], str | None]] = {
    "ingest": ingest_section,
    "pdf": pdf_section,
    "answers": answers_section,
    "llm_answers": llm_answers_section,
    "customer": customer_section,
    "ask": ask_section,
    "retrieval": retrieval_section,
    "escalation": escalation_section,
    "money_info": money_info_section,
    "api": api_section,
    "console": console_section,
    "crash": crash_section,
    "reindex": reindex_section,
    "keywords": keywords_section,
    "limits": bench_limits.section,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.bench", description=__doc__)
    parser.add_argument("--only", choices=sorted(SECTIONS), action="append", help="run only these")
    parser.add_argument("--repeat", type=int, default=1, help="runs per measurement (median)")
    parser.add_argument("--out", type=Path, default=REPORT, help="report file")
    args = parser.parse_args(argv)
    configure_process(Settings())
    root = eval_data_root()
    report = args.out.read_text(encoding="utf-8") if args.out.exists() else HEADER
    for name in args.only or sorted(SECTIONS):
        started = time.perf_counter()
        print(f"benchmark {name}: running…", flush=True)
        body = SECTIONS[name](root, args.repeat)
        if body is None:
            print(f"benchmark {name}: skipped (no LLM configured: KB_LLM_PROVIDER)", flush=True)
            continue
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        report = replace_section(report, name, f"{body}\n\n_Measured {stamp}._")
        print(f"benchmark {name}: done in {time.perf_counter() - started:.0f} s", flush=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report, encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
