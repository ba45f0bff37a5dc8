"""How upset a customer sounds: a tone signal, never a reason to escalate on its own.

Frustration softens the answer's tone and makes the assistant offer a person; it does not
change the policy class (see the escalation policy). Signals are cheap and explainable:
angry wording, swearing, "third time", shouting in capitals, runs of "!!!", and the same
request repeated over the recent turns of the conversation.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from kb_assistant.core.decisions import Frustration
from kb_assistant.policy.text import normalise

_ANGRY = re.compile(
    r"\b(?:useless|ridiculous|pathetic|joke|terrible|horrible|awful|worst|incompetent|"
    r"unacceptable|disgusting|disgrace\w*|outrageous|absurd|hopeless|rubbish|garbage|"
    r"nonsense|waste\s+of\s+(?:time|money)|fed\s+up|sick\s+of|tired\s+of|had\s+enough|"
    r"furious|angry|livid|annoyed|frustrat\w*|fuming|stupid|idiot\w*|clueless|shame(?:ful)?|"
    r"(?:does|did)\s+not\s+help|not\s+helping|no\s+help|never\s+(?:works?|again))\b"
)
_SWEARING = re.compile(
    r"\b(?:f+u+c+k\w*|fck\w*|fk|sh[i1]t\w*|crap\w*|damn\w*|wtf|ffs|bloody|bullsh\w*|"
    r"hell|arse\w*|ass(?:hole)?s?|bastard\w*|bs|omfg|screw\s+(?:you|this))\b"
)
_REPEATED = re.compile(
    r"\b(?:(?:second|third|fourth|fifth|2nd|3rd|4th|5th|\d+th)\s+time|"
    r"(?:\w+\s+)?times\s+(?:now|already)|again\s+and\s+again|over\s+and\s+over|"
    r"how\s+many\s+times|keep\s+(?:asking|telling|saying|trying)|still\s+(?:not|no|nothing|waiting)|"
    r"already\s+(?:told|asked|said|explained|tried)|for\s+(?:days|weeks|months|ages)|"
    r"nobody|no\s+one\s+(?:has\s+)?(?:answer|help|repl)\w*)"
)
_EXCLAIM = re.compile(r"[!?]*![!?]*!+[!?]*")  # two or more "!" (with any "?") in a row
_LETTERS = re.compile(r"[A-Za-z]")

# Weight of each kind of signal; a score of 0.5 or more reads as frustrated.
_WEIGHTS = {
    "angry_words": 0.5,
    "swearing": 0.5,
    "repeated_request": 0.35,
    "shouting": 0.35,
    "exclamations": 0.2,
    "repeated_failure": 0.4,
}


def frustration(message: str, history: Sequence[str] = ()) -> Frustration:
    """The frustration in `message`; `history` is the customer's earlier turns, oldest first."""
    text = normalise(message)
    signals: list[str] = []
    if _ANGRY.search(text):
        signals.append("angry_words")
    if _SWEARING.search(text):
        signals.append("swearing")
    if _REPEATED.search(text):
        signals.append("repeated_request")
    if _shouting(message):
        signals.append("shouting")
    if _EXCLAIM.search(message):
        signals.append("exclamations")
    if _repeats_history(text, history):
        signals.append("repeated_failure")
    score = min(1.0, sum(_WEIGHTS[s] for s in signals))
    return Frustration(round(score, 4), tuple(signals))


def _shouting(message: str) -> bool:
    """Mostly capital letters over a few words (not one acronym such as "ATM")."""
    letters = _LETTERS.findall(message[:2000])
    if len(letters) < 12:
        return False
    upper = sum(char.isupper() for char in letters)
    return upper / len(letters) >= 0.7


def _repeats_history(text: str, history: Sequence[str]) -> bool:
    """The customer asks again what they already asked in one of the last three turns.

    Asking again means the earlier answers did not help. "Again" is read from words: most of
    the shorter message's words (at least three) appear in the other one.
    """
    words = set(re.findall(r"\w{3,}", text[:2000]))
    for earlier in list(history)[-3:]:
        before = set(re.findall(r"\w{3,}", normalise(earlier[:2000])))
        shared = len(words & before)
        if shared >= 3 and shared / min(len(words), len(before)) >= 0.6:
            return True
    return False
