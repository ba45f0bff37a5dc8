"""`kb-assistant classify`, `policy train` and `eval escalation` on the command line."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from kb_assistant.cli import main
from kb_assistant.cli.policy import classify_lines, describe
from kb_assistant.core.decisions import PolicyDecision

DECISION_KEYS = {"class", "escalate", "score", "rule"}


class RefundClassifier:
    """A deterministic classifier: "refund" escalates, "fraud" is urgent, the rest answers."""

    def classify(self, message: str) -> PolicyDecision:
        if "refund" in message:
            return PolicyDecision("money_action", "escalate", 0.91, "rule:refund", "rule", "v1")
        if "fraud" in message:
            return PolicyDecision("security", "escalate", 0.8, "rule:fraud", "rule", "v1", True)
        return PolicyDecision("none", "answer", 0.6, "default", "default", "v1")


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def trained(
    tmp_path_factory: pytest.TempPathFactory, trained_policy: Path
) -> tuple[Path, dict[str, object]]:
    """A data directory where `policy train` ran over the session's trained model (copied
    in: training embeds every shipped example, and training itself is tested with the
    classifier), and what the command printed."""
    import shutil

    from kb_assistant.policy import policy_cache_dir
    from kb_assistant.settings import Settings

    data = tmp_path_factory.mktemp("policy-data")
    shutil.copytree(trained_policy, policy_cache_dir(Settings(data_dir=data)), dirs_exist_ok=True)
    printed = io.StringIO()
    with redirect_stdout(printed):
        code = main(["policy", "train", "--json", "--data-dir", str(data)])
    assert code == 0
    return data, json.loads(printed.getvalue())


def test_policy_train_reports_examples_per_class_and_the_model(
    trained: tuple[Path, dict[str, object]],
) -> None:
    _, report = trained
    examples = report["examples"]
    assert isinstance(examples, dict)
    assert set(examples) == {"money_action", "money_info", "human_request", "security", "none"}
    assert all(count > 0 for count in examples.values())
    assert report["total"] == sum(examples.values())
    assert isinstance(report["model"], str) and report["model"]
    assert report["policy_version"]
    assert report["trained_now"] is False and float(str(report["seconds"])) > 0  # cached


def test_classify_one_message_as_json_and_as_a_line(
    trained: tuple[Path, dict[str, object]], capsys: pytest.CaptureFixture[str]
) -> None:
    data, _ = trained
    message = "I was charged twice for the same order, I want my money back"

    code, out, _ = run_cli(capsys, "classify", message, "--json", "--data-dir", str(data))
    decision = json.loads(out)
    assert code == 0 and set(decision) >= DECISION_KEYS
    assert decision["class"] == "money_action" and decision["escalate"] is True
    assert 0 < decision["score"] <= 1

    code, out, _ = run_cli(capsys, "classify", message, "--data-dir", str(data))
    assert code == 0 and out.startswith("money_action: escalate to a person (score ")


def test_classify_dash_reads_one_message_per_line(
    trained: tuple[Path, dict[str, object]],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data, _ = trained
    lines = "I want a refund for my broken kettle\n\nHow do I descale the kettle?\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(lines))

    code, out, _ = run_cli(capsys, "classify", "-", "--data-dir", str(data))

    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and len(rows) == 2
    assert [r["escalate"] for r in rows] == [True, False]
    assert rows[1]["message"] == "How do I descale the kettle?" and rows[1]["class"] == "none"


def test_eval_escalation_on_a_labelled_file(
    trained: tuple[Path, dict[str, object]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, _ = trained
    labelled = tmp_path / "mine.jsonl"
    rows = [
        ("Please refund the lamp I returned last week", True),
        ("I need to speak to a real person", True),
        ("What are your opening hours?", False),
        ("How do I reset my password?", False),
    ]
    labelled.write_text(
        "".join(json.dumps({"text": t, "escalate": e}) + "\n" for t, e in rows), encoding="utf-8"
    )
    args = ["--dataset", str(labelled), "--figures", str(tmp_path / "figs"), "--json"]

    code, out, _ = run_cli(capsys, "eval", "escalation", *args, "--data-dir", str(data))

    result = json.loads(out)["datasets"]["mine"]
    assert code == 0 and result["messages"] == 4
    assert result["recall"] == 1.0 and result["false_escalation"] == 0.0
    assert result["targets"]["recall"]["met"] is True
    assert (tmp_path / "figs" / "escalation-mine.png").read_bytes()[:4] == b"\x89PNG"


def test_policy_train_refuses_a_bad_extra_file(
    clean_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = clean_env / "extra.csv"
    bad.write_text("text,label\nmy voucher failed,refund_please\n", encoding="utf-8")

    code, _, err = run_cli(capsys, "policy", "train", "--extra", str(bad))
    assert code == 2
    assert "unknown label(s)" in err and "refund_please" in err and "money_action" in err

    code, _, err = run_cli(capsys, "policy", "train", "--extra", str(clean_env / "none.csv"))
    assert code == 2 and "no such file" in err


def test_classify_lines_prints_one_json_object_per_non_blank_line() -> None:
    out = io.StringIO()
    count = classify_lines(RefundClassifier(), ["I want a refund\n", "\n", "  \n", "hello\n"], out)

    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert count == 2
    assert [r["message"] for r in rows] == ["I want a refund", "hello"]
    assert all(set(r) >= DECISION_KEYS for r in rows)
    assert [r["escalate"] for r in rows] == [True, False]
    assert rows[0]["class"] == "money_action" and rows[0]["rule"] == "rule:refund"


def test_the_human_line_says_what_happens_and_why() -> None:
    classifier = RefundClassifier()
    assert describe(classifier.classify("a refund please")) == (
        "money_action: escalate to a person (score 0.91, rule:refund)"
    )
    assert describe(classifier.classify("fraud on my card")).startswith(
        "security: escalate to a person, urgent"
    )
    assert describe(classifier.classify("hi")) == "none: answer (score 0.60, default)"


def test_empty_message_is_a_usage_error(
    clean_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(capsys, "classify", "   ")
    assert code == 2 and "MESSAGE is empty" in err


def test_eval_escalation_rejects_a_file_without_the_columns(
    clean_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = clean_env / "labels.csv"
    bad.write_text("message,label\nrefund me,money_action\n", encoding="utf-8")

    code, _, err = run_cli(capsys, "eval", "escalation", "--dataset", str(bad))

    assert code == 2
    assert "missing column(s) escalate, text" in err and "true/false" in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dataset", "banking99"], "neither one of banking77, bitext, nlupp, complaints,"),
        (["--dataset", "banking77", "--limit", "0"], "--limit must be at least 1"),
    ],
)
def test_eval_escalation_usage_errors(
    clean_env: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, _, err = run_cli(capsys, "eval", "escalation", *args)
    assert code == 2 and message in err


def test_policy_review_lists_only_the_decisions_kept_for_review(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from dataclasses import replace

    from kb_assistant.policy import PolicyAudit
    from kb_assistant.settings import Settings
    from tests.storage.engines import upgraded_engine

    audit = PolicyAudit(upgraded_engine(Settings(data_dir=tmp_path).resolved_database_url))
    plain = PolicyDecision("none", "answer", 0.9, "model:x", "model", "v1")
    note = "rule:stolen_card escalated; the model says none at 0.96"
    audit.record(plain, "where is my parcel")
    audit.record(
        replace(plain, label="security", action="escalate", rule="rule:stolen_card", review=note),
        "parcels left on the step get nicked round here",
    )

    code, out, _ = run_cli(capsys, "policy", "review", "--json", "--data-dir", str(tmp_path))
    (entry,) = json.loads(out)
    assert code == 0 and entry["review"] == note and entry["rule"] == "rule:stolen_card"

    code, out, _ = run_cli(capsys, "policy", "review", "--data-dir", str(tmp_path))
    assert code == 0 and note in out and "where is my parcel" not in out

    code, _, err = run_cli(capsys, "policy", "review", "--limit", "0", "--data-dir", str(tmp_path))
    assert code != 0 and "--limit" in err


def test_policy_review_on_an_empty_log_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(capsys, "policy", "review", "--data-dir", str(tmp_path))
    assert code == 0 and out.strip() == "no decisions kept for review"
