"""FAQ connectors: Markdown, CSV and JSON / JSON Lines files of question–answer pairs.

Every entry becomes one `Document` with one section, `"Q: {question}\\nA: {answer}"`, so that
the question's words are retrievable together with the answer they lead to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from connectors.base import ConnectorOptions
from connectors.text_io import (
    JSONL_SUFFIXES,
    RecordError,
    UniqueKeys,
    csv_rows,
    file_failure,
    gather,
    load_guarded,
    parse_json_records,
    read_text,
    slugify,
    source_of,
    tidy_text,
)
from kb_assistant.domain import DEFAULT_VISIBILITY, Document, Kind, LoadResult, Section, Visibility

FAQ_LIST_KEYS = ("faqs", "items", "data", "entries")
QUESTION_FIELDS = ("question", "q", "title", "prompt")
ANSWER_FIELDS = ("answer", "answers", "a", "response", "body")
ID_FIELDS = ("id", "faq_id", "key")
URL_FIELDS = ("url", "link")
_ANSWER_ITEM_FIELDS = ("text", "body", "answer", "content")


@dataclass(frozen=True)
class FaqEntry:
    """One question and answer; `key` is what follows `#` in the document id."""

    key: str
    question: str
    answer: str
    faq_id: str
    url: str | None = None
    category: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


def faq_document(path: Path, entry: FaqEntry, visibility: Visibility) -> Document:
    """Build the document for one FAQ entry (the shape every FAQ format shares)."""
    question = " ".join(entry.question.split())
    metadata = {"faq_id": entry.faq_id, **entry.extra}
    if entry.category:
        metadata["category"] = entry.category
    return Document(
        id=f"faq:{source_of(path)}#{entry.key}",
        title=question,
        sections=[Section(f"Q: {question}\nA: {tidy_text(entry.answer)}")],
        kind="faq",
        visibility=visibility,
        source=source_of(path),
        location=entry.url or f"{path.name} › {question}",
        url=entry.url,
        metadata=metadata,
    )


class _FaqConnector:
    """What the FAQ formats share: options, suffix check and the never-raise `load`."""

    kind: Kind = "faq"
    suffixes: frozenset[str] = frozenset()

    def __init__(self, options: ConnectorOptions | None = None) -> None:
        self.options = options or ConnectorOptions()

    def can_read(self, path: Path) -> bool:
        """Whether the file has one of this format's extensions."""
        return path.suffix.lower() in self.suffixes

    def load(self, path: Path, visibility: Visibility | None = None) -> LoadResult:
        """Read every entry of the file; bad entries and bad files come back as failures."""
        chosen = visibility or DEFAULT_VISIBILITY[self.kind]

        def read(file: Path, result: LoadResult) -> None:
            for entry in self._entries(file, result):
                result.documents.append(faq_document(file, entry, chosen))
            if not result.documents and not result.failures:
                result.failures.append(
                    file_failure(file, "no FAQ entries found, nothing to index", "warning")
                )

        return load_guarded(path, read)

    def _entries(self, path: Path, result: LoadResult) -> list[FaqEntry]:
        raise NotImplementedError


# --- Markdown ---------------------------------------------------------------------------

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


@dataclass
class _Heading:
    level: int
    text: str
    body: list[str] = field(default_factory=list)


def split_front_matter(text: str) -> tuple[dict[str, str], str]:
    """Split `---`-delimited `key: value` front matter from a Markdown text."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        return {}, text
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            meta: dict[str, str] = {}
            for line in lines[1:end]:
                key, sep, value = line.partition(":")
                if sep and key.strip():
                    meta[key.strip().lower()] = value.strip().strip("'\"")
            return meta, "\n".join(lines[end + 1 :])
    return {}, text


def _headings(text: str) -> list[_Heading]:
    headings: list[_Heading] = []
    in_code = False
    for line in text.split("\n"):
        if _FENCE.match(line):
            in_code = not in_code
        match = None if in_code else _HEADING.match(line)
        if match:
            headings.append(_Heading(len(match.group(1)), match.group(2).strip()))
        elif headings:
            headings[-1].body.append(line)
    return headings


def _subtree_text(headings: list[_Heading], start: int, end: int) -> str:
    parts = ["\n".join(headings[start].body)]
    for child in headings[start + 1 : end]:
        parts.append(f"{child.text}\n\n" + "\n".join(child.body))
    return tidy_text("\n\n".join(parts))


def _markdown_entries(path: Path, text: str, result: LoadResult) -> list[FaqEntry]:
    """Entries are question headings (with everything under them) and leaf headings with text;
    headings with sub-headings that are not questions are sections, used as the category."""
    meta, body = split_front_matter(text.replace("\r\n", "\n").replace("\r", "\n"))
    base_url = meta.get("url", "").split("#")[0] or None
    extra = {"source_title": meta["title"]} if meta.get("title") else {}
    headings, keys = _headings(body), UniqueKeys()
    sections: list[_Heading] = []
    entries: list[FaqEntry] = []
    index = 0
    while index < len(headings):
        heading = headings[index]
        end = next(
            (j for j in range(index + 1, len(headings)) if headings[j].level <= heading.level),
            len(headings),
        )
        while sections and sections[-1].level >= heading.level:
            sections.pop()
        is_question = heading.text.endswith("?")
        if end > index + 1 and not is_question:
            sections.append(heading)
            index += 1
            continue
        answer = _subtree_text(headings, index, end)
        if answer:
            key = keys.claim(slugify(heading.text))
            url = f"{base_url}#{key}" if base_url else None
            category = sections[-1].text if sections else None
            entries.append(FaqEntry(key, heading.text, answer, key, url, category, extra))
        elif is_question:
            result.failures.append(
                file_failure(
                    path, f"question {heading.text!r} has no answer text; skipped", "warning"
                )
            )
        index = end
    return entries


class MarkdownFaqConnector(_FaqConnector):
    """FAQ pages in Markdown: `#` sections (categories) and question headings with answers."""

    suffixes = frozenset({".md", ".markdown"})

    def _entries(self, path: Path, result: LoadResult) -> list[FaqEntry]:
        return _markdown_entries(path, read_text(path, self.options.encoding), result)


# --- CSV --------------------------------------------------------------------------------


class CsvFaqConnector(_FaqConnector):
    """FAQ spreadsheets exported as CSV with a `question,answer[,url,category][,id]` header."""

    suffixes = frozenset({".csv"})

    def _entries(self, path: Path, result: LoadResult) -> list[FaqEntry]:
        text = read_text(path, self.options.encoding)
        rows = csv_rows(path, text, ("question", "answer"), "question,answer[,url,category][,id]")
        keys = UniqueKeys()
        return gather(rows, lambda row: [_row_entry(row, keys)], result)


def _row_entry(row: dict[str, str], keys: UniqueKeys) -> FaqEntry:
    question, answer = row.get("question", ""), row.get("answer", "")
    if not question or not answer:
        missing = "question" if not question else "answer"
        raise RecordError(f"row has no {missing}; fill it in or delete the row")
    explicit = row.get("id", "")
    if explicit and explicit in keys.seen:
        raise RecordError(f"duplicate id {explicit!r}; ids must be unique within a file")
    key = keys.claim(explicit or slugify(question))
    return FaqEntry(key, question, answer, key, row.get("url") or None, row.get("category") or None)


# --- JSON / JSON Lines ------------------------------------------------------------------


def _pick(record: dict[str, object], configured: str | None, candidates: tuple[str, ...]) -> object:
    if configured:
        return record.get(configured)
    by_lower = {key.lower(): key for key in record}
    for name in candidates:
        if name in by_lower and record[by_lower[name]] not in (None, ""):
            return record[by_lower[name]]
    return None


def _missing(what: str, configured: str | None, candidates: tuple[str, ...]) -> RecordError:
    names = ", ".join((configured,) if configured else candidates)
    return RecordError(
        f"no {what} (looked for the field {names}); if the file names it differently, "
        f"set KB_FAQ_{what.upper()}_FIELD"
    )


def _answer_text(value: object) -> str:
    if isinstance(value, dict):
        value = next((value[k] for k in _ANSWER_ITEM_FIELDS if isinstance(value.get(k), str)), "")
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return tidy_text(str(value))
    raise RecordError("answer must be text or a list of texts")


class JsonFaqConnector(_FaqConnector):
    """FAQs as a JSON array, an object holding a list (`faqs`, `items`…), or JSON Lines.

    An answer may be a list: each answer becomes its own question+answer document, all
    sharing `metadata["faq_id"]`.
    """

    suffixes = frozenset({".json"}) | JSONL_SUFFIXES

    def _entries(self, path: Path, result: LoadResult) -> list[FaqEntry]:
        parsed = parse_json_records(path, read_text(path, self.options.encoding), FAQ_LIST_KEYS)
        result.failures.extend(parsed.failures)
        keys = UniqueKeys()
        return gather(parsed.records, lambda record: self._record_entries(record, keys), result)

    def _record_entries(self, record: object, keys: UniqueKeys) -> list[FaqEntry]:
        if not isinstance(record, dict):
            raise RecordError("expected a JSON object with a question and an answer")
        opts = self.options
        question = _pick(record, opts.faq_question_field, QUESTION_FIELDS)
        answer = _pick(record, opts.faq_answer_field, ANSWER_FIELDS)
        if not isinstance(question, str) or not question.strip():
            raise _missing("question", opts.faq_question_field, QUESTION_FIELDS)
        if answer is None or answer == "" or answer == []:
            raise _missing("answer", opts.faq_answer_field, ANSWER_FIELDS)
        raw_id = _pick(record, opts.faq_id_field, ID_FIELDS)
        explicit = str(raw_id).strip() if isinstance(raw_id, str | int) else ""
        if explicit and explicit in keys.seen:
            raise RecordError(f"duplicate id {explicit!r}; ids must be unique within a file")
        faq_id = keys.claim(explicit or slugify(question))
        url = _pick(record, opts.faq_url_field, URL_FIELDS)
        category = _pick(record, None, ("category",))
        base = FaqEntry(
            key=faq_id,
            question=question,
            answer="",
            faq_id=faq_id,
            url=url if isinstance(url, str) and url.strip() else None,
            category=category if isinstance(category, str) else None,
        )
        if not isinstance(answer, list):
            text = _answer_text(answer)
            if not text:
                raise RecordError("the answer is empty")
            return [replace(base, answer=text)]
        entries = [
            replace(base, key=f"{faq_id}/{i}", answer=text, extra={"answer_index": str(i)})
            for i, text in enumerate(_answer_text(item) for item in answer)
            if text
        ]
        if not entries:
            raise RecordError("all answers are empty")
        return entries
