"""Language detection: other languages are recognised, English (short, misspelt, disguised)
never is taken for one, on hand-picked messages and on every English dataset message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.escalation_datasets import banking77_rows, load_dataset
from kb_assistant.policy import PolicyConfig
from kb_assistant.policy.language_config import LanguagePolicy
from kb_assistant.policy.language_detect import LanguageDetector, LanguageGuess, _lingua
from kb_assistant.policy.languages import LanguageGate
from kb_assistant.policy.text import normalise
from tests.conftest import REPO_ROOT


@pytest.fixture(scope="module")
def detector(policy: PolicyConfig) -> LanguageDetector:
    return LanguageDetector(policy.languages)


def detect(detector: LanguageDetector, message: str) -> LanguageGuess | None:
    return detector.detect(normalise(message), message)


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ("Hola, necesito ayuda con mi cuenta", "es"),
        ("Où est ma commande ?", "fr"),
        ("Hallo, ich habe mein Passwort vergessen", "de"),
        ("Dov'è il mio ordine?", "it"),
        ("Olá, preciso de ajuda", "pt"),
        ("Hoi, ik kan niet inloggen", "nl"),
        ("Nie mogę się zalogować", "pl"),
        ("Var är min beställning?", "sv"),
        ("Hvor er min bestilling? Jeg har ventet længe.", "da"),
        ("Hvor er bestillingen min? Jeg har ventet i en uke.", "nb"),
        ("Missä tilaukseni on?", "fi"),
        ("Kde je moje objednávka?", "cs"),
        ("Unde este comanda mea?", "ro"),
        ("Siparişim nerede?", "tr"),
        ("Где мой заказ?", "ru"),
        ("Де моє замовлення?", "uk"),
        ("Πού είναι η παραγγελία μου;", "el"),
        ("注文はどこですか？", "ja"),
        ("我的订单在哪里？", "zh"),
        ("제 주문은 어디에 있나요?", "ko"),
        ("أين طلبي؟", "ar"),
        ("मेरा ऑर्डर कहाँ है?", "hi"),
    ],
)
def test_messages_in_the_common_languages_are_recognised(
    detector: LanguageDetector, message: str, code: str
) -> None:
    guess = detect(detector, message)
    assert guess is not None and guess.code == code, guess
    assert 0.5 <= guess.confidence <= 1


@pytest.mark.parametrize(
    "message",
    [
        "hi",
        "pls refund me",
        "wheres my parcel??",
        "do udeliver to Toronto",
        "rebatingg $3",
        "Au revoir cheers",
        "lilith sharaya danaher",
        "wanna check ur refun policy can uhelp me",
        "Are your linen sheets OEKO-TEX certified?",
        "i exoect a damn restitution of 299 dollars",
        "wh3re is my 0rder??",
        "I want a r e f u n d for my order",
        "ＷＨＥＲＥ ＩＳ ＭＹ ＯＲＤＥＲ",
        "Quiero hablar with someone about my order please",
    ],
)
def test_short_misspelt_or_disguised_english_stays_english(
    detector: LanguageDetector, message: str
) -> None:
    assert detect(detector, message) is None


@pytest.mark.parametrize("message", ["gracias", "danke", "merci!"])
def test_a_message_in_latin_letters_too_short_to_judge_is_left_alone(
    detector: LanguageDetector, message: str
) -> None:
    assert detect(detector, message) is None


def test_a_short_message_in_another_script_is_still_recognised(
    detector: LanguageDetector,
) -> None:
    guess = detect(detector, "退款")
    assert guess is not None and guess.code in ("zh", "ja")


def test_a_script_or_language_outside_the_set_is_undetermined(detector: LanguageDetector) -> None:
    thai = detect(detector, "สินค้าของฉันอยู่ที่ไหน")
    vietnamese = detect(
        detector, "Xin chào, đơn hàng của tôi ở đâu? Tôi đã đợi một tuần rồi mà vẫn chưa nhận"
    )
    assert thai is not None and thai.code == "und"
    assert vietnamese is not None and vietnamese.code == "und"


def test_a_language_added_to_the_set_is_named(policy: PolicyConfig) -> None:
    detect_vietnamese = LanguageDetector(LanguagePolicy(detect=(*policy.languages.detect, "vi")))
    guess = detect(
        detect_vietnamese, "Xin chào, đơn hàng của tôi ở đâu? Tôi đã đợi một tuần rồi mà vẫn chưa"
    )
    assert guess is not None and guess.code == "vi"


def test_the_detector_is_built_once_per_set_of_languages(detector: LanguageDetector) -> None:
    detector.warm_up()
    assert _lingua(detector.codes) is _lingua(detector.codes)


def _english_messages(root: Path) -> dict[str, list[str]]:
    """Every message of the shared English datasets and of the demo question sets."""
    sets = {
        name: [m.text for m in load_dataset(name, root).messages] for name in ("bitext", "nlupp")
    }
    sets["banking77"] = [text for split in ("train", "test") for text in _b77(root, split)]
    sets["questions"] = [
        json.loads(line)["question"]
        for file in sorted((REPO_ROOT / "eval" / "questions").glob("demo_*.jsonl"))
        for line in file.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    return sets


def _b77(root: Path, split: str) -> list[str]:
    return [text for text, _ in banking77_rows(root, split)]


@pytest.mark.slow
def test_no_english_dataset_message_is_taken_for_another_language_or_money_words(
    eval_data: Path, policy: PolicyConfig
) -> None:
    gate = LanguageGate(policy.languages)
    for name, messages in _english_messages(eval_data).items():
        assert len(messages) > 100, name
        foreign, money = [], []
        for message in messages:
            text = normalise(message)
            guess = gate.identify(text, message)
            foreign += [(message, guess)] if guess is not None else []
            money += [message] if gate.money_hits(text, guess) else []
        assert foreign == [], f"{name}: English taken for another language: {foreign[:10]}"
        assert money == [], f"{name}: other languages' money words fired on English: {money[:10]}"
