"""The trained classifier: real embeddings, hard cases, the cache, retraining, extra examples."""

from __future__ import annotations

import csv
import dataclasses
import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from kb_assistant.core.decisions import POLICY_CLASSES
from kb_assistant.embedding import SentenceTransformerEmbedder
from kb_assistant.policy import PolicyConfig, PolicyModel, train
from kb_assistant.policy.classifier import training_set
from kb_assistant.policy.labelled_examples import EXAMPLES_DIR, load_examples, read_examples
from kb_assistant.settings import ConfigurationError


@pytest.mark.parametrize(
    ("message", "label"),
    [
        ("the cash machine ate my money and my balance went down anyway", "money_action"),
        ("I never got the funds I moved from my savings last Tuesday", "money_action"),
        ("a shop I've never heard of took 30 quid from me", "money_action"),
        ("how do I pick a new PIN for my card", "none"),
        ("when is my parcel going to turn up", "none"),
        ("which ways can I pay for an order", "money_info"),
        ("how many days does a transfer to Italy normally need", "none"),
        ("my payment to the garage on Friday still hasn't got to them", "money_action"),
        ("what could make a payee unavailable for my transfers", "none"),
        ("what do you take off a SWIFT payment sent to me", "money_action"),
    ],
)
def test_model_on_hard_cases(model: PolicyModel, message: str, label: str) -> None:
    scores = model.predict(message)
    assert max(scores, key=lambda c: scores[c]) == label
    assert sum(scores.values()) == pytest.approx(1.0)


def test_the_model_reads_a_bounded_prefix_of_long_messages(model: PolicyModel) -> None:
    scores = model.predict("I was charged twice. " + "blah " * 40_000)
    assert set(scores) == set(POLICY_CLASSES)


def test_the_cache_holds_plain_arrays_and_metadata(model: PolicyModel, model_cache: Path) -> None:
    (weights,) = model_cache.glob("model-*.npz")
    meta = json.loads(weights.with_suffix(".json").read_text(encoding="utf-8"))
    assert meta["key"] == model.key
    assert meta["examples"]["money_action"] > 100
    with np.load(weights, allow_pickle=False) as arrays:  # loading never unpickles
        assert arrays["coef"].shape[0] == len(meta["components"])
        # every example's vector and class, for the nearest-example vote
        assert arrays["vectors"].shape == (sum(meta["examples"].values()), 384)
        assert sorted(set(arrays["owners"].tolist())) == list(range(len(POLICY_CLASSES)))


def test_a_second_start_loads_the_cache_and_predicts_the_same(
    real_embedder: SentenceTransformerEmbedder,
    policy: PolicyConfig,
    model: PolicyModel,
    model_cache: Path,
) -> None:
    again = train(real_embedder, policy, cache_dir=model_cache)
    assert not again.trained_now
    assert again.key == model.key
    message = "my transfer never arrived"
    assert again.predict(message) == pytest.approx(model.predict(message))


def test_any_change_gives_a_new_key(
    real_embedder: SentenceTransformerEmbedder, policy: PolicyConfig, tmp_path: Path
) -> None:
    base = training_set(real_embedder, policy).key
    bumped = dataclasses.replace(policy, version=policy.version + "-next")
    assert training_set(real_embedder, bumped).key != base
    extra = tmp_path / "extra.csv"
    extra.write_text("text,label\nthe vending machine kept my coins,money_action\n")
    assert training_set(real_embedder, policy, extra=extra).key != base


def _few_examples(folder: Path) -> Path:
    """A small copy of the shipped examples, so that training takes a moment."""
    folder.mkdir()
    for file in EXAMPLES_DIR.glob("*.jsonl"):
        lines = file.read_text(encoding="utf-8").splitlines()[:12]
        (folder / file.name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_changed_examples_retrain(
    real_embedder: SentenceTransformerEmbedder, policy: PolicyConfig, tmp_path: Path
) -> None:
    examples = _few_examples(tmp_path / "examples")
    cache = tmp_path / "cache"
    first = train(real_embedder, policy, cache_dir=cache, examples_dir=examples)
    assert first.trained_now
    with (examples / "none.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"text": "what colour is the logo", "label": "none"}) + "\n")
    second = train(real_embedder, policy, cache_dir=cache, examples_dir=examples)
    assert second.trained_now and second.key != first.key
    assert len(list(cache.glob("model-*.npz"))) == 2


def test_an_unwritable_cache_only_costs_a_retrain(
    real_embedder: SentenceTransformerEmbedder,
    policy: PolicyConfig,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    examples = _few_examples(tmp_path / "examples")
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder should be", encoding="utf-8")
    model = train(real_embedder, policy, cache_dir=blocked, examples_dir=examples)
    assert model.trained_now
    assert "could not cache the policy model" in caplog.text
    assert sum(model.predict("refund my order").values()) == pytest.approx(1.0)


def test_a_cache_without_example_vectors_is_trained_again(
    real_embedder: SentenceTransformerEmbedder,
    policy: PolicyConfig,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    examples = _few_examples(tmp_path / "examples")
    cache = tmp_path / "cache"
    first = train(real_embedder, policy, cache_dir=cache, examples_dir=examples)
    (weights,) = cache.glob("model-*.npz")
    np.savez(weights, coef=first.coef, intercept=first.intercept)  # as an older release wrote it
    again = train(real_embedder, policy, cache_dir=cache, examples_dir=examples)
    assert again.trained_now
    assert "ignoring unreadable policy model cache" in caplog.text
    assert again.predict("refund my order") == pytest.approx(first.predict("refund my order"))


def test_the_nearest_example_vote_can_be_turned_off(
    real_embedder: SentenceTransformerEmbedder, policy: PolicyConfig, tmp_path: Path
) -> None:
    examples = _few_examples(tmp_path / "examples")
    plain = dataclasses.replace(policy, model=dataclasses.replace(policy.model, neighbours=0))
    without = train(real_embedder, plain, cache_dir=None, examples_dir=examples)
    with_vote = train(real_embedder, policy, cache_dir=None, examples_dir=examples)
    assert without.neighbours is None and with_vote.neighbours is not None
    message = "I was charged twice for one order"
    assert sum(without.predict(message).values()) == pytest.approx(1.0)
    assert without.predict(message) != pytest.approx(with_vote.predict(message))


def test_extra_examples_from_csv_and_jsonl(tmp_path: Path) -> None:
    table = tmp_path / "extra.csv"
    with table.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text", "label"])
        writer.writerow(["1", "the kiosk kept my coins", " money_action "])
    lines = tmp_path / "extra.jsonl"
    lines.write_text(json.dumps({"text": "a person, please", "label": "human_request"}) + "\n")
    assert [(e.text, e.label) for e in read_examples(table)] == [
        ("the kiosk kept my coins", "money_action")
    ]
    assert read_examples(lines)[0].label == "human_request"


@pytest.mark.parametrize(
    ("name", "content", "error"),
    [
        ("bad.csv", "text,label\nhello,refundish\n", "unknown label(s) line 2: 'refundish'"),
        ("bad.csv", "message,label\nhello,none\n", "missing column(s) text"),
        ("bad.jsonl", '{"text": "hello"}\n', "bad.jsonl:1: missing label"),
        ("bad.jsonl", "{not json\n", "bad.jsonl:1: not valid JSON"),
        ("bad.jsonl", '{"text": "  ", "label": "none"}\n', "`text` must be a non-empty string"),
        ("bad.txt", "hello\n", "must be .csv or .jsonl"),
    ],
)
def test_extra_example_errors_say_what_to_fix(
    tmp_path: Path, name: str, content: str, error: str
) -> None:
    file = tmp_path / name
    file.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigurationError) as caught:
        read_examples(file)
    assert error in str(caught.value)


def test_a_missing_extra_file_names_the_setting(
    real_embedder: SentenceTransformerEmbedder, policy: PolicyConfig, tmp_path: Path
) -> None:
    with pytest.raises(ConfigurationError, match="KB_POLICY_EXTRA_EXAMPLES"):
        train(real_embedder, policy, cache_dir=None, extra=tmp_path / "missing.csv")


def test_shipped_examples_cover_every_class_without_contradictions() -> None:
    examples = load_examples()
    counts = {c: sum(e.label == c for e in examples) for c in POLICY_CLASSES}
    assert min(counts.values()) >= 50, counts
    labels_by_text: dict[str, set[str]] = {}
    for example in examples:
        labels_by_text.setdefault(example.text.lower(), set()).add(example.label)
    assert all(len(labels) == 1 for labels in labels_by_text.values())


def _plain(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


QUESTION_SETS = Path(__file__).resolve().parents[2] / "eval" / "questions"


def _question_set_texts() -> set[str]:
    """Every customer message of the project's own question sets (`eval/questions/*.jsonl`):
    questions, statements and the customer turns of follow-up histories."""
    texts: set[str] = set()
    for path in sorted(QUESTION_SETS.glob("*.jsonl")):
        for line in path.read_text("utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            texts |= {_plain(row[key]) for key in ("question", "text") if key in row}
            texts |= {_plain(turn["text"]) for turn in row.get("history", [])}
    return texts


def test_shipped_examples_are_not_taken_from_the_question_sets() -> None:
    """The answer and gate evaluations read these questions: the policy must not learn them."""
    questions = _question_set_texts()
    assert len(questions) > 100
    copied = [e.text for e in load_examples() if _plain(e.text) in questions]
    assert not copied


def test_shipped_examples_are_not_taken_from_the_evaluation_sets(eval_data: Path) -> None:
    """The evaluation sets must stay unseen: no shipped example equals one of their messages."""
    evaluation: set[str] = _question_set_texts()
    for split in ("train.csv", "test.csv"):
        with (eval_data / "banking77" / split).open(encoding="utf-8") as handle:
            evaluation |= {_plain(row["text"]) for row in csv.DictReader(handle)}
    bitext = eval_data / "bitext_customer_support" / "bitext_customer_support_training_4514.csv"
    with bitext.open(encoding="utf-8") as handle:
        evaluation |= {_plain(row["instruction"]) for row in csv.DictReader(handle)}
    for fold in (eval_data / "nlupp").glob("*/fold*.json"):
        evaluation |= {_plain(row["text"]) for row in json.loads(fold.read_text("utf-8"))}
    copied = [e.text for e in load_examples() if _plain(e.text) in evaluation]
    assert not copied


def test_training_needs_examples(
    real_embedder: SentenceTransformerEmbedder, policy: PolicyConfig, tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    shutil.copytree(EXAMPLES_DIR, empty, ignore=shutil.ignore_patterns("*.jsonl"))
    with pytest.raises(ConfigurationError, match="no policy examples"):
        train(real_embedder, policy, cache_dir=None, examples_dir=empty)
