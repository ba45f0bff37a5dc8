"""Everyday words of the common languages written in Latin letters.

A language detector guesses from letter sequences, and on a short or misspelt English message
("do udeliver to Toronto", "rebatingg $3") its guess is often some other language. So a
message in Latin letters only counts as foreign when enough of its words are everyday words of
that language (articles, pronouns, "where", "thanks", "order", "money"), and the detector then
only chooses among the languages whose words were found. The lists are folded (no accents, as
messages are) and hold no English words: `foreign_words` drops any that the English lexicon
knows.
"""

from __future__ import annotations

from collections.abc import Mapping

from kb_assistant.policy.lexicon import SHARED, english_word

_WORDS: dict[str, str] = {
    "es": """el la los las del que por para con una uno unos unas mi mis su sus esta este esto
        estoy es pero como cuando donde porque quiero necesito tengo hola gracias favor ayuda
        pedido cuenta dinero ya muy mas tambien hacer hay han fue era nada nunca usted ustedes
        yo se sin sobre hasta desde entre dos veces cobraron pague compra tarjeta todavia aun
        llego recibi puedo puede buenos dias tardes mio de en cambiar direccion envio un""",
    "fr": """le la les des du une est et je tu il elle nous vous ils sont suis pas ne mon ma mes
        ton ta son sa ses ce cette ces qui que quoi pour avec dans sur par mais ou au aux en
        bonjour merci oui non veux voudrais peux commande argent aide compte ai avez etait ete
        deux fois toujours encore rien carte paye jamais tres bien svp pourquoi quand comment de
        livraison adresse changer un""",
    "de": """der die das den dem des ein eine einen einem und ist nicht ich du er sie wir ihr
        mein meine meinen mit von zu zum zur auf fur aus bei wie wo warum wann bitte danke
        hallo habe hat haben bin sind war wurde geld bestellung konto noch schon auch aber oder
        kann konnen mochte zuruck nur sehr mir mich uns ihnen keine kein zweimal ware nichts
        bekommen bezahlt karte""",
    "it": """il lo la gli le un una uno di del della dei che non sono ho hai ha abbiamo mio mia
        miei mie per con su da al alla ma come quando dove perche voglio vorrei posso grazie
        ciao buongiorno ordine soldi conto aiuto ancora gia sempre mai anche questo questa
        volte due addebitato pagato carta niente la indirizzo consegna cambiare un""",
    "pt": """os as da do das dos um uma uns umas que nao sim com para por meu minha meus minhas
        seu sua esta estou sou tem tenho quero preciso obrigado obrigada ola onde quando porque
        como mas pedido encomenda dinheiro conta ajuda ja muito voce nos duas vezes cartao
        ainda nada recebi paguei de em entrega endereco mudar""",
    "nl": """ik je jij mijn jouw uw niet geen wel met voor naar het een van dat wil kan ben heb
        hebben heeft wordt werd wat waar wanneer waarom hoe ook nog maar dus graag bedankt
        hallo hoi alstublieft bestelling geld rekening terug betaald twee keer nooit niets
        ontvangen kaart de en adres levering""",
    "pl": """nie jest sa jak czy ze na mnie mi moje moja moj moich sie ktory dlaczego gdzie
        kiedy prosze dziekuje dzien dobry czesc chce mam moge zamowienie pieniadze konto
        pomoc juz jeszcze tylko bardzo ale lub oraz zostal zostalo dwa razy zaplacilem
        zaplacilam karta karty nic otrzymalem""",
    "sv": """jag du han hon vi ni det den en ett och att ar inte har hade min mitt mina din med
        till fran pa om som men eller var varfor hur nar kan vill behover tack hej bestallning
        pengar pengarna konto hjalp tillbaka redan fortfarande ingen inga tva ganger kort""",
    "da": """jeg du han hun vi det den en et og at er ikke har havde min mit mine din med til
        fra pa om som men eller hvor hvorfor hvordan hvornar kan vil skal tak hej bestilling
        penge pengene konto hjaelp tilbage allerede stadig ingen gange kort""",
    "nb": """jeg du han hun vi dere det den en et og at er ikke har hadde min mitt mine din med
        til fra pa om som men eller hvor hvorfor hvordan nar kan vil skal takk hei bestilling
        bestillingen penger pengene konto hjelp tilbake allerede fortsatt ingen ganger kort""",
    "nn": """eg du han ho vi de det den ein eit og at er ikkje har hadde min mitt mine din med
        til fra pa om som men eller kvar kvifor korleis kan vil skal takk hei bestilling
        pengar pengane konto hjelp tilbake allereie framleis ingen""",
    "fi": """mina sina han se ei ole olen oli ja tai mutta kun jos miksi missa milloin miten
        kiitos hei moi tilaus tilaukseni rahat raha rahani rahoja tili apua takaisin jo viela
        voin haluan tarvitsen minun sinun mun mita kanssa kaksi kertaa veloitettiin kortti""",
    "cs": """je jsem jsi jsou ne ano na se si ze jak kde kdy proc prosim dekuji dobry den ahoj
        moje muj moji mi mne chci potrebuji muzu mohu objednavka objednavku penize ucet pomoc
        uz jeste jen velmi ale nebo byl byla bylo dvakrat karta kartu nic""",
    "ro": """si este sunt nu eu tu el ea noi voi ei un cu pe la din pentru ca care ce cum unde
        cand vreau mea meu mei mele multumesc buna salut comanda bani banii cont ajutor deja
        inca doar foarte dar sau doua ori card nimic de in adresa livrare""",
    "tr": """ve bir bu su ben sen biz siz onlar benim senin ile icin ama veya nerede ne neden
        nasil zaman merhaba tesekkur tesekkurler lutfen siparis siparisim para hesap hesabim
        yardim istiyorum var yok mi mu degil hala zaten sadece cok iki kez kart""",
}


def _foreign(words: str) -> frozenset[str]:
    return frozenset(w for w in words.split() if w not in SHARED and not english_word(w))


COMMON_WORDS: Mapping[str, frozenset[str]] = {code: _foreign(w) for code, w in _WORDS.items()}


def foreign_words(code: str) -> frozenset[str]:
    """The everyday words of language `code` that are not English (empty if none are known)."""
    return COMMON_WORDS.get(code, frozenset())
