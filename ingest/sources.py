"""The sources file of a re-index job (`kb-assistant reindex --config sources.yaml`).

```yaml
sources:
  - name: help-center            # shown in reports
    connector: faq               # faq | pdf | ticket | auto (by file type; the default)
    paths: [faq/, "policies/**/*.md"]   # files, folders or globs, relative to this file
    visibility: public           # public | internal (default: by connector)
    options:                     # optional, per source
      encoding: utf-8
      faq_question_field: prompt
    allow_shrink: false          # true: this source may lose any share of its entries in a run
gate:
  golden_questions: golden.jsonl # questions with the source that should answer them
  max_recall_drop: 0.05          # refuse a rebuild whose recall@k falls more than this
  min_recall: 0.0                # and one below this, whatever the live version scores
  k: 5
keep_versions: 3                 # older versions beyond this many (besides the live one) are pruned
```

Every mistake is a `SourcesConfigError` naming the file and what to change.
"""

from __future__ import annotations

import glob
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from connectors import ConnectorOptions
from ingest.pipeline import SourceSpec
from kb_assistant.core.errors import UsageError
from kb_assistant.domain import Kind, Visibility

GLOB_CHARS = frozenset("*?[")


class SourcesConfigError(UsageError, ValueError):
    """The sources file cannot be used; nothing was changed."""


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid")

    encoding: str = "utf-8"
    faq_question_field: str | None = None
    faq_answer_field: str | None = None
    faq_id_field: str | None = None
    faq_url_field: str | None = None


class _Source(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    connector: Literal["faq", "pdf", "ticket", "auto"] = "auto"
    paths: list[str] = Field(min_length=1)
    visibility: Visibility | None = None
    options: _Options | None = None
    allow_shrink: bool = False


class _Gate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    golden_questions: str | None = None
    max_recall_drop: float = Field(0.05, ge=0, le=1)
    min_recall: float = Field(0.0, ge=0, le=1)
    k: int = Field(5, ge=1, le=50)


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sources: list[_Source] = Field(min_length=1)
    gate: _Gate = Field(default_factory=_Gate)
    keep_versions: int | None = Field(None, ge=1, le=100)


@dataclass(frozen=True)
class GateConfig:
    """The quality gate of a full rebuild."""

    golden_questions: Path | None = None
    max_recall_drop: float = 0.05
    min_recall: float = 0.0
    k: int = 5


@dataclass(frozen=True)
class SourcesConfig:
    """What a re-index job reads, how it checks a rebuild, how many versions it keeps."""

    path: Path
    sources: tuple[SourceSpec, ...]
    gate: GateConfig
    keep_versions: int | None = None


def load_sources_config(path: Path) -> SourcesConfig:
    """Read and check `path`; paths inside it are relative to its folder."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise SourcesConfigError(f"{path}: no such sources file") from error
    except UnicodeDecodeError as error:
        raise SourcesConfigError(f"{path}: not UTF-8 text ({error.reason})") from error
    except yaml.YAMLError as error:
        raise SourcesConfigError(f"{path}: not valid YAML: {error}") from error
    try:
        parsed = _File.model_validate(raw if raw is not None else {})
    except ValidationError as error:
        raise SourcesConfigError(f"{path}: {_problems(error)}") from error
    base = path.resolve().parent
    names = [source.name for source in parsed.sources]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise SourcesConfigError(f"{path}: source names must be unique: {', '.join(duplicates)}")
    golden = parsed.gate.golden_questions
    return SourcesConfig(
        path=path,
        sources=tuple(spec for source in parsed.sources for spec in _specs(source, base, path)),
        gate=GateConfig(
            golden_questions=None if golden is None else _resolve(base, golden),
            max_recall_drop=parsed.gate.max_recall_drop,
            min_recall=parsed.gate.min_recall,
            k=parsed.gate.k,
        ),
        keep_versions=parsed.keep_versions,
    )


def _specs(source: _Source, base: Path, config: Path) -> list[SourceSpec]:
    """One spec per plain path group and one per glob (a glob has its own pattern)."""
    kind: Kind | None = None if source.connector == "auto" else source.connector
    options = _options(source.options)

    def spec(paths: tuple[Path, ...], pattern: str | None) -> SourceSpec:
        return SourceSpec(
            paths, kind, source.visibility, options, pattern, source.name, source.allow_shrink
        )

    plain: list[Path] = []
    specs: list[SourceSpec] = []
    for entry in source.paths:
        target = _resolve(base, entry)
        if GLOB_CHARS & set(entry):
            root = _glob_root(target)
            specs.append(spec((root,), str(target)))
        elif not target.exists():
            raise SourcesConfigError(
                f"{config}: source {source.name!r}: {target} does not exist (paths are relative "
                f"to the sources file's folder, {base})"
            )
        else:
            plain.append(target)
    if plain:
        specs.insert(0, spec(tuple(plain), None))
    return specs


def _options(options: _Options | None) -> ConnectorOptions | None:
    if options is None:
        return None
    return ConnectorOptions(
        encoding=options.encoding,
        faq_question_field=options.faq_question_field,
        faq_answer_field=options.faq_answer_field,
        faq_id_field=options.faq_id_field,
        faq_url_field=options.faq_url_field,
    )


def _resolve(base: Path, entry: str) -> Path:
    path = Path(entry).expanduser()
    return path if path.is_absolute() else base / path


def _glob_root(pattern: Path) -> Path:
    """The folder a glob starts from: its parts before the first one with a wildcard."""
    parts: list[str] = []
    for part in pattern.parts:
        if glob.has_magic(part):
            break
        parts.append(part)
    return Path(*parts) if parts else Path("/")


def _problems(error: ValidationError) -> str:
    lines = []
    for problem in error.errors()[:5]:
        where = ".".join(str(part) for part in problem["loc"]) or "the file"
        lines.append(f"{where}: {problem['msg']}")
    return "; ".join(lines)


def describe(config: SourcesConfig) -> list[dict[str, Any]]:
    """The sources as plain data, for reports."""
    return [
        {
            "name": spec.name,
            "paths": [str(path) for path in spec.paths],
            "pattern": spec.pattern,
            "kind": spec.kind or "auto",
            "visibility": spec.visibility or "by kind",
            "allow_shrink": spec.allow_shrink,
        }
        for spec in config.sources
    ]
