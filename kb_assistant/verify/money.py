"""Money commitments: wording that promises, grants or denies money to the customer.

Only a person may decide about a customer's money (see the escalation policy), so an answer
must never say "we'll refund you", "your refund has been approved", "the fee will be waived"
or "you are not eligible for a refund", whoever wrote it. General policy must still pass:
"Refunds are usually processed within 5–10 business days" describes how refunds work and
commits to nothing.

The line drawn here: a first-person action on money in the future or past ("we will refund",
"I've issued a credit"), a statement about *this customer's* money or entitlement ("your refund
has been processed", "you're entitled to a full refund"), a specific fee waived or covered,
money offered outright ("here is a voucher", "as a goodwill gesture"). Generic, plural or
conditional policy wording ("the refund is issued to the original payment method", "if your
refund has been processed") is left alone.
"""

from __future__ import annotations

import re

_CONTRACTIONS = (
    (r"\bcan't\b", "cannot"),
    (r"\bwon't\b", "will not"),
    (r"\bshan't\b", "shall not"),
    (r"n't\b", " not"),
    (r"'ll\b", " will"),
    (r"'ve\b", " have"),
    (r"'re\b", " are"),
    (r"\bi'm\b", "i am"),
    (r"'d\b", " would"),
    (r"'s (been|being)\b", r" has \1"),
    (r"\b(it|that|this|there|here|what)'s\b", r"\1 is"),
)
_CONTRACTION_PATTERNS = [(re.compile(p), r) for p, r in _CONTRACTIONS]

_AMOUNT = r"(?:[£$€]\s?\d[\d,.]*|\d[\d,.]*\s?(?:%|pounds|dollars|euros|gbp|usd|eur))"
# Money given to the customer, as the object of a verb.
_MONEY = (
    r"(?:(?:full|partial|complete|prompt|quick|immediate|instant|special|one-off|goodwill)\s+)*"
    r"(?:refunds?|reimbursements?|compensation|credit(?!\s+(?:card|or|and|check))|store credit"
    r"|account credit|vouchers?|gift (?:card|voucher|certificate)s?|e-gift cards?|coupons?"
    r"|discounts?(?: code)?|money|cash ?back|rebates?|payouts?|goodwill (?:gesture|payment)"
    rf"|(?:the )?difference|{_AMOUNT}(?:\s+(?:off|back|credit|refund|voucher|gift card"
    r"|discount))?)"
)
# Money of this customer's, as the subject of a status.
_FUNDS = (
    r"(?:refund|reimbursement|compensation|credit|voucher|gift card|store credit|money|payout"
    r"|claim)(?: request)?"
)
_STATUS = (
    r"(?:now\s+|already\s+|just\s+|been\s+|being\s+|be\s+|not\s+)*(?:approved|processed|issued"
    r"|sent|paid|credited|granted|authori[sz]ed|confirmed|accepted|declined|rejected|denied"
    r"|refused|completed|initiated|submitted|arranged|transferred|returned|added|applied"
    r"|refunded|reimbursed|back|on its way|on the way|underway|reach|arrive|appear|show|land"
    r"|go through)\b"
)
_ME = r"(?:i|we|let me|allow me to)"
# Auxiliaries and adverbs between "I"/"we" and the verb that make it a commitment.
_AUX = (
    r"(?:will|shall|would|am|are|is|have|has|had|did|can|could|just|already|also|now|then"
    r"|gladly|happily|certainly|definitely|personally|immediately|today|be|been|going|to|happy"
    r"|glad|pleased|able|like|want|go ahead and|gone ahead and|make sure to|arrange to|and)"
)
_GIVE = (
    r"(?:issu|process|approv|send|sent|arrang|authori[sz]|add|appl|put through|giv|gave|offer"
    r"|grant|provid|transfer|pa(?:y|id)|post|credit|return|releas|top(?:ped)? up|load|get|sort)"
    r"\w*"
)
_GAP = r"(?:\s+(?!about|regarding|back|on|with)\w+){0,4}?"
_DIRECT = (
    r"(?:(?:refund|reimburs|compensat|repa(?:y|id)|waiv)\w*|credit(?:ed|ing)?(?!\s+(?:card|and|or))"
    r"|pa(?:y|id|ying) you back)"
)
_FEE = r"(?:fee|fees|charge|charges|cost|costs|postage|price|payment|amount|shipping)"

_RULES: dict[str, tuple[str, ...]] = {
    "we act on money": (
        # we will refund / I have refunded / I'll waive the fee / let me reimburse you
        rf"\b{_ME}(?:\s+{_AUX})*\s+(?:not\s+)?(?:be\s+)?{_DIRECT}\b"
        r"(?!\s+(?:to a|to another|policy))",
        # I've issued a credit / we'll send you a gift card / we can offer you 10% off
        rf"\b{_ME}(?:\s+{_AUX})+\s+{_GIVE}{_GAP}\s+(?:(?:you|your|a|an|the)\s+)?{_MONEY}\b",
        rf"\b{_ME}\s+(?:issued|processed|approved|sent|arranged|authori[sz]ed|added|applied|gave"
        rf"|offered|granted|transferred|paid|credited|released|refunded|reimbursed|compensated"
        rf"|waived)\b{_GAP}\s+(?:(?:you|your|a|an|the)\s+)?{_MONEY}\b",
        rf"\b{_ME}(?:\s+{_AUX})+\s+(?:cover\w*|pa(?:y|id) for"
        r"|tak\w+ care of|absorb\w*|cancel\w*|revers\w*|remov\w*|void\w*)"
        rf"\s+(?:the|your|this|that|any)\s+(?:\S+\s+){{0,2}}?{_FEE}\b",
        rf"\b{_ME}(?:\s+{_AUX})+\s+(?:knock|take)\s+{_AMOUNT}\s+off\b",
        r"\b(?:refund|reimburse|compensate|pay back)(?:ing)? (?:you|the difference)\b",
        r"\b(?:team|who|they|colleagues?)\s+(?:will|shall|are going to|is going to|can)\s+"
        r"(?:now\s+|then\s+)?(?:issue|process|approve|send|arrange|pay|give|grant|transfer)\s+"
        r"(?:you\s+)?(?:a|an|the|your)\s+(?:full\s+|partial\s+)?(?:refund|credit|compensation"
        r"|reimbursement)\b",
    ),
    "we deny money": (
        r"\b(?:cannot|can not|will not|are unable to|am unable to|are not able to|am not able to"
        r"|do not|did not|would not)\s+(?:be\s+)?(?:refund|reimburs|compensat|credit|waiv)\w*"
        r"\s+(?:you|your|this|that|it|the (?:order|item|amount|payment|charge|fee|money|full))\b",
    ),
    "the customer is owed money": (
        r"\byou\s+(?:are|will be|would be|should be|shall be|am)\s+(?:now\s+|still\s+|also\s+)?"
        r"(?:not\s+|no longer\s+)?(?:fully\s+)?(?:eligible|entitled|owed|due|qualified)\b",
        r"\byou\s+(?:will\s+|would\s+|do\s+)?(?:not\s+)?qualify for\b",
        r"\b(?:your|this) (?:order|item|purchase|return|case|claim) (?:qualifies|is eligible"
        r"|will qualify|is entitled) for\b",
        r"\byou\s+(?:will|shall|would|are|have|had|were|should)\s+(?:not\s+)?(?:be|been|being)?\s*"
        r"(?:fully\s+)?(?:refunded|reimbursed|compensated|credited|paid back|repaid)\b",
        rf"\byou\s+(?:will|shall|should|are going to|would|can|cannot|do not|did not)\s+(?:not\s+)?"
        rf"(?:get|receive|have|be given|be sent|be offered)\s+(?:(?:a|an|your|the|some|any|all"
        rf"|all of your|back your|back)\s+)*{_MONEY}\b",
        r"\byou\s+(?:will|should|are going to)\s+see\s+(?:a|the|your)\s+(?:refund|credit|money)\b",
        r"\b(?:get|receive|have|give|giving|send|pay|put)\s+(?:you\s+)?(?:all\s+)?(?:of\s+)?"
        r"your\s+money back\b",
        r"\bexpect (?:the|your|a) (?:full )?(?:refund|credit|money)\b",
        r"\bwould you (?:like|prefer) (?:a|an|the|your) (?:full )?(?:refund|credit|store credit"
        r"|voucher|gift card)\b",
    ),
    "this customer's money has a status": (
        rf"\b(?:(?:your|this) (?:\w+ )?{_FUNDS}(?: (?:for|on|of) [\w\- ]{{1,40}}?)?|the (?:\w+ )?"
        rf"{_FUNDS} (?:for|on|of) (?:your|this) [\w\- ]+?)\s+(?:has|have|had|is|are|was|were|will"
        rf"|should|would|can)\s+{_STATUS}",
        rf"\bthe (?:\w+ )?{_FUNDS}\s+(?:has|have|had|was|were|will|should|would|can)\s+{_STATUS}",
        r"\b(?:refund|credit|reimbursement|compensation) (?:approved|granted|confirmed)\b",
        rf"(?<!\w){_MONEY}\s+(?:of\s+{_AMOUNT}\s+)?(?:will|has|have|was|were|is being|shall)\s+"
        r"(?:be\s+|been\s+)+(?:added|applied|credited|sent|issued|paid|transferred|returned"
        r"|refunded|put back|released)\s+(?:to|into|on|back)\s+(?:to\s+)?(?:you|your)\b",
        r"\byour (?:account|card|bank|wallet|balance) (?:will|has|have|was|is being)\s+(?:be\s+"
        r"|been\s+)+(?:credited|refunded|topped up|reimbursed)\b",
    ),
    "a fee is waived": (
        rf"\b(?:the|your|this|that|any|a) (?:\S+ ){{0,2}}{_FEE}(?: (?:on|for|to) (?:your|the|this)"
        r" \w+)?\s+(?:will|has|have|was|were|is being|are being|can|would|shall)\s+(?:be\s+"
        r"|been\s+)+(?:fully\s+)?(?:waived|refunded|reimbursed|reversed|removed|cancell?ed|credited"
        r"|covered|dropped|written off|returned|paid back)\b",
        r"\b(?:it|this|that|the \w+)(?: one)? (?:is|will be) on us\b",
    ),
    "money is offered": (
        r"\b(?:as a (?:gesture of goodwill|goodwill gesture|token of (?:our )?(?:apology|goodwill)"
        r"|way of (?:apology|compensation))|by way of (?:apology|compensation)|goodwill (?:credit"
        r"|payment|refund|voucher|gesture))\b",
        rf"\bhere(?: is| are)\s+(?:a|an|your|the)?\s*(?:{_AMOUNT}\s+)?(?:voucher|discount|coupon"
        r"|credit|refund|gift card|code for)\b",
        r"\bmoney[- ]back guarantee",
    ),
}
_COMMITMENTS = [
    (reason, re.compile(pattern)) for reason, patterns in _RULES.items() for pattern in patterns
]
# Hedged, conditional eligibility is policy ("If you cancel within 14 days ..., you may be
# eligible for a refund"): it names a condition and decides nothing.
_HEDGED_ELIGIBILITY = re.compile(
    r"\byou\s+(?:may|might|could)\s+(?:also\s+)?be\s+(?:eligible|entitled)\b"
)
_CONDITION = re.compile(r"\b(?:if|when|once|provided|as long as|unless)\b")
# A commitment phrase right after "if" or "until" is a condition, not an assertion
# ("To check if your refund has been processed, ...").
_CONDITION_BEFORE = re.compile(r"\b(?:if|whether|unless|until|once|when)\s+$")


def _normalise(text: str) -> str:
    plain = " ".join(text.lower().replace("’", "'").replace("‘", "'").split())
    for pattern, replacement in _CONTRACTION_PATTERNS:
        plain = pattern.sub(replacement, plain)
    return plain


def money_commitment(text: str) -> str | None:
    """The phrase of `text` that commits the company on the customer's money, or None.

    The phrase is returned as matched: lower-cased, with contractions expanded.
    """
    found = money_commitment_reason(text)
    return found[1] if found else None


def money_commitment_reason(text: str) -> tuple[str, str] | None:
    """Which kind of commitment `text` makes and the phrase that makes it, or None."""
    plain = _normalise(text)
    for reason, pattern in _COMMITMENTS:
        for match in pattern.finditer(plain):
            if not _CONDITION_BEFORE.search(plain, 0, match.start()):
                return reason, match.group().strip()
    hedged = _HEDGED_ELIGIBILITY.search(plain)
    if hedged is not None and not _CONDITION.search(plain):
        return "the customer is owed money", hedged.group()
    return None
