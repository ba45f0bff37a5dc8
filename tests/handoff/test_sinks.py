"""Sinks against a real helpdesk stand-in on loopback: signed deliveries, retries, failures."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from pathlib import Path

import pytest

from kb_assistant.composition import build_handoff_sink, build_handoff_store
from kb_assistant.handoff import (
    Case,
    FanOutSink,
    HandoffDeliveryError,
    HandoffStore,
    LogSink,
    WebhookSink,
)
from kb_assistant.handoff.sinks import verify_signature
from kb_assistant.settings import ConfigurationError, Settings
from tests.fakes.openai_server import unused_port
from tests.handoff.conftest import database_url, make_packet
from tests.handoff.receiver import Receiver
from tests.storage.engines import upgraded_engine

SECRET = "whsec-test-0123456789"


@pytest.fixture
def case(tmp_path: Path) -> Case:
    store = HandoffStore(upgraded_engine(database_url(tmp_path)))
    return store.open_case(make_packet(urgent=True, label="security"))[0]


def fast_sink(
    url: str, secret: str | None = SECRET, *, attempts: int = 3, timeout_s: float = 5.0
) -> WebhookSink:
    """A webhook sink with a short backoff, so retries take milliseconds."""
    return WebhookSink(url, secret, timeout_s, attempts=attempts, backoff_s=0.01)


def test_the_webhook_posts_the_case_signed(receiver: Receiver, case: Case) -> None:
    fast_sink(receiver.url).deliver(case)

    [delivery] = receiver.deliveries
    assert delivery.path == "/hooks/handoff?token=s3cret"
    assert json.loads(delivery.body) == case.as_json()
    timestamp = delivery.headers["x-kb-timestamp"]
    assert abs(int(timestamp) - time.time()) < 60
    expected = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + delivery.body, hashlib.sha256)
    assert delivery.headers["x-kb-signature"] == f"sha256={expected.hexdigest()}"
    assert verify_signature(SECRET, timestamp, delivery.body, delivery.headers["x-kb-signature"])
    assert not verify_signature(
        "wrong", timestamp, delivery.body, delivery.headers["x-kb-signature"]
    )
    assert delivery.headers["content-type"].startswith("application/json")


def test_a_stale_or_tampered_delivery_does_not_verify(receiver: Receiver, case: Case) -> None:
    fast_sink(receiver.url).deliver(case)
    [delivery] = receiver.deliveries
    timestamp, signature = delivery.headers["x-kb-timestamp"], delivery.headers["x-kb-signature"]

    assert not verify_signature(SECRET, timestamp, delivery.body + b" ", signature)
    assert not verify_signature(SECRET, timestamp, delivery.body, signature, now=time.time() + 3600)
    assert not verify_signature(SECRET, "not-a-time", delivery.body, signature)


def test_without_a_secret_the_body_is_sent_unsigned(receiver: Receiver, case: Case) -> None:
    fast_sink(receiver.url, secret=None).deliver(case)

    assert "x-kb-signature" not in receiver.deliveries[0].headers


def test_server_errors_are_retried_until_one_succeeds(receiver: Receiver, case: Case) -> None:
    receiver.statuses = [503, 500]

    fast_sink(receiver.url, attempts=3).deliver(case)

    assert len(receiver.deliveries) == 3
    ids = {d.headers["x-kb-delivery"] for d in receiver.deliveries}
    assert len(ids) == 1  # one delivery, retried: a receiver can drop the duplicates
    assert len({d.body for d in receiver.deliveries}) == 1


def test_the_final_failure_says_what_happened_and_hides_the_token(
    receiver: Receiver, case: Case
) -> None:
    receiver.statuses = [502, 502, 502]

    with pytest.raises(
        HandoffDeliveryError, match=r"HTTP 502.*3 attempt\(s\).*case is stored"
    ) as error:
        fast_sink(receiver.url, attempts=3).deliver(case)

    assert len(receiver.deliveries) == 3
    assert "s3cret" not in str(error.value)
    assert f"case {case.id} was not delivered" in str(error.value)


def test_a_refusal_by_the_receiver_is_not_retried(receiver: Receiver, case: Case) -> None:
    receiver.statuses = [401]

    with pytest.raises(HandoffDeliveryError, match=r"HTTP 401.*receiver says no"):
        fast_sink(receiver.url, attempts=3).deliver(case)
    assert len(receiver.deliveries) == 1


def test_a_receiver_that_is_down_fails_after_the_retries(case: Case) -> None:
    url = f"http://127.0.0.1:{unused_port()}/hook"

    with pytest.raises(HandoffDeliveryError, match=r"cannot connect.*2 attempt"):
        fast_sink(url, attempts=2).deliver(case)


def test_a_slow_receiver_times_out(receiver: Receiver, case: Case) -> None:
    receiver.delay_s = 1.0

    with pytest.raises(HandoffDeliveryError, match=r"no answer within 0\.2 s"):
        fast_sink(receiver.url, attempts=1, timeout_s=0.2).deliver(case)


@pytest.mark.parametrize("url", ["", "ftp://example.org/hook", "/relative/hook", "http://"])
def test_a_bad_webhook_url_is_a_configuration_error(url: str) -> None:
    with pytest.raises(ConfigurationError, match="KB_HANDOFF_WEBHOOK_URL"):
        WebhookSink(url)


def test_a_blank_secret_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match=r"KB_HANDOFF_WEBHOOK_SECRET\) is blank"):
        WebhookSink("https://helpdesk.example.org/hook", "  ")


def test_the_log_sink_writes_one_line_without_personal_data(
    case: Case, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="kb_assistant.handoff.sinks"):
        LogSink().deliver(case)

    [record] = caplog.records
    assert record.levelno == logging.WARNING  # urgent
    line = record.getMessage()
    assert f"handoff case {case.id}" in line and "security, urgent" in line
    assert "charged twice" not in line  # the transcript stays out of the log


class Failing:
    """A sink that always fails, to check the others still get the case."""

    def deliver(self, case: Case) -> None:
        raise RuntimeError("chat service unavailable")


def test_fan_out_delivers_to_every_sink_despite_a_failure(receiver: Receiver, case: Case) -> None:
    sink = FanOutSink([Failing(), fast_sink(receiver.url)])

    with pytest.raises(HandoffDeliveryError, match="1 of 2 handoff sinks failed") as error:
        sink.deliver(case)

    assert len(receiver.deliveries) == 1
    assert [type(e) for e in error.value.errors] == [RuntimeError]


def test_fan_out_is_quiet_when_every_sink_succeeds(receiver: Receiver, case: Case) -> None:
    FanOutSink([LogSink(), fast_sink(receiver.url)]).deliver(case)

    assert len(receiver.deliveries) == 1


def test_settings_build_the_log_alone_or_with_the_signed_webhook(
    clean_env: Path, monkeypatch: pytest.MonkeyPatch, receiver: Receiver, case: Case
) -> None:
    assert isinstance(build_handoff_sink(Settings()), LogSink)

    monkeypatch.setenv("KB_HANDOFF_WEBHOOK_URL", receiver.url)
    monkeypatch.setenv("KB_HANDOFF_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("KB_HANDOFF_WEBHOOK_TIMEOUT_S", "3")
    sink = build_handoff_sink(Settings())
    sink.deliver(case)

    assert isinstance(sink, FanOutSink)
    [delivery] = receiver.deliveries
    signature = delivery.headers["x-kb-signature"]
    assert verify_signature(SECRET, delivery.headers["x-kb-timestamp"], delivery.body, signature)


def test_the_store_is_built_on_the_configured_database(settings: Settings, tmp_path: Path) -> None:
    case, _ = build_handoff_store(settings).open_case(make_packet())

    assert build_handoff_store(settings).get(case.id) == case
    assert (settings.data_dir / "kb.sqlite3").is_file()
