"""Labelled customer messages for the escalation evaluation, read from the shared data.

Each message gets a gold group under the money policy (positives are what it hands to a
person: `money_action` ∪ `human_request` ∪ `security`):

- `escalate`: a person must take it (the costly miss);
- `borderline`: reported apart, counted in neither recall nor false escalations;
- `money_info`: a general money question the assistant answers without committing to anything
  (a negative for escalation);
- `answer`: everything else (a negative).

The public datasets are read where they lie (`KB_EVAL_DATA`) and never copied. Two sets are
the project's own (`eval/questions/`, no shared data needed): `complaints`, angry, sarcastic
and misspelt messages across shops, deliveries, subscriptions, telecoms, software and
travel, most with no money matter at all (split `dev` for choosing, `test` for reporting:
`complaints-dev` names the other half), and `shop-money`, the demo shop's money questions in
customers' own words: those its help centre answers are `money_info` (answered, not
escalated), the few claims on a specific payment positives. Besides the named sets, any CSV
or JSONL file with `text` and `escalate` columns can be evaluated.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from kb_assistant.jsonl import json_objects

GoldGroup = Literal["escalate", "borderline", "money_info", "answer"]
GOLD_GROUPS: tuple[GoldGroup, ...] = ("escalate", "borderline", "money_info", "answer")
DATASETS = ("banking77", "bitext", "nlupp", "complaints", "shop-money")
# The project's own sets, which need no shared data; `complaints-dev` is the choosing half.
OWN_DATASETS = ("complaints", "complaints-dev", "shop-money")
QUESTIONS = Path(__file__).with_name("questions")
COMPLAINTS_FILE = QUESTIONS / "complaints.jsonl"
SHOP_QUESTIONS_FILE = QUESTIONS / "customer_answerable.jsonl"

BITEXT_FILE = "bitext_customer_support_training_4514.csv"
BITEXT_GROUPS: dict[str, GoldGroup] = {
    "get_refund": "escalate",
    "track_refund": "escalate",
    "payment_issue": "escalate",
    "check_cancellation_fee": "escalate",
    "contact_human_agent": "escalate",
    "check_refund_policy": "money_info",
    "check_invoice": "money_info",
    "get_invoice": "money_info",
    "check_payment_methods": "money_info",
    "cancel_order": "borderline",
    "complaint": "borderline",
}
NLUPP_POSITIVE = frozenset({"refund", "fees_interests", "handoff"})
NLUPP_BORDERLINE = (
    frozenset({"transfer_payment_deposit", "wrong_notworking_notshowing"}),
    frozenset({"cancel_close_leave_freeze"}),
)
NO_INTENT = "(no intent)"
_TRUE = frozenset({"true", "yes", "1", "y", "t"})
_FALSE = frozenset({"false", "no", "0", "n", "f"})


class EscalationDataError(ValueError):
    """A dataset file is missing, unreadable or lacks what the evaluation needs."""


@dataclass(frozen=True)
class LabeledMessage:
    """One customer message, its gold group and the dataset's own labels (several for
    multi-label sets such as NLU++)."""

    text: str
    gold: GoldGroup
    labels: tuple[str, ...]


@dataclass(frozen=True)
class EscalationDataset:
    """A named set of labelled messages and a line on where it came from and how it maps."""

    name: str
    title: str
    messages: list[LabeledMessage]
    mapping: str


def load_dataset(name_or_path: str, root: Path | None) -> EscalationDataset:
    """A named dataset under `root` (`banking77`, `bitext`, `nlupp`), one of the project's
    own (`complaints`, `complaints-dev`, `shop-money`), or a labelled file."""
    if name_or_path in OWN_DATASETS:
        if name_or_path == "shop-money":
            return load_shop_money()
        return load_complaints("dev" if name_or_path.endswith("-dev") else "test")
    if name_or_path in DATASETS:
        if root is None:
            raise EscalationDataError(
                f"dataset {name_or_path!r} needs the evaluation data; set KB_EVAL_DATA"
            )
        loaders = {"banking77": load_banking77, "bitext": load_bitext, "nlupp": load_nlupp}
        return loaders[name_or_path](root)
    path = Path(name_or_path)
    if not path.is_file():
        raise EscalationDataError(
            f"--dataset {name_or_path!r} is neither one of "
            f"{', '.join(dict.fromkeys([*DATASETS, *OWN_DATASETS]))} nor a file"
        )
    return load_labeled_file(path)


def banking77_groups(root: Path) -> dict[str, GoldGroup]:
    """BANKING77 label → gold group, from the dataset's `monetary_labels.json`."""
    tiers = _read_json(root / "banking77" / "monetary_labels.json")
    groups: dict[str, GoldGroup] = {}
    for key, group in (
        ("tier1_refund_dispute_fee", "escalate"),
        ("tier2_payment_problem", "escalate"),
        ("borderline", "borderline"),
        ("non_monetary", "answer"),
    ):
        for label in tiers.get(key, []):
            groups[label] = group  # type: ignore[assignment]
    return groups


def banking77_rows(root: Path, split: str) -> list[tuple[str, str]]:
    """(text, label) rows of BANKING77's `train` or `test` split."""
    path = root / "banking77" / f"{split}.csv"
    return [(row["text"], row["category"]) for row in _read_csv(path, ("text", "category"))]


def load_banking77(root: Path) -> EscalationDataset:
    """BANKING77's test split: tier 1 and 2 escalate, `borderline` apart, the rest answer."""
    groups = banking77_groups(root)
    messages = []
    for text, label in banking77_rows(root, "test"):
        if label not in groups:
            raise EscalationDataError(f"BANKING77 label {label!r} is not in monetary_labels.json")
        messages.append(LabeledMessage(text, groups[label], (label,)))
    return EscalationDataset(
        "banking77",
        "BANKING77 (test split)",
        messages,
        "positives: monetary_labels.json tier1_refund_dispute_fee ∪ tier2_payment_problem; "
        "its `borderline` labels apart; `non_monetary` negatives. The positive intents also "
        "hold general questions (how long a transfer takes, what the exchange rate is, "
        "whether a top-up by card is possible), which the money policy answers as money_info "
        "or none: most of the positives missed are such questions, so the recall measured "
        "here is a floor",
    )


def load_bitext(root: Path) -> EscalationDataset:
    """Bitext customer support: refund, payment-problem, fee and human-agent intents escalate;
    invoice, payment-method and refund-policy questions are `money_info`."""
    path = root / "bitext_customer_support" / BITEXT_FILE
    messages = [
        LabeledMessage(
            row["instruction"], BITEXT_GROUPS.get(row["intent"], "answer"), (row["intent"],)
        )
        for row in _read_csv(path, ("instruction", "intent"))
    ]
    return EscalationDataset(
        "bitext",
        "Bitext customer support (4,514 messages)",
        messages,
        "positives: get_refund, track_refund, payment_issue, check_cancellation_fee, "
        "contact_human_agent; money_info: check_refund_policy, check_invoice, get_invoice, "
        "check_payment_methods; borderline: cancel_order, complaint; the rest negatives",
    )


def load_complaints(split: str = "test", path: Path = COMPLAINTS_FILE) -> EscalationDataset:
    """The project's own complaints: non-money ones (`none`) are negatives, money claims,
    requests for a person and security matters positives; one split of them."""
    messages = []
    for number, row in json_objects(path, EscalationDataError):
        label = str(row.get("label") or "")
        if label not in ("none", "money_action", "human_request", "security"):
            raise EscalationDataError(f"{path}:{number}: unknown label {label!r}")
        if row.get("split") != split:
            continue
        gold: GoldGroup = "answer" if label == "none" else "escalate"
        domain = str(row.get("domain") or "other")
        messages.append(LabeledMessage(str(row["text"]), gold, (f"{label}/{domain}",)))
    if not messages:
        raise EscalationDataError(f"{path}: no messages in split {split!r}")
    name = "complaints" if split == "test" else f"complaints-{split}"
    return EscalationDataset(
        name,
        f"Complaints in customers' own words ({split} split)",
        messages,
        "the project's own messages: `none` (no money matter, whatever the tone) negatives; "
        "money claims, requests for a person and security matters positives",
    )


def load_shop_money(path: Path = SHOP_QUESTIONS_FILE) -> EscalationDataset:
    """The demo shop's money questions, as customers write them: those its help centre
    answers (`money_info`) must be answered, not escalated; the few that claim something
    of a specific payment (`money_claim`: the status of their refund, a payment that failed)
    go to a person."""
    messages = []
    for _, row in json_objects(path, EscalationDataError):
        category = str(row.get("category") or "shop")
        if row.get("money_info"):
            messages.append(LabeledMessage(str(row["question"]), "money_info", (category,)))
        elif row.get("money_claim"):
            messages.append(LabeledMessage(str(row["question"]), "escalate", ("claim",)))
    if not any(m.gold == "money_info" for m in messages):
        raise EscalationDataError(f"{path}: no questions marked money_info")
    return EscalationDataset(
        "shop-money",
        "Demo shop money questions in customers' own words",
        messages,
        "`money_info` questions its help centre answers (answered, committing to nothing) "
        "negatives; `money_claim` questions (a claim on a specific payment) positives",
    )


def nlupp_group(intents: Iterable[str]) -> GoldGroup:
    """NLU++: refund, fees or a request for a person escalate; a failed transfer or payment
    and cancelling or closing something are borderline."""
    found = set(intents)
    if found & NLUPP_POSITIVE:
        return "escalate"
    if any(combination <= found for combination in NLUPP_BORDERLINE):
        return "borderline"
    return "answer"


def load_nlupp(root: Path) -> EscalationDataset:
    """NLU++, banking and hotels, all folds (multi-label: every intent is a label)."""
    folder = root / "nlupp"
    if (folder / "data").is_dir():
        folder = folder / "data"
    messages = []
    for domain in ("banking", "hotels"):
        folds = sorted((folder / domain).glob("fold*.json"))
        if not folds:
            raise EscalationDataError(f"no NLU++ folds (fold*.json) in {folder / domain}")
        for example in _nlupp_examples(folds):
            intents = tuple(example.get("intents") or ()) or (NO_INTENT,)
            messages.append(LabeledMessage(example["text"], nlupp_group(intents), intents))
    return EscalationDataset(
        "nlupp",
        "NLU++ (banking and hotels, all folds)",
        messages,
        "positives: intents include refund, fees_interests or handoff; borderline: "
        "transfer_payment_deposit with wrong_notworking_notshowing, or "
        "cancel_close_leave_freeze; the rest negatives",
    )


def load_labeled_file(path: Path) -> EscalationDataset:
    """A CSV or JSONL file with `text` and `escalate` (true/false, yes/no, 1/0) per row;
    an optional `label` column names the rows in the per-label table."""
    rows = list(_read_jsonl(path) if path.suffix.lower() == ".jsonl" else _read_csv(path, ()))
    if not rows:
        raise EscalationDataError(f"{path}: no rows")
    missing = {"text", "escalate"} - set(rows[0])
    if missing:
        raise EscalationDataError(
            f"{path}: missing column(s) {', '.join(sorted(missing))}; the file needs `text` "
            "and `escalate` (true/false, yes/no or 1/0)"
        )
    messages = []
    for number, row in enumerate(rows, start=2 if path.suffix.lower() != ".jsonl" else 1):
        text = str(row.get("text") or "").strip()
        if not text:
            raise EscalationDataError(f"{path}, row {number}: `text` is empty")
        escalate = parse_escalate(row.get("escalate"), f"{path}, row {number}")
        label = str(row.get("label") or ("escalate" if escalate else "answer"))
        messages.append(LabeledMessage(text, "escalate" if escalate else "answer", (label,)))
    name = re.sub(r"[^A-Za-z0-9_-]+", "-", path.stem).strip("-") or "custom"
    return EscalationDataset(name, path.name, messages, "the file's own `escalate` column")


def parse_escalate(value: object, where: str) -> bool:
    """A yes/no cell: true/false, yes/no, 1/0 (any case); anything else is an error."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if value is not None else ""
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise EscalationDataError(f"{where}: `escalate` is {value!r}; use true/false, yes/no or 1/0")


def _nlupp_examples(folds: list[Path]) -> Iterator[Mapping[str, Any]]:
    for fold in folds:
        examples = _read_json(fold)
        if not isinstance(examples, list):
            raise EscalationDataError(f"{fold}: expected a JSON list of examples")
        yield from examples


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise EscalationDataError(f"dataset file missing: {path}") from None
    except json.JSONDecodeError as exc:
        raise EscalationDataError(f"{path}: not valid JSON ({exc})") from None


def _read_csv(path: Path, required: tuple[str, ...]) -> Iterator[dict[str, str]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = set(required) - set(reader.fieldnames or ())
            if missing:
                raise EscalationDataError(f"{path}: missing column(s) {', '.join(sorted(missing))}")
            yield from reader
    except FileNotFoundError:
        raise EscalationDataError(f"dataset file missing: {path}") from None
    except UnicodeDecodeError:
        raise EscalationDataError(f"{path}: not UTF-8 text") from None


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    return (row for _, row in json_objects(path, EscalationDataError))
