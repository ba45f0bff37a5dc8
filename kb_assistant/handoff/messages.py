"""What the customer is told when a person takes over their conversation.

The wording says why a person takes over, who will reply, when, and where, and nothing
else: it makes no statement about the customer's money either way (no refund, credit or
compensation is promised or ruled out), because only the person who takes the case may
decide that. The reason is named for what the customer raised: a refund they asked for, a
charge or a payment they mentioned, a request for a person, an urgent security matter; when
only the model decided, the wording stays general ("this needs a person to look into it"),
as the customer may have raised a late parcel as much as a payment.

A customer who wrote in a language the assistant does not answer in is told, in English and
(for the common languages) in one short sentence of their own, that their message went to a
person who will reply here.
"""

from __future__ import annotations

from kb_assistant.settings import ConfigurationError

_WHERE = "right here in this chat"
_NO_REPEAT = "They can see our conversation so far, so you won't need to repeat anything."

_OPENINGS: dict[str, str] = {
    "human_request": "Of course — I'm passing you to a person from our support team.",
    "money_action": (
        "This needs a person from our team to look into it, so I've passed your conversation "
        "to them."
    ),
    "security": (
        "Thank you for telling us. I've marked this as urgent and passed it to a person from "
        "our team, who will look at it right away."
    ),
}
_DEFAULT_OPENING = "I've passed your conversation to a person from our support team."
# A money rule's name → what the customer raised, in their words' terms (never a verdict).
_RAISED: dict[str, str] = {
    "refund": "your refund request",
    "money_back": "your request",
    "compensation": "your request",
    "charged_twice": "the charge you mentioned",
    "unrecognised_charge": "the charge you mentioned",
    "wrong_amount": "the amount you mentioned",
    "fee_complaint": "the fee you mentioned",
    "operation_fee": "the fee you mentioned",
    "chargeback_dispute": "the payment you want to dispute",
    "payment_failed": "the payment you mentioned",
    "payment_pending": "the payment you mentioned",
    "payment_problem": "the payment you mentioned",
    "cancel_payment": "the payment you want to cancel",
}
_SECURITY_ADVICE = "Please don't share passwords, PINs or full card numbers in this chat."
_LANGUAGE_OPENING = "I can only answer in English, so I've passed your message{named} to a person"
_LANGUAGE_OPENING += " from our team."
# ISO 639-1 code → (the language's English name, "a person from our team will reply here").
LANGUAGES: dict[str, tuple[str, str]] = {
    "es": ("Spanish", "Una persona de nuestro equipo leerá su mensaje y le responderá aquí."),
    "fr": ("French", "Une personne de notre équipe va lire votre message et vous répondra ici."),
    "de": ("German", "Eine Person aus unserem Team liest Ihre Nachricht und antwortet Ihnen hier."),
    "it": ("Italian", "Una persona del nostro team leggerà il suo messaggio e le risponderà qui."),
    "pt": ("Portuguese", "Uma pessoa da nossa equipe vai ler a sua mensagem e responder aqui."),
    "nl": ("Dutch", "Iemand van ons team leest uw bericht en antwoordt u hier."),
    "pl": ("Polish", "Osoba z naszego zespołu przeczyta Twoją wiadomość i odpowie tutaj."),
    "sv": ("Swedish", "En person i vårt team läser ditt meddelande och svarar dig här."),
    "da": ("Danish", "En person fra vores team læser din besked og svarer dig her."),
    "nb": ("Norwegian", "En person fra teamet vårt leser meldingen din og svarer deg her."),
    "nn": ("Norwegian", "Ein person frå teamet vårt les meldinga di og svarar deg her."),
    "fi": ("Finnish", "Tiimimme jäsen lukee viestisi ja vastaa sinulle täällä."),
    "cs": ("Czech", "Někdo z našeho týmu si vaši zprávu přečte a odpoví vám tady."),
    "ro": ("Romanian", "O persoană din echipa noastră vă va citi mesajul și vă va răspunde aici."),
    "tr": ("Turkish", "Ekibimizden biri mesajınızı okuyup size buradan yanıt verecek."),
    "ru": ("Russian", "Сотрудник нашей команды прочитает ваше сообщение и ответит вам здесь."),
    "uk": (
        "Ukrainian",
        "Співробітник нашої команди прочитає ваше повідомлення і відповість вам тут.",
    ),
    "el": ("Greek", "Ένα μέλος της ομάδας μας θα διαβάσει το μήνυμά σας και θα σας απαντήσει εδώ."),
    "ja": ("Japanese", "担当者がメッセージを確認し、こちらでご返信いたします。"),
    "zh": ("Chinese", "我们团队的工作人员会阅读您的消息，并在这里回复您。"),
    "ko": ("Korean", "저희 팀 담당자가 메시지를 확인하고 여기에서 답변드리겠습니다."),
    "ar": ("Arabic", "سيقرأ أحد أعضاء فريقنا رسالتك وسيرد عليك هنا."),
    "hi": ("Hindi", "हमारी टीम का एक सदस्य आपका संदेश पढ़कर यहीं जवाब देगा।"),
}


def handoff_message(
    label: str,
    response_time: str,
    *,
    urgent: bool = False,
    already_open: bool = False,
    language: str | None = None,
    rule: str | None = None,
) -> str:
    """The customer's message when their conversation goes to a person.

    `label` is the policy class that sent it there, `response_time` the configured promise
    (`Settings.handoff_response_time`, e.g. "within 2 hours"); `urgent` marks a security
    matter whatever the label; `already_open` is for a conversation a person already has;
    `language` is the ISO 639-1 code of a language the assistant does not answer in, when the
    customer wrote in one (`PolicyDecision.language`); `rule` is what decided
    (`PolicyDecision.rule`, e.g. "rule:charged_twice"), which names what the customer raised.
    """
    when = _response_time(response_time)
    urgent = urgent or label == "security"
    language = None if language == "en" else language
    own = _own_language(language)
    if already_open:
        return _joined(_already_open(when, urgent), own)
    if urgent:
        return _joined(
            _OPENINGS["security"],
            own,
            f"You'll hear from them {when} at the latest, {_WHERE}.",
            _SECURITY_ADVICE,
        )
    opening = _opening(label, rule)
    return _joined(
        _language_opening(language) if language else opening,
        own,
        _NO_REPEAT,
        f"You can expect a reply {when}, {_WHERE}.",
        "If there's anything else they should know, just write it here.",
    )


def _opening(label: str, rule: str | None) -> str:
    """Why a person takes over: the class, and for a money rule what the customer raised."""
    raised = _RAISED.get((rule or "").removeprefix("rule:")) if label == "money_action" else None
    if raised:
        return (
            f"A person from our team will look at {raised}, so I've passed your conversation "
            "to them."
        )
    return _OPENINGS.get(label, _DEFAULT_OPENING)


def language_name(code: str | None) -> str | None:
    """The English name of a language by its ISO 639-1 code, if it is one of the common ones."""
    entry = LANGUAGES.get(code or "")
    return entry[0] if entry else None


def _language_opening(code: str) -> str:
    """Why a person takes over: the assistant answers in English only (the language named)."""
    name = language_name(code)
    return _LANGUAGE_OPENING.format(named=f" (in {name})" if name else "")


def _own_language(code: str | None) -> str:
    """One sentence in the customer's language saying a person will reply, when known."""
    entry = LANGUAGES.get(code or "")
    return entry[1] if entry else ""


def _joined(*sentences: str) -> str:
    return " ".join(s for s in sentences if s)


def _already_open(when: str, urgent: bool) -> str:
    """For a conversation a person already has: reassure, don't start over."""
    if urgent:
        return " ".join(
            (
                "A person from our team is already on the way, and I've marked your "
                "conversation as urgent so they look at it right away.",
                f"You'll hear from them {when} at the latest, {_WHERE}.",
                _SECURITY_ADVICE,
            )
        )
    return " ".join(
        (
            "A person from our team is already on the way and has your conversation.",
            "I've added your new message for them.",
            f"You can expect a reply {when}, {_WHERE}.",
        )
    )


def _response_time(response_time: str) -> str:
    when = " ".join(response_time.split()).rstrip(".")
    if not when:
        raise ConfigurationError(
            'KB_HANDOFF_RESPONSE_TIME is empty: set when customers can expect a reply, e.g. "within'
            ' 2 hours" or "by the next working day"'
        )
    return when
