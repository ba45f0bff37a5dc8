"""Scoring answers to customers' own words."""

from __future__ import annotations

from eval.customer_eval import Item, QuestionSet, answer_words, has_facts, held_out, score


def test_key_facts_need_one_alternative_of_every_group_dashes_folded() -> None:
    text = "Delivery to the EU takes 3-5 working days."

    assert has_facts(text, [["3–5 working days", "three to five"]])
    assert not has_facts(text, [["3–5"], ["£4.95"]])
    assert has_facts(text, [])


def test_answer_words_leave_out_the_greeting_and_the_offer_of_a_person() -> None:
    statements = [["framing", "Happy to help!"], ["claim", "It takes 3-5 days."], ["note", "OK."]]

    assert answer_words(statements) == 5


def test_held_out_units_are_a_fixed_share_whatever_the_order() -> None:
    units = [f"u{i}" for i in range(40)]

    assert held_out(units, 0.25) == held_out(list(reversed(units)), 0.25)
    assert len(held_out(units, 0.25)) == 10


def test_score_separates_right_wrong_incomplete_and_honest_refusals() -> None:
    items = [
        Item("a", "q1", True, frozenset({"Shipping"}), (("3-5 days",),)),
        Item("b", "q2", True, frozenset({"Shipping"}), (("£4.95",),)),
        Item("c", "q3", True, frozenset({"Returns"})),
        Item("d", "q4", False),
        Item("e", "q5", False),
    ]

    def row(id_: str, action: str, cited: list[str], text: str = "x") -> dict[str, object]:
        return {
            "id": id_,
            "action": action,
            "text": text,
            "citations": cited,
            "retrieved": [*cited, "Glossary"] if cited else ["Glossary", "Returns"],
            "statements": [["claim", text]],
            "unsupported": 0,
            "latency_s": 0.01,
        }

    result = {
        "answers": [
            row("a", "answer", ["Shipping"], "It takes 3–5 days."),
            row("b", "answer", ["Shipping"], "It takes 3–5 days."),
            row("c", "answer", ["Shipping"]),
            row("d", "dont_know", []),
            row("e", "answer", ["Shipping"]),
        ]
    }

    figures = score(QuestionSet("t", "demo", items), result)

    assert figures["right"] == 1 / 3 and figures["incomplete"] == 1 / 3
    assert figures["honest_dont_know"] == 0.5
    assert figures["confident_wrong"] == 2 / 5  # c from the wrong source, e not covered
    # a and b have their source retrieved first; c's source was never retrieved
    assert figures["ranked_first"] == 2 / 3 and figures["in_top"] == 2 / 3
