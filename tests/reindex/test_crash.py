"""Re-index jobs killed with SIGKILL at random moments, as real processes.

A full rebuild that dies never touches the live version (its id, vectors, manifest and
keyword index stay exactly as they were), and the next job deletes the unfinished version.
An incremental run that dies is repaired by the next run, which ends with every change in.
Either way the index ends consistent: one vector per manifest chunk, nothing left over.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from kb_assistant.composition import (
    build_embedder,
    build_keyword_index,
    build_manifest,
    build_registry,
    build_vector_index,
)
from kb_assistant.domain import VISIBILITIES
from kb_assistant.embedding import SentenceTransformerEmbedder
from kb_assistant.index.chroma_client import chroma_client
from kb_assistant.index.chroma_disk import known_segments
from kb_assistant.settings import Settings
from tests.conftest import DEMO_KB

GENERATED_ENTRIES = 250
FLUSH_CHUNKS = "64"
JOB_TIMEOUT_S = 240.0
INCREMENTAL_SHARE = 0.6  # of a full build: about the share of chunks an incremental run embeds

SOURCES = """\
sources:
  - name: help-center
    connector: faq
    paths: [kb/faq]
    visibility: public
  - name: generated-faq
    connector: faq
    paths: [generated/faq.jsonl]
    visibility: public
gate:
  golden_questions: golden-questions.jsonl
  max_recall_drop: 0.05
  k: 5
keep_versions: 3
"""

OPENERS = ("How do I", "Can I", "What happens if I", "Is it possible to", "Why can't I", "When")
ACTIONS = (
    "track",
    "return",
    "exchange",
    "repair",
    "register",
    "insure",
    "gift-wrap",
    "reschedule",
    "split",
    "combine",
    "upgrade",
    "cancel",
)
PRODUCTS = (
    "a cedar garden bench",
    "the oak writing desk",
    "a wool throw blanket",
    "the rattan lounge chair",
    "a linen duvet cover",
    "the marble side table",
    "a brass floor lamp",
    "the walnut bookshelf",
    "a jute area rug",
    "the teak dining set",
    "a velvet ottoman",
    "the bamboo shoe rack",
)
SITUATIONS = (
    "after it was dispatched",
    "while I am travelling abroad",
    "with a store credit voucher",
    "for a delivery to a holiday home",
    "when the courier left a card",
    "on a business account",
    "bought during the spring sale",
    "ordered by phone",
    "shipped in two parcels",
    "paid for in instalments",
)
SUBJECTS = (
    "Our warehouse team",
    "The delivery partner",
    "Your account page",
    "The care guide",
    "Customer care",
    "The returns desk",
    "Our workshop",
    "The order confirmation email",
)
VERBS = (
    "normally confirms",
    "will usually arrange",
    "can help you check",
    "keeps a record of",
    "explains step by step",
    "sends a reminder about",
    "takes care of",
    "lists the options for",
)
OBJECTS = (
    "the collection slot",
    "the tracking reference",
    "the refund to your original payment method",
    "a replacement part",
    "the warranty registration",
    "the packaging requirements",
    "a new delivery window",
    "the assembly instructions",
    "the surcharge for bulky items",
    "the condition report",
)
TAILS = (
    "within two working days.",
    "before the item leaves the depot.",
    "as long as the original label is kept.",
    "once the inspection is complete.",
    "for orders placed in the last ninety days.",
    "unless the item was made to measure.",
    "at no extra cost in most regions.",
    "after you reply to the confirmation message.",
)


def faq_entry(rng: random.Random, number: int, revision: int = 0) -> dict[str, str]:
    """One made-up FAQ entry; its question names its number and revision so it is unique."""
    question = (
        f"{rng.choice(OPENERS)} {rng.choice(ACTIONS)} {rng.choice(PRODUCTS)} "
        f"{rng.choice(SITUATIONS)} (case {number} rev {revision})?"
    )
    sentences: list[str] = []
    while sum(len(s.split()) for s in sentences) < rng.randint(40, 80):
        sentences.append(
            f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(TAILS)}"
        )
    answer = " ".join(sentences) + f" Reference code R{number}x{revision}."
    return {"id": f"gen-{number}", "question": question, "answer": answer}


def write_faq(path: Path, entries: list[dict[str, str]]) -> None:
    """Write entries as a JSON Lines FAQ file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(entry) for entry in entries]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def job_env(data_dir: Path) -> dict[str, str]:
    """The job's environment: no KB_* settings from the shell, offline, small batches."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_") or k == "KB_EVAL_DATA"}
    env.update(
        KB_DATA_DIR=str(data_dir),
        KB_INGEST_FLUSH_CHUNKS=FLUSH_CHUNKS,
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
        ANONYMIZED_TELEMETRY="False",
    )
    return env


@dataclass
class Site:
    """A knowledge base folder with its sources file, the data directory it is indexed into
    and a folder for the jobs' output."""

    root: Path
    data_dir: Path
    logs: Path
    entries: list[dict[str, str]]

    @property
    def faq_file(self) -> Path:
        return self.root / "generated" / "faq.jsonl"

    @property
    def settings(self) -> Settings:
        return Settings(data_dir=self.data_dir)

    def doc_id(self, entry: dict[str, str]) -> str:
        return f"faq:{self.faq_file.resolve()}#{entry['id']}"


@dataclass
class Job:
    """A re-index job running as its own process."""

    process: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path
    started: float

    def wait(self) -> int:
        return self.process.wait(timeout=JOB_TIMEOUT_S)

    def report(self) -> dict[str, Any]:
        text = self.stdout.read_text(encoding="utf-8")
        assert text.strip(), f"no report; stderr:\n{self.stderr.read_text(encoding='utf-8')}"
        return dict(json.loads(text))

    def kill_after(self, delay: float) -> bool:
        """SIGKILL the job `delay` seconds after its start; False when it had already ended."""
        try:
            self.process.wait(timeout=max(0.0, self.started + delay - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)
            return True
        return False


def start_job(site: Site, *, full: bool, label: str) -> Job:
    """Start `kb-assistant reindex --json` over the site's sources file."""
    command = [sys.executable, "-m", "kb_assistant", "reindex"]
    command += ["--config", str(site.root / "sources.yaml"), "--json"]
    if full:
        command.append("--full")
    stdout, stderr = site.logs / f"{label}.out", site.logs / f"{label}.err"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            command, cwd=site.logs, env=job_env(site.data_dir), stdout=out, stderr=err
        )
    return Job(process, stdout, stderr, time.monotonic())


def run_job(site: Site, *, full: bool, label: str) -> dict[str, Any]:
    """Run a job to its end; it must succeed."""
    job = start_job(site, full=full, label=label)
    code = job.wait()
    assert code == 0, job.stderr.read_text(encoding="utf-8")[-4000:]
    report = job.report()
    assert report["exit_code"] == 0, report["message"]
    return report


@dataclass(frozen=True)
class LiveState:
    """Everything of the live version a reader sees."""

    version_id: int | None
    vector_ids: dict[str, frozenset[str]]
    chunk_ids: dict[str, frozenset[str]]
    keyword_counts: dict[str, int]


def live_state(settings: Settings, embedder: SentenceTransformerEmbedder) -> LiveState:
    """Read the live version's vectors, manifest chunks and keyword index sizes."""
    version = build_registry(settings).live()
    assert version is not None, "nothing is live"
    vectors = build_vector_index(settings, embedder, version)
    manifest = build_manifest(settings, version)
    keywords = build_keyword_index(settings, version)
    return LiveState(
        version.id,
        {vis: frozenset(vectors.ids(vis)) for vis in VISIBILITIES},
        {vis: frozenset(manifest.chunk_ids(vis)) for vis in VISIBILITIES},
        {vis: keywords.count(vis) for vis in VISIBILITIES},
    )


def assert_consistent(site: Site, embedder: SentenceTransformerEmbedder) -> dict[str, int]:
    """Check the live version (vector per manifest chunk, no duplicates, BM25 in step) and
    return its chunk count per visibility."""
    settings = site.settings
    version = build_registry(settings).live()
    assert version is not None
    vectors = build_vector_index(settings, embedder, version)
    manifest = build_manifest(settings, version)
    keywords = build_keyword_index(settings, version)
    counts: dict[str, int] = {}
    for vis in VISIBILITIES:
        assert vectors.ids(vis) == manifest.chunk_ids(vis), vis
        counts[vis] = vectors.count(vis)
        assert counts[vis] == manifest.chunk_count(vis) == keywords.count(vis), vis
        assert keywords.ids(vis) == manifest.chunk_ids(vis), vis
        places = Counter(
            (record.metadata["doc_id"], record.metadata["chunk_index"])
            for record in vectors.records(vis)
        )
        assert [place for place, n in places.items() if n > 1] == [], vis
    documents = manifest.documents_under([str(site.root.resolve())])
    listed = Counter((doc.id, chunk.index) for doc in documents.values() for chunk in doc.chunks)
    assert [place for place, n in listed.items() if n > 1] == []
    assert counts["public"] > GENERATED_ENTRIES // 2
    return counts


def assert_no_leftovers(site: Site) -> None:
    """No version left building, and no folder or collection of a deleted version (nor the
    vector folder of a deleted collection)."""
    settings = site.settings
    versions = build_registry(settings).all()
    assert [v.name for v in versions if v.state == "building"] == []
    kept = {v.name for v in versions if v.state != "failed"}
    folders = {p.name for p in (settings.data_dir / "index").iterdir() if p.is_dir()}
    assert folders <= kept, f"folders of deleted versions: {sorted(folders - kept)}"
    client = chroma_client(None, settings.resolved_chroma_path)
    names = {collection.name for collection in client.list_collections()}
    owners = {name.split("-")[1] for name in names if name.startswith("kb-v")}
    assert owners <= kept, f"collections of deleted versions: {sorted(owners - kept)}"
    on_disk = {p.name for p in settings.resolved_chroma_path.iterdir() if p.is_dir()}
    catalogued = known_segments(settings.resolved_chroma_path) or set()
    assert on_disk <= catalogued, f"folders of deleted collections: {on_disk - catalogued}"


@dataclass(frozen=True)
class Built:
    """A site indexed once by a full build, and how long that job took."""

    site: Site
    seconds: float


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    """The demo FAQ plus a generated FAQ of many entries, indexed once by a real job."""
    folder = tmp_path_factory.mktemp("crash")
    root = folder / "site"
    shutil.copytree(DEMO_KB / "faq", root / "kb" / "faq")
    shutil.copy(DEMO_KB.parent / "golden-questions.jsonl", root / "golden-questions.jsonl")
    (root / "sources.yaml").write_text(SOURCES, encoding="utf-8")
    rng = random.Random(7)
    entries = [faq_entry(rng, number) for number in range(GENERATED_ENTRIES)]
    base = Site(root, folder / "data", folder, entries)
    write_faq(base.faq_file, entries)
    started = time.monotonic()
    report = run_job(base, full=False, label="setup")
    assert report["mode"] == "full" and report["switched"]
    yield Built(base, time.monotonic() - started)


@pytest.fixture
def site(built: Built, clean_env: Path) -> Iterator[Site]:
    """A private copy of the built data directory over the shared site (whose generated FAQ
    file is put back as it was afterwards)."""
    shutil.copytree(built.site.data_dir, clean_env / "data")
    original = built.site.faq_file.read_bytes()
    yield Site(built.site.root, clean_env / "data", clean_env, list(built.site.entries))
    built.site.faq_file.write_bytes(original)


@pytest.fixture
def embedder(site: Site) -> SentenceTransformerEmbedder:
    """The configured model, used only for its id (reading the index loads no weights)."""
    return build_embedder(site.settings)


def kill_a_full_rebuild(
    site: Site, embedder: SentenceTransformerEmbedder, delay: float, label: str
) -> list[int]:
    """Start a full rebuild, SIGKILL it after `delay` seconds and check that the live version
    is exactly as before; returns the versions the killed job left unfinished."""
    settings = site.settings
    registry = build_registry(settings)
    before = live_state(settings, embedder)
    highest = max(v.id for v in registry.all())
    job = start_job(site, full=True, label=label)
    if not job.kill_after(delay):  # it ended first: a complete rebuild
        assert job.process.returncode == 0 and job.report()["switched"]
        assert_consistent(site, embedder)
        return []
    created = [v for v in registry.all() if v.id > highest]
    after = live_state(settings, embedder)
    if after.version_id != before.version_id:  # killed after the switch, while pruning
        assert [v.id for v in created] == [after.version_id]
        assert_consistent(site, embedder)
        return []
    assert after == before, f"the live version changed under a rebuild killed at {delay:.1f}s"
    assert [v.state for v in created] in ([], ["building"])
    return [v.id for v in created]


def test_a_full_rebuild_killed_at_random_moments_never_damages_the_live_version(
    site: Site, embedder: SentenceTransformerEmbedder, built: Built
) -> None:
    rng = random.Random(20240611)
    delays = sorted(rng.uniform(1.0, built.seconds) for _ in range(3))
    unfinished: list[list[int]] = [
        kill_a_full_rebuild(site, embedder, delay, f"full-{n}") for n, delay in enumerate(delays)
    ]

    report = run_job(site, full=False, label="after-kills")

    assert report["recovered"] == [f"v{number}" for number in unfinished[-1]]
    assert_consistent(site, embedder)
    states = {v.id: v.state for v in build_registry(site.settings).all()}
    killed = [number for numbers in unfinished for number in numbers]
    assert all(states.get(number, "failed") == "failed" for number in killed), states
    assert_no_leftovers(site)


def test_an_incremental_run_killed_midway_is_repaired_by_the_next_run(
    site: Site, embedder: SentenceTransformerEmbedder, built: Built
) -> None:
    rng = random.Random(99)
    entries = list(site.entries)
    changed = [faq_entry(rng, number, revision=1) for number in range(0, len(entries), 2)]
    for entry in changed:
        entries[int(entry["id"].removeprefix("gen-"))] = entry
    deleted = [entries.pop(index) for index in (249, 201, 153, 105, 7)]
    added = [faq_entry(rng, number) for number in range(1000, 1040)]
    write_faq(site.faq_file, entries + added)
    live_before = build_registry(site.settings).live_id()

    for attempt, delay in enumerate(
        sorted(rng.uniform(1.0, INCREMENTAL_SHARE * built.seconds) for _ in range(2))
    ):
        job = start_job(site, full=False, label=f"incremental-{attempt}")
        if not job.kill_after(delay):
            assert job.process.returncode == 0

    report = run_job(site, full=False, label="incremental-again")

    assert report["mode"] == "incremental" and report["version"] == f"v{live_before}"
    counts = assert_consistent(site, embedder)
    manifest = build_manifest(site.settings)
    documents = manifest.documents_under([str(site.faq_file.resolve())])
    wanted = {site.doc_id(entry): entry["question"] for entry in entries + added}
    assert {doc_id: doc.title for doc_id, doc in documents.items()} == wanted
    assert not {site.doc_id(entry) for entry in deleted} & set(documents)
    texts: dict[str, str] = {}
    for record in build_vector_index(site.settings, embedder).records("public"):
        doc_id = str(record.metadata["doc_id"])
        texts[doc_id] = texts.get(doc_id, "") + record.text
    for entry in changed + added:
        text = texts[site.doc_id(entry)]
        number = entry["id"].removeprefix("gen-")
        assert entry["answer"].split()[-1].rstrip(".") in text, entry["id"]
        assert entry in added or f"R{number}x0" not in text, entry["id"]
    generated = sum(len(doc.chunks) for doc in documents.values())
    assert generated >= len(wanted) and counts["public"] > generated
    assert_no_leftovers(site)
