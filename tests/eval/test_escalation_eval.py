"""Escalation evaluation: figures on hand-made outcomes, labelled files, the PNG, the report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.escalation_datasets import (
    EscalationDataError,
    EscalationDataset,
    LabeledMessage,
    load_banking77,
    load_bitext,
    load_dataset,
    load_labeled_file,
    load_nlupp,
    nlupp_group,
    parse_escalate,
)
from eval.escalation_eval import (
    Outcome,
    binary_figures,
    classify_all,
    confusion,
    evaluate,
    per_label,
    sample,
    target_check,
)
from eval.report_escalation import render, render_text
from kb_assistant.core.decisions import PolicyDecision

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class KeywordClassifier:
    """A deterministic classifier: money words escalate, "invoice" is money_info."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def classify(self, message: str) -> PolicyDecision:
        self.seen.append(message)
        text = message.lower()
        if "refund" in text or "charged" in text:
            return PolicyDecision("money_action", "escalate", 0.9, "rule:refund", "rule", "t1")
        if "invoice" in text:
            return PolicyDecision(
                "money_info", "answer_no_commitment", 0.8, "model:x", "model", "t1"
            )
        return PolicyDecision("none", "answer", 0.7, "default", "default", "t1")


def outcome(gold: str, escalate: bool, label: str = "x", policy: str = "none") -> Outcome:
    policy = "money_action" if escalate and policy == "none" else policy
    return Outcome(LabeledMessage("m", gold, (label,)), policy, escalate, "r", 1.0)  # type: ignore[arg-type]


MESSAGES = [
    LabeledMessage("I want a refund", "escalate", ("get_refund",)),
    LabeledMessage("I was charged twice", "escalate", ("charged_twice",)),
    LabeledMessage("my money never came back", "escalate", ("get_refund",)),
    LabeledMessage("where is my invoice", "money_info", ("get_invoice",)),
    LabeledMessage("invoice refund question", "money_info", ("get_invoice",)),
    LabeledMessage("cancel my order", "borderline", ("cancel_order",)),
    LabeledMessage("how do I change my address", "answer", ("change_address",)),
    LabeledMessage("reset my password", "answer", ("recover_password",)),
]
DATASET = EscalationDataset("hand", "Hand-made", MESSAGES, "by hand")


def test_recall_and_false_escalation_count_only_their_groups() -> None:
    outcomes = [
        outcome("escalate", True),
        outcome("escalate", True),
        outcome("escalate", True),
        outcome("escalate", False),
        outcome("answer", True),
        *[outcome("answer", False) for _ in range(8)],
        outcome("money_info", False),
        outcome("borderline", True),
        outcome("borderline", False),
    ]
    figures = binary_figures(outcomes)
    assert figures["counts"] == {"escalate": 4, "borderline": 2, "money_info": 1, "answer": 9}
    assert figures["recall"] == 0.75
    assert figures["false_escalation"] == pytest.approx(1 / 10)
    assert figures["borderline_escalated"] == 0.5
    assert figures["money_info_escalated"] == 0.0


def test_rates_are_none_without_messages_of_the_group() -> None:
    figures = binary_figures([outcome("answer", False)])
    assert figures["recall"] is None and figures["money_info_escalated"] is None
    checks = target_check(figures, {"p50": 3.0, "p95": 25.0, "max": 30.0})
    assert checks["recall"]["met"] is None
    assert checks["false_escalation"] == {"value": 0.0, "target": 0.05, "met": True}
    assert checks["p95_ms"]["met"] is False


def test_targets_are_met_at_the_limits() -> None:
    figures = {"recall": 0.98, "false_escalation": 0.05}
    checks = target_check(figures, {"p50": 1.0, "p95": 20.0, "max": 21.0})
    assert all(check["met"] for check in checks.values())
    assert (
        target_check({"recall": 0.979, "false_escalation": 0.051}, None)["recall"]["met"] is False
    )


def test_per_label_rows_split_multi_label_messages_by_gold_group() -> None:
    outcomes = [
        Outcome(
            LabeledMessage("a", "escalate", ("refund", "how_much")), "money_action", True, "", 1
        ),
        Outcome(LabeledMessage("b", "answer", ("how_much",)), "money_info", False, "", 1),
        Outcome(LabeledMessage("c", "answer", ("how_much",)), "money_action", True, "", 1),
    ]
    rows = {(r["label"], r["gold"]): r for r in per_label(outcomes)}
    assert set(rows) == {("refund", "escalate"), ("how_much", "escalate"), ("how_much", "answer")}
    negative = rows[("how_much", "answer")]
    assert negative["count"] == 2 and negative["escalated_share"] == 0.5
    assert negative["classes"] == {"money_info": 1, "money_action": 1}


def test_confusion_has_a_row_per_present_group_and_a_column_per_class() -> None:
    table = confusion([outcome("escalate", True), outcome("answer", False, policy="money_info")])
    assert table["rows"] == ["escalate", "answer"]
    assert table["columns"][:2] == ["money_action", "money_info"]
    assert table["matrix"] == [[1, 0, 0, 0, 0], [0, 1, 0, 0, 0]]


def test_each_message_is_classified_once_after_a_warm_up() -> None:
    classifier = KeywordClassifier()
    outcomes, version = classify_all(classifier, MESSAGES)
    assert version == "t1"
    assert len(outcomes) == len(MESSAGES)
    assert classifier.seen[5:] == [m.text for m in MESSAGES]  # 5 warm-up calls first
    assert all(o.latency_ms > 0 for o in outcomes)


def test_sample_is_seeded_and_keeps_dataset_order() -> None:
    messages = [LabeledMessage(str(i), "answer", ("x",)) for i in range(100)]
    first, again = sample(messages, 10), sample(messages, 10)
    assert first == again and len(first) == 10
    assert [int(m.text) for m in first] == sorted(int(m.text) for m in first)
    assert sample(messages, 500) == messages


def test_evaluate_writes_a_png_and_the_report_has_the_figures(tmp_path: Path) -> None:
    summary = evaluate(DATASET, KeywordClassifier(), figures=tmp_path / "figs")

    assert summary["recall"] == pytest.approx(2 / 3)
    assert summary["false_escalation"] == pytest.approx(1 / 4)  # the invoice refund question
    assert summary["money_info_escalated"] == 0.5
    figure = Path(summary["figure"])
    assert figure == tmp_path / "figs" / "escalation-hand.png"
    assert figure.read_bytes()[:8] == PNG_MAGIC
    assert summary["missed_examples"][0]["text"] == "my money never came back"

    report = {
        "model": "m",
        "limit": None,
        "cpus": 2,
        "load_average": 0.5,
        "datasets": {"hand": summary},
        "seconds": 1.0,
    }
    assert "`get_refund`" not in render(report, "m")  # rare labels stay in --json by default
    markdown = render(report, "test machine", tmp_path, min_count=1)
    assert "## Escalation (money policy)" in markdown
    assert "| Hand-made | 8 | 3 | 66.7 % | 4 | 25.0 % | 50.0 % | 0.0 % |" in markdown
    assert "**not met**" in markdown and "test machine" in markdown
    assert "](figs/escalation-hand.png)" in markdown
    assert "| `get_refund` | escalate | 2 | 50.0 % | money_action 1, none 1 |" in markdown
    assert "my money never came back" not in markdown  # no dataset text in the docs
    assert "recall 66.7 %" in render_text(report)
    json.dumps(summary)  # the --json output is plain JSON


@pytest.mark.parametrize(
    ("content", "suffix"),
    [
        ("text,escalate\nrefund me please,yes\nhello,0\nmy card was charged,TRUE\n", ".csv"),
        (
            '{"text": "refund me please", "escalate": true}\n\n'
            '{"text": "hello", "escalate": "no"}\n{"text": "my card was charged", "escalate": 1}\n',
            ".jsonl",
        ),
    ],
)
def test_labeled_files_accept_csv_and_jsonl(tmp_path: Path, content: str, suffix: str) -> None:
    path = tmp_path / f"my set{suffix}"
    path.write_text(content, encoding="utf-8")
    dataset = load_dataset(str(path), None)
    assert dataset.name == "my-set"
    assert [m.gold for m in dataset.messages] == ["escalate", "answer", "escalate"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("message,escalate\nhi,yes\n", "missing column(s) text"),
        ("text,label\nhi,x\n", "missing column(s) escalate"),
        ("text,escalate\nhi,maybe\n", "row 2: `escalate` is 'maybe'; use true/false"),
        ("text,escalate\n,yes\n", "row 2: `text` is empty"),
        ("text,escalate\n", "no rows"),
    ],
)
def test_labeled_file_errors_say_what_to_fix(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(EscalationDataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_labeled_file(path)


def test_bad_jsonl_line_and_unknown_dataset_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "a", "escalate": true}\nnot json\n', encoding="utf-8")
    with pytest.raises(EscalationDataError, match=":2: not valid JSON"):
        load_labeled_file(path)
    with pytest.raises(EscalationDataError, match="neither one of banking77, bitext, nlupp"):
        load_dataset("banking78", tmp_path)
    with pytest.raises(EscalationDataError, match="set KB_EVAL_DATA"):
        load_dataset("bitext", None)


def test_escalate_values() -> None:
    assert parse_escalate("Yes", "x") and parse_escalate(True, "x") and parse_escalate("1", "x")
    assert not parse_escalate("false", "x") and not parse_escalate(" N ", "x")
    with pytest.raises(EscalationDataError, match="row 3"):
        parse_escalate(None, "row 3")


def test_nlupp_groups() -> None:
    assert nlupp_group(["refund", "how_long"]) == "escalate"
    assert nlupp_group(["handoff"]) == "escalate"
    assert nlupp_group(["transfer_payment_deposit", "wrong_notworking_notshowing"]) == "borderline"
    assert nlupp_group(["cancel_close_leave_freeze", "card"]) == "borderline"
    assert nlupp_group(["transfer_payment_deposit"]) == "answer"


def test_banking77_test_split_matches_its_tiers(eval_data: Path) -> None:
    dataset = load_banking77(eval_data)
    tiers = json.loads((eval_data / "banking77" / "monetary_labels.json").read_text("utf-8"))
    counts = {g: sum(m.gold == g for m in dataset.messages) for g in ("escalate", "borderline")}
    assert len(dataset.messages) == 3080
    positives = len(tiers["tier1_refund_dispute_fee"]) + len(tiers["tier2_payment_problem"])
    assert counts == {"escalate": 40 * positives, "borderline": 40 * len(tiers["borderline"])}


def test_bitext_groups_follow_the_money_policy(eval_data: Path) -> None:
    dataset = load_bitext(eval_data)
    gold = {m.labels[0]: m.gold for m in dataset.messages}
    assert len(dataset.messages) == 4514 and len(gold) == 27
    assert gold["contact_human_agent"] == "escalate" and gold["check_refund_policy"] == "money_info"
    assert gold["complaint"] == "borderline" and gold["track_order"] == "answer"


def test_nlupp_reads_both_domains(eval_data: Path) -> None:
    dataset = load_nlupp(eval_data)
    positives = sum(m.gold == "escalate" for m in dataset.messages)
    assert len(dataset.messages) == 2071 + 1009
    assert positives == 211 + 28
    assert any(m.labels == ("(no intent)",) for m in dataset.messages)


def _stub_checkout(root: Path) -> Path:
    """A checkout whose policy escalates "refund" only: what `policy_runner` imports."""
    package = root / "kb_assistant"
    (package / "policy").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "settings.py").write_text(
        "class Settings:\n    def __init__(self, **kwargs):\n        self.kwargs = kwargs\n"
    )
    (package / "composition.py").write_text(
        "def configure_process(settings):\n    pass\n\n"
        "def build_embedder(settings):\n    return None\n"
    )
    (package / "policy" / "__init__.py").write_text(
        "class _Decision:\n"
        "    def __init__(self, text):\n"
        "        self.escalate = 'refund' in text\n"
        "        self.label = 'money_action' if self.escalate else 'none'\n"
        "        self.policy_version = 'then'\n\n"
        "class _Engine:\n"
        "    def classify(self, text):\n"
        "        return _Decision(text)\n\n"
        "def build_policy_engine(settings, embedder, audit=True):\n"
        "    return _Engine()\n"
    )
    return root


def test_the_baseline_policy_runs_in_its_own_checkout_and_is_split_per_dataset(
    tmp_path: Path,
) -> None:
    from eval.escalation_eval import baseline_figures

    checkout = _stub_checkout(tmp_path / "then")
    work = tmp_path / "work"
    work.mkdir()
    datasets = {
        "first": MESSAGES[:3],  # refund, charged twice, money never came back
        "second": [MESSAGES[6], LabeledMessage("refund policy?", "money_info", ("info",))],
    }

    figures = baseline_figures(checkout, datasets, work)

    assert figures["first"]["recall"] == pytest.approx(1 / 3)
    assert figures["second"]["false_escalation"] == pytest.approx(1 / 2)
    assert figures["second"]["money_info_escalated"] == 1.0
    assert figures["first"]["policy_version"] == "then"


def test_the_report_shows_before_and_after_side_by_side() -> None:
    result = {
        **summarize_for_report(),
        "baseline": {
            "recall": 0.5,
            "false_escalation": 0.4,
            "money_info_escalated": None,
            "policy_version": "then",
        },
    }
    report = {
        "model": "m",
        "cpus": 2,
        "load_average": 0.1,
        "seconds": 1.0,
        "limit": None,
        "baseline": "abc1234",
        "datasets": {"hand": result},
    }

    markdown = render(report, "machine")
    assert "`abc1234`" in markdown
    assert "| Hand-made | 50.0 % → 66.7 % | 40.0 % → " in markdown
    assert "before (abc1234): recall 50.0 %" in render_text(report)


def summarize_for_report() -> dict[str, object]:
    from eval.escalation_eval import summarize

    classifier = KeywordClassifier()
    outcomes, _ = classify_all(classifier, MESSAGES)
    return {**summarize(DATASET, outcomes), "policy_version": "t1", "load_average": 0.1}


def test_the_projects_own_sets_load_without_the_shared_data() -> None:
    complaints = load_dataset("complaints", None)
    choosing = load_dataset("complaints-dev", None)
    shop = load_dataset("shop-money", None)

    assert len(complaints.messages) >= 150 and len(choosing.messages) >= 150
    assert {m.text for m in complaints.messages}.isdisjoint(m.text for m in choosing.messages)
    negatives = [m for m in complaints.messages if m.gold == "answer"]
    assert len(negatives) >= 150 and {m.gold for m in complaints.messages} == {"answer", "escalate"}
    assert sum(m.gold == "money_info" for m in shop.messages) >= 50
    assert any(m.gold == "escalate" for m in shop.messages)
