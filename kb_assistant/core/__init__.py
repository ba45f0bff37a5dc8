"""The product's shared vocabulary, a floor below every feature.

Words every part speaks: text helpers (`text`: sentences, word tokens, stop words), the
reply types a channel receives (`replies`: `AnswerRequest`, `Answer`, `Citation`), the policy's
decision types (`decisions`) and personal-data redaction (`redaction`). Together with
`kb_assistant.domain`, `kb_assistant.ports` and `kb_assistant.settings` they form the core:
core modules import nothing of the product outside the core, and every feature (ingestion,
retrieval, answering, verification, policy, conversations, handoff) may import them. The
layering is checked by `tests/test_architecture.py`.
"""
