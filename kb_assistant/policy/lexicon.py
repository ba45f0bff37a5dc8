"""A small English lexicon: the common words of customer messages.

Two things lean on it. Disguised spellings are only undone where the result is a real word
("m0ney" → "money", but "AB12C" or "2nd" stay as they are), and a run of spaced-out letters
is split back into words ("arefund" → "a refund"). And a message that is plainly English by
its words ("pls refund me", "wheres my parcel??") is never handed to the language detector,
whose guesses on short, misspelt text are unreliable.

`SHARED` holds English words that are also everyday words of other common languages ("me",
"no", "in", "was", "to", "for"): they count for English only beside words that are English
alone.
"""

from __future__ import annotations

import re
from functools import lru_cache

_FUNCTION_WORDS = """
    about above across after again against all almost along already also although always am
    among an and another any anybody anyone anything anyway anywhere are around as at away
    back be because been before behind being below beside besides between both but by can
    cannot could did do does doing done down during each either else enough even ever every
    everybody everyone everything everywhere few for from further had has have having he her
    here hers herself him himself his how however if in instead into is it its itself just
    least less let like many may me might mine more most much must my myself near neither
    never next no nobody none nor not nothing now of off often on once one only onto or other
    others otherwise our ours ourselves out over own per please quite rather really same
    several shall she should since so some somebody someone something sometimes somewhere
    soon still such than that the their theirs them themselves then there therefore these
    they this those though through thus till to today together tomorrow too toward towards
    under unless until up upon us very via was we well were what whatever when whenever where
    whereas wherever whether which while who whoever whole whom whose why will with within
    without would yes yesterday yet you your yours yourself yourselves
"""
_COMMON_WORDS = """
    able accept accepted access accidentally account accounts actually add added address
    advice afraid afternoon ago agree allow allowed amount answer answered app apply approved
    arrive arrived arriving ask asked asking assistance attached available avoid bad bag
    balance bank banking basket before believe best better big bill billed billing birthday
    bit block blocked book booked booking bought box broke broken brought business button buy
    buying call called calling came cancel cancelled canceled cancelling card cards care
    carry case cash change changed charge charged charges chat check checked checking
    checkout choose city claim clear close closed code colour color come coming company
    complain complaint complete completed confirm confirmed confused contact contacted
    continue correct cost costs could country course courier credit currency customer
    customers damaged date day days deal dear debit decided declined delay delayed delete
    delivered delivery deposit details did different difficult disappointed discount done
    dont double email empty end error even evening exchange expect expected expensive
    explain extra fact fail failed family fast fee fees fill find fine finished first fix
    fixed form found free friend friends full funds get gets getting gift give given giving
    glad go goes going gone good got great guys had happen happened happening happy hard
    hello help helpful hey hi hold home hope hour hours house idea immediately important
    info information instead interested internet invoice issue issues item items job keep
    kind know known large last late later leave left letter limit line link list little live
    locked log login long look looked looking lost lot love made mail make makes making
    manage manager many mean message messages method minute minutes missing mistake mobile
    moment money month months morning move moved name need needed needs new nice night
    number numbers ok okay old online open opened option options order ordered orders
    original paid parcel part password pay paying payment payments people person phone pick
    place placed plan plus point possible post pounds price problem problems product products
    purchase purchased put question questions quick quickly rather reason receipt receive
    received recently reply request requested required reset response return returned
    returning returns right run said sale same saw say says second see seems seen sell send
    sending sent service set shipping shop shopping should show showing shows sign since size
    small sold sorry sort speak start started state statement stay stop stopped store
    support sure system take taken takes taking talk team tell thank thanks thing things
    think thought time times told top tracking transfer transferred tried try trying turn
    twice two understand unfortunately update updated use used using usual usually wait
    waited waiting want wanted wants way website week weeks went wife work worked working
    works wrong year years yesterday
"""
# More of what customers write about: accounts, orders, cards, delivery, their feelings.
_SERVICE_WORDS = """
    absolutely abroad accident activate active activity actual additional admin adult
    advance age agent agents ahead aid airport alert allowance alone alright angry annoying
    annual anymore apart apologies apple application appointment approve approx area arrange
    arrival article assist assistant atm attempt attention authorise authorize auto
    automatic automatically awful awesome baby bar based basic bed bedroom beneficiary beyond
    bills birth blue body bonus borrow bottom brand bride broken brother budget bug build
    buyer cable calculate calendar camera cannot capture careful cart catalogue catalog
    category cause certain chair chance changing cheap cheaper cheque child children chose
    citizen claims clarify class clean click client cloud coffee cold collect collection
    colleague comment commission common compare compensation complaints concern condition
    conditions confirmation connect connection consider consumer contract control convert
    copy corner correctly couch count couple cover create created creating crazy current
    currently cushion customs cut damage dark data daughter deadline death debt decide
    default delete deliver depart department description design desk despite detail device
    difference digital direct directly disabled discounts dispatch dispatched display
    disposable document documents dollar dollars door due duplicate early earn easy edit
    effort electronic eligible else employer enter entire entry equipment especially euro
    euros event exact exactly example except excuse exist existing expire expired expiry
    explanation express face faulty favourite favorite feature feel fees figure file filing
    final finally fine fingerprint floor folks follow foreign forever forget forgot forward
    frame fraud freeze fresh frustrated frustrating fund furniture future garden gave general
    genuine goddamn gold government grateful guarantee guess guide hand handle hang happens
    hate head hear heard height helped hidden high history holiday honest hope horrible
    hotel human hurry identity identify ignore ill image impossible improve inch include
    included including income incorrect increase indeed individual inform inside install
    insurance interest international invalid invoices involved joint kitchen knowing lamp
    language laptop law learn legal lend level licence license light limits linked lives
    load loan local location lodge login lose losing loyalty machine main mainly maximum
    maybe meaning means member membership mention merchant middle mind minimum mine miss
    modify month mother multiple nearly necessary negative neighbour network normal normally
    notice notification numbers obviously offer office official ones opening order
    ordering organization organisation outside overdraft owner package page pain paper
    paypal pending percent perhaps period personal physical picked pin platinum pleased
    pocket policy policies premium present pretty prevent previous private pro probably
    process processed processing profile promise promo proof protect provide provided
    proving purpose quality query rate rates reach read ready real realise realize receipt
    recent recipient recognise recognize record refer region register registered regular
    relationship remember remove renew rent repair repeat replace replacement report
    resolve rest result reverse review rid ring risk room rude rule rules safe salary save
    saved saying screen search secure security selected seller separate serious settings
    share shipment shipped shirt short shouldnt signed simple single sister site sofa
    somewhere son soon source spend spent standard status step stuck subscribe subscription
    success suggest summary supposed surely suspicious switch table tax terms terrible text
    theft ticket tired total track trade travel travelling treat trip trouble true trust
    type unable unhappy unit unknown unless unlock upset upgrade urgent user valid value
    verification verify verified version virtual visa voice wallet warranty watch weekend
    whole wish withdraw withdrew wonder wondering worried worry worse worst write written
    monday tuesday wednesday thursday friday saturday sunday january february march april
    june july august september october november december tonight morning noon midnight
    three four five six seven eight nine ten eleven twelve twenty thirty hundred thousand
    half quarter yeah yep yup nope sounds cheers goodbye bye pardon sorry unsure clueless
    proceed grown ups kids guests reservation dinner breakfast lunch wifi parking recommend
    novel wash sheets ship deliver delivers newsletter profile key registration prefer
"""
# The words of money matters, so that "r3fund" or "r e f u n d" is read back as one.
_MONEY_WORDS = """
    refund refunds refunded refunding reimburse reimbursed reimbursement compensation
    compensate compensated chargeback chargebacks dispute disputed disputing unauthorised
    unauthorized unrecognised unrecognized fraud fraudulent scam scammed stolen hacked
    overcharged debited deducted withdrawal withdrawn transaction transactions pending
    rebate credited penalty owed owe cashback voucher coupon wallet
"""
ENGLISH_WORDS = frozenset((_FUNCTION_WORDS + _COMMON_WORDS + _SERVICE_WORDS + _MONEY_WORDS).split())
# Also everyday words of Spanish, French, German, Dutch, Italian, Portuguese, Polish or the
# Scandinavian languages: English only beside a word that is English alone.
_SHARED = """
    a i o am an in is me no so to at as be by do he it of on or we us was will for her had
    has have here also see set just over after more mine ok even per sure pay app info plan
    post
"""
SHARED = ENGLISH_WORDS & frozenset(_SHARED.split())
_WORD = re.compile(r"[^\W\d_]+")
# English endings, and what the word may have ended in before them.
_ENDINGS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("ies", ("y",)),
    ("es", ("", "e")),
    ("s", ("",)),
    ("ed", ("", "e")),
    ("ing", ("", "e")),
    ("ly", ("",)),
)


@lru_cache(maxsize=16384)
def english_word(word: str) -> bool:
    """Whether `word` (lower case) is in the lexicon, as it is or without an English ending
    ("invoices", "creating", "stopped")."""
    if word in ENGLISH_WORDS:
        return True
    for ending, replacements in _ENDINGS:
        if word.endswith(ending) and len(word) > len(ending) + 2:
            stem = word[: -len(ending)]
            forms = [stem + r for r in replacements]
            if len(stem) > 2 and stem[-1] == stem[-2]:
                forms.append(stem[:-1])  # "stopped", "shipping"
            if any(form in ENGLISH_WORDS for form in forms):
                return True
    return False


def english_share(text: str) -> tuple[float, int, int]:
    """(share of words that are English, words English alone, words counted) of normalised
    text; words of one letter are not counted."""
    words = [w for w in _WORD.findall(text) if len(w) > 1]
    if not words:
        return 0.0, 0, 0
    english = [w for w in words if w in SHARED or english_word(w)]
    distinct = sum(1 for w in english if w not in SHARED)
    return len(english) / len(words), distinct, len(words)
