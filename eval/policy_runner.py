"""Classify a file of customer messages with the escalation policy of one checkout.

Run as a script inside a checkout (`python policy_runner.py --messages M --out O`): it
imports that checkout's product, so the same runner measures the current policy and an
earlier revision of it (`eval.escalation_eval` copies it into a worktree of that revision).
It therefore uses only long-standing entry points: `configure_process`, `build_embedder` and
`build_policy_engine`. The policy's model is trained in a temporary data directory, as a
fresh installation would, and every message is classified one at a time.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=Path, required=True, help="JSON list of messages")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    messages = json.loads(args.messages.read_text(encoding="utf-8"))
    from kb_assistant.composition import build_embedder, configure_process

    try:
        from kb_assistant.composition import build_policy_engine
    except ImportError:  # revisions before the composition root built every adapter
        from kb_assistant.policy import build_policy_engine  # type: ignore[attr-defined,no-redef]
    from kb_assistant.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), database_url="")
        configure_process(settings)
        engine = build_policy_engine(settings, build_embedder(settings), audit=False)
        decisions = []
        for text in messages:
            decision = engine.classify(text)
            decisions.append(
                {
                    "label": decision.label,
                    "escalate": decision.escalate,
                    "version": decision.policy_version,
                }
            )
    args.out.write_text(json.dumps(decisions), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
