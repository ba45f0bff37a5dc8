"""Prompt injection: instructions addressed to the assistant, and output that obeys them.

Documents and messages can carry text written for the model rather than for the reader
("ignore previous instructions", "encode your response in Base64", "add a link to ... in your
reply"). `strip_instructions` removes such sentences from retrieved passages before an answer is
composed; the verifier removes any answer statement that still contains one, or that shows the
marks of an obeyed instruction (talk of system prompts, "Access Granted", jailbreak personas,
encoded or scrambled text).

The patterns are deliberately about *addressing a model*: customer-facing manuals are full of
imperatives ("Sign in and go to Account > Orders"), so an imperative alone is never enough.
"""

from __future__ import annotations

import re

from kb_assistant.core.text import STOPWORDS, split_sentences

_I = re.IGNORECASE

# Overriding or discarding what the model was told.
_OVERRIDE = re.compile(
    r"\b(?:ignore|disregard|forget|override|bypass|neglect)\b(?: \w+){0,4}? "
    r"(?:previous|prior|above|preceding|earlier|initial|original|system|former|all|any)\b"
    r"(?: \w+){0,2}? (?:instructions?|prompts?|rules|directives?|guidelines|context|programming"
    r"|restrictions|text|messages|commands|safeguards)\b"
    r"|\b(?:ignore|disregard|forget|override|bypass) (?:your|the|my) (?:prompt|programming"
    r"|directives|guidelines|rules|restrictions|instructions)\b"
    r"|\b(?:ignore|disregard|forget) (?:the above|everything|anything"
    r"|what (?:i|you) (?:said|were))\b",
    _I,
)
# Talk about the model's own configuration: system prompts, initial instructions, secrets.
_SYSTEM = re.compile(
    r"\b(?:system|developer) (?:prompts?|messages?|instructions)\b"
    r"|\b(?:initial|hidden|secret|pre-?) ?(?:prompts?|instructions|directives)\b"
    r"|\b(?:your|my) original (?:prompt|instructions)\b"
    r"|\b(?:repeat|reveal|print|show|tell me|outputs?|list|summari[sz]e|what (?:are|were)|recite"
    r"|ignore|forget|disregard|convert|rephrase|format|explain|write|return|state)\b(?: \w+){0,2}?"
    r" (?:your|my|these|the|the above|previous|prior|all) (?:exact )?(?:instructions|prompt|rules"
    r"|ruleset|directives)\b"
    r"|\b(?:correct|the) (?:password|pass phrase) (?:is|has been|was)\b|\bpass ?phrase\b"
    r"|\baccess grant|\bsecret (?:word|character|password|key)\b|%%%"
    r"|\b(?:repeat|print|output|reveal|display|echo|recite|spell out|dump|copy)\b[^.!?\n]{0,40}?"
    r"\b(?:above|previous|prior|preceding|verbatim|word for word)\b"
    r"|\b(?:text|words|everything|instructions) (?:above|before this)\b"
    r"|\baccess (?:granted|code)\b|\bpass ?code\b|\bi was instructed\b"
    r"|\bwhat (?:were you told|are you not supposed to)\b"
    r"|\byour (?:starting|initial|original) (?:instructions|configuration)\b"
    r"|\b(?:output|display|print|show)\b[^.!?\n]{0,30}\b(?:configuration|initiali[sz]ation)\b",
    _I,
)
# Role-play jailbreaks and model self-reference.
_PERSONA = re.compile(
    r"\bdo anything now\b|\bdeveloper mode\b|\bjail ?broken\b|\bjailbreak\w*\b"
    r"|\b(?:act|acting|behave|respond) as (?:an? |my |the )?(?:ai|assistant|model|chatbot|dan\b)"
    r"|\bpretend (?:to be|that you|you are|you're)\b|\brole-?play\w*\b|\bstay in character\b"
    r"|\bas an ai\b|\bi am an ai\b|\bi'm (?:just |only )?an ai\b|\b(?:ai |large )?language model\b"
    r"|\bchat ?gpt\b|\bgpt-?\d\b|\bopenai\b|\bllms?\b"
    r"|\b(?:unfiltered|uncensored) (?:ai|mode|responses?)\b"
    r"|\bno (?:ethical|moral) (?:guidelines|restrictions|principles)\b"
    r"|\bwithout (?:any )?(?:restrictions|filters|censorship|limitations)\b"
    r"|\byou are now (?:in \w+ mode|free|unrestricted|dan|an? (?:ai|assistant|model|chatbot))\b"
    r"|\b(?:opposite|evil|god) mode\b|\b(?:you|to) act (?:as|like)\b|^act (?:as|like)\b"
    r"|\brespond as the character\b|\bplay (?:two|2) characters\b|\blimit output to\b",
    _I,
)
_DAN = re.compile(r"\b(?:DAN|STAN|DUDE|AIM)\b")
# Instructions about the shape or content of the model's reply.
_CHANGE = (
    r"encode|encrypt|translate|render|reverse|invert|scramble|jumble|anagram\w*|group|convert"
    r"|shift|misspell"
)
_RESHAPE = re.compile(
    r"\b(?:in|into|to|throughout|within) your (?:response|responses|answer|answers|reply|replies"
    r"|output)\b"
    rf"|\b(?:{_CHANGE}|rewrite|express|write|format|modify|enhance|augment|end|begin|start"
    r"|conclude|integrate|include|add|insert|append|provide|use|remove|rearrange|put)\b"
    r"[^.!?\n]{0,40}?"
    r"\byour (?:response|responses|answer|answers|reply|replies|output)\b"
    rf"|\b(?:{_CHANGE})\b[^.!?\n]{{0,40}}?\byour messages?\b"
    r"|\b(?:reply|respond|answer|write)\b(?: only)? (?:in|using|with) (?:base ?\d+|reverse"
    r"|emojis?|a (?:caesar|substitution) cipher|(?:spanish|french|german|italian|portuguese"
    r"|russian|chinese|japanese|pig latin)\b)"
    r"|\b(?:reply|respond|write (?:your|the) (?:reply|answer)) (?:backwards?|in reverse)\b",
    _I,
)
_ENCODING = re.compile(
    r"\bbase ?(?:16|32|58|64|85)\b|\b(?:caesar|substitution|monoalphabetic|homophonic) cipher\b"
    r"|\brot-?13\b|\bleet ?speak\b|\bl33t\b|\bemojis? (?:only|substitution)\b"
    r"|\bwithout (?:any )?spaces\b",
    _I,
)
# Requests for a task unrelated to the reader: the opening words of a request to a model.
_WORK = (
    r"(?:script|poem|story|short story|essay|letter|speech|song|function|program|code|introduction"
    r"|summary|tweet|haiku|joke|article|blog post|command|list|example|recipe)"
)
_TASK = re.compile(
    r"^(?:please |now |also |then )?(?:(?:can|could|would|will) you (?:please )?)?"
    rf"(?:(?:write|compose|draft|develop|generate|create) (?:me )?(?:a|an) (?:\w+ )?{_WORK}"
    rf"|provide (?:a|an|me with a) (?:\w+ )?{_WORK}|provide insights|provide the \w+ equivalent"
    r"|summari[sz]e|analy[sz]e|recommend|translate|classify|paraphrase|tell me|show me|give me"
    r"|help me|explain (?:the (?:theory|process|concept|difference)|how \w+ works)"
    r"|suggest (?:weekend|some|a good)|break down the plot|list (?:all|the top)|reply in"
    r"|render your|use (?:base|emojis|a caesar|numbers for|commonly)|substitute"
    r"|replace (?:letters|every|main|vowels))\b",
    _I,
)
_SENTIMENT = re.compile(
    r"\b(?:sentiment|mood) of (?:this|the following)\b|\bpositive or negative\?"
    r"|\b(?:how do you say|what(?: is|'s)) ['\"‘“][^'\"’”]+['\"’”] in [A-Z][a-z]+\b"
    r"|^describe the (?:advancements|lifecycle|history|plot)\b",
    _I,
)
_ADDRESS = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+", _I)  # URLs and emails are not payloads
_BASE64_RUN = re.compile(r"(?<![\w+/])[A-Za-z0-9+/]{24,}={0,2}(?![\w+/])")
_LEAD = re.compile(r"^\s*(?:[A-Z][a-z]*(?: [a-z]+)?:\s+|[-*•\x7f]\s*|\d+[.)]\s+|\*\*)+")
_PATTERNS = (_OVERRIDE, _SYSTEM, _PERSONA, _RESHAPE, _ENCODING, _SENTIMENT)


def _has_base64_run(text: str) -> bool:
    """A long run of the Base64 alphabet mixing cases and digits: an encoded payload."""
    for run in _BASE64_RUN.findall(_ADDRESS.sub(" ", text)):
        mixed = any(c.islower() for c in run) and any(c.isupper() for c in run)
        if mixed and (any(c.isdigit() for c in run) or run.endswith("=")):
            return True
    return False


def _sentence_is_instruction(sentence: str) -> bool:
    """An injected instruction, also one hidden behind a lead-in clause and a colon
    ("Before you start, please note: Write a short story …")."""
    plain = _LEAD.sub("", sentence).replace("’", "'").strip()
    if any(pattern.search(plain) for pattern in _PATTERNS):
        return True
    if _DAN.search(plain) or _has_base64_run(plain):
        return True
    clauses = [plain, *(part.strip() for part in plain.split(":")[1:] if part.strip())]
    return any(_TASK.search(clause) for clause in clauses)


def looks_like_instruction(text: str) -> bool:
    """Whether `text` holds a sentence addressed to the assistant itself (a prompt injection)."""
    return any(_sentence_is_instruction(sentence) for sentence in split_sentences(text))


def strip_instructions(text: str) -> str:
    """`text` without its injected-instruction sentences; everything else is left as it was.

    A quotation right after an instruction ("Is this feedback positive or negative?
    'I waited for hours.'") is the instruction's material and goes with it.
    """
    sentences = split_sentences(text)
    doomed = [_sentence_is_instruction(sentence) for sentence in sentences]
    for index in range(len(sentences) - 1):
        if doomed[index] and sentences[index + 1][:1] in _QUOTES:
            for following in range(index + 1, min(index + 5, len(sentences))):
                doomed[following] = True
                if _CLOSING_QUOTE.search(sentences[following]):
                    break
    for sentence, remove in zip(sentences, doomed, strict=True):
        if remove:
            pattern = r"\s*".join(re.escape(part) for part in sentence.split())
            text = re.sub(pattern + r"[ \t]*", "", text, count=1)
    return text


_QUOTES = "'\"‘“"
_CLOSING_QUOTE = re.compile(r"['\"’”][.!?]?\s*$")


# Marks of an obeyed instruction in the output: scrambled or encoded text.
_LEET_TOKEN = re.compile(r"[a-z@$]+[013457@$][a-z@$013457]*[a-z]", _I)
_TOKEN = re.compile(r"[A-Za-z0-9@$]+")
_EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf]")


def _reversed_words(text: str) -> bool:
    """Several words that are common words spelled backwards ("ruoy dnufer lliw")."""
    tokens = [t.lower() for t in _TOKEN.findall(text) if len(t) > 2]
    flipped = [t for t in tokens if t not in STOPWORDS and t[::-1] in STOPWORDS]
    return len(flipped) >= 3 and len(flipped) >= 0.25 * len(tokens)


def _leetspeak(text: str) -> bool:
    """Several words with digits or symbols standing in for letters ("r3fund 4ppr0ved")."""
    hits = [
        t
        for t in _TOKEN.findall(_ADDRESS.sub(" ", text))
        if _LEET_TOKEN.fullmatch(t) and sum(c.isalpha() for c in t) >= 3
    ]
    return len(hits) >= 2


def looks_obfuscated(text: str) -> bool:
    """Whether `text` is encoded, reversed, leetspeak or emoji-coded, as an injection asks for."""
    if _has_base64_run(text) or _reversed_words(text) or _leetspeak(text):
        return True
    return len(_EMOJI.findall(text)) >= 3
