"""The words that report speech, per language (English, German, Spanish, French): reporting
verbs and phrases, the pronouns that stand for a speaker, negations, verbs whose following
name is their object, and the moods and persons of reported and first-person speech. What
`statements` reads sentences with."""

from __future__ import annotations

import re

# Participles of reporting verbs after "ha" / "a" (Spanish and French perfect tenses),
# with an adverb allowed between ("a notamment recommandé", "ha dejado claro").
ES_PARTICIPLES = (
    "dicho|afirmado|asegurado|señalado|subrayado|destacado|advertido|explicado|defendido|"
    "aseverado|comentado|sostenido|insistido|añadido|agregado|indicado|manifestado|"
    "declarado|reiterado|recalcado|apuntado|criticado|calificado|anunciado|recordado|"
    "lamentado|pedido|celebrado|reconocido|admitido|expresado|valorado|concluido|precisado|"
    "opinado|respondido|replicado|alertado|denunciado|prometido|garantizado|dejado claro|"
    "hecho hincapié|puesto de manifiesto|reaccionado"
)
FR_PARTICIPLES = (
    "dit|déclaré|affirmé|souligné|ajouté|estimé|expliqué|assuré|averti|appelé|insisté|"
    "indiqué|promis|annoncé|salué|regretté|dénoncé|confié|lancé|martelé|recommandé|plaidé|"
    "exhorté|rappelé|réaffirmé|réitéré|précisé|jugé|qualifié|exprimé|reconnu|demandé|"
    "prévenu|fait valoir|mis en garde|répondu|rétorqué|admis|déploré|fustigé|critiqué|réagi"
)
# Reporting words per language; a match anywhere in a sentence (outside its quotation).
CUES = {
    "en": r"said|says|say|told|tells|added|adds|stated|states|stressed|warned|wrote|writes|"
    r"declared|explained|insisted|argued|noted|urged|announced|emphasi[sz]ed|according to|"
    r"posted|tweeted|asserted|claimed|commented|remarked|replied|responded|acknowledged|"
    r"admitted|called on|called for|criticized|criticised|praised|welcomed|condemned|"
    r"voiced|expressed|described|signaled|signalled|spoke|speaking|statement by|"
    r"in a statement|told reporters|vowed|pledged|promised|defended|hailed|lavished|"
    r"commend|commended|thanked|congratulated|conceded|recalled|concluded|called|"
    r"calling it|notes|points out|confirms|stresses|warns|insists|explains|adds|saying|"
    r"declaring|adding|stating|noting|insisting|announcing|reiterated|suggested|maintained|"
    r"cautioned|predicted|denied|rejected|accused|assured|complained|proposed|demanded|"
    r"dismissed|revealed|underlined|underscored|highlighted|contended|countered|lamented|"
    r"affirmed",
    "de": r"sagte|sagt|gesagt|sagten|erklärte|erklärt|betonte|betont|zufolge|laut|schrieb|"
    r"schreibt|meinte|warnte|kritisierte|kritisiert|forderte|fordert|bezeichnete|"
    r"bekräftigte|unterstrich|ergänzte|fügte|hinzu|äußerte|teilte|räumte|sprach|"
    r"nannte|lobte|begrüßte|verteidigte|würdigte|bedauerte|versprach|kündigte|"
    r"reagierte|zeigte sich|mahnte|appellierte|dankte|berichtete|gratulierte|gestand|"
    r"erinnerte|beklagte|geäußert|gesagt|erklärt|erläuterte|versicherte|beteuerte|"
    r"bestätigte|dementierte|verwies|erklärten|warnten|forderten|betonten",
    "es": r"dijo|dice|afirmó|afirma|aseguró|asegura|declaró|señaló|señala|explicó|"
    r"subrayó|destacó|advirtió|insistió|añadió|agregó|según|concluyó|indicó|manifestó|"
    r"defendió|criticó|calificó|sostuvo|apuntó|anticipa|garantiza|anunció|recordó|lamentó|"
    r"pidió|celebró|aseveró|comentó|reiteró|recalcó|reconoció|admitió|expresó|valoró|reaccionó|"
    r"precisó|opinó|respondió|replicó|denunció|prometió|garantizó|dejó claro|hizo hincapié|"
    r"(?:ha|han) (?:\w+mente )?(?:" + ES_PARTICIPLES + ")",
    "fr": r"a dit|dit|déclaré|déclare|affirme|souligne|ajoute|estime|selon|explique|assure|"
    r"appelle|promis|indique|confie|a-t-il|a-t-elle|s'est félicité|s'est dit|rappelle|"
    r"insiste|précise|juge|dénonce|salue|regrette|plaide|martèle|prévient|avertit|"
    r"(?:a|ont) (?:\w+ment |de son côté |pour sa part )?(?:" + FR_PARTICIPLES + ")",
}
# Case matters: "States" and "Notes" are not "states" and "notes"; the few cues that open a
# sentence ("According to", "Laut", "Según", "Selon") are matched capitalised too.
CUE = re.compile(
    r"(?<!\w)(?:" + "|".join(CUES.values()) + r"|According to|Laut|Según|Selon|Zufolge)(?!\w)"
    r"|(?:, s|^S)o (?=[A-ZÄÖÜ])"
)  # ", so Merz." (German): a capitalised name must follow
PRONOUNS = frozenset(
    [
        "he",
        "she",
        "they",
        "it",
        "er",
        "sie",
        "il",
        "elle",
        "ils",
        "elles",
        "él",
        "ella",
        "ellos",
        "a-t-il",
        "a-t-elle",
    ]
)
# No one speaks: "nobody said", "sprach niemand".
NOBODY = frozenset("nobody niemand nadie personne".split())  # noqa: SIM905
# German Konjunktiv I, the mood of reported speech.
SUBJUNCTIVE = re.compile(
    r"(?<!\w)(?:sei|seien|habe|werde|könne|müsse|solle|wolle|gebe|dürfe)(?!\w)"
)
FIRST_PERSON = re.compile(
    r"(?<!\w)(?:I|we|my|our|ich|wir|mein|meine|unser|unsere|je|j'|nous|mon|ma|notre|"
    r"yo|nosotros|mi|nuestro|nuestra)(?!\w)",
    re.IGNORECASE,
)
# Reporting words that name a source rather than follow a speaker.
SOURCE_CUE = re.compile(r"(?i:according to|laut|según|selon|zufolge)")
TRANSITIVE = re.compile(
    r"thanked|praised|critici[sz]ed|welcomed|condemned|congratulated|commended|hailed|"
    r"defended|urged|called on|lavished|accused|assured|dismissed|rejected|dankte|lobte|"
    r"kritisiert|begrüßte|würdigte|versicherte|"
    r"gratulierte|verteidigte|criticó|defendió|celebró|salué|dénoncé|exhorté|critiqué|"
    r"fustigé"
)
# A sentence that opens with one of these opens with its subject ("Der Kanzler dankte").
SUBJECT_OPENERS = PRONOUNS | frozenset("der die das el la los las le les".split())  # noqa: SIM905
NEGATIONS = frozenset(
    "not never didn't hasn't haven't doesn't nicht nie no nunca pas jamais".split()  # noqa: SIM905
)
AGENTS = frozenset({"by", "von", "par", "por"})  # prepositions before who did it
# That someone has not spoken: "Eine Stellungnahme der Regierung in Moskau liegt zunächst
# nicht vor", "The Kremlin did not immediately respond to a request for comment".
NO_COMMENT = re.compile(
    r"\b(?:(?:has|have|had|did|does|do|could|would)\s*(?:not|n't)\s+(?:yet\s+|immediately\s+|"
    r"publicly\s+)?(?:comment|respond|reply|react)\w*|declined\s+to\s+(?:comment|respond)|"
    r"no\s+(?:immediate\s+)?(?:comment|response|reaction)|(?:was|were)\s+not\s+available\s+for"
    r"\s+comment|could\s+not\s+be\s+reached|"
    r"Stellungnahme\b[^.!?]*\b(?:liegt|lag|lagen)\b[^.!?]*\bnicht\s+vor|keine\s+Stellungnahme|"
    r"kein(?:en)?\s+Kommentar|äußerte\s+sich\s+(?:\w+\s+)?nicht|wollte\s+sich\s+[^.!?]*nicht\s+"
    r"äußern|reagierte\s+(?:\w+\s+)?nicht|ließ\s+[^.!?]*unbeantwortet|"
    r"no\s+ha\s+(?:querido\s+)?(?:respondido|comentado|reaccionado|hecho\s+comentarios)|"
    r"declinó\s+(?:hacer\s+)?comentarios|sin\s+comentarios|no\s+hizo\s+comentarios|"
    r"n['\u2019](?:a|ont|avait)\s+pas\s+(?:encore\s+|immédiatement\s+|souhaité\s+)?"
    r"(?:réagi|commenté|répondu|réagir|commenter|répondre)|pas\s+de\s+commentaire|"
    r"refusé\s+de\s+commenter|refusé\s+tout\s+commentaire)",
    re.IGNORECASE,
)
# The verbs a question asks what someone said with ("What did Merz say", "Wie reagierte
# sie"): they name no topic, and every statement holds one, in any language.
SPEECH_VERBS = frozenset(
    """say says said saying tell tells told react reacts reacted reaction respond responds
    responded response comment comments commented write wrote written writes speak spoke
    sagen sagt sagte sagten gesagt reagieren reagiert reagierte reagierten äußern äußerte
    geäußert schreiben schrieb geschrieben decir dice dijo dijeron reaccionar reaccionó
    responder respondió comentar comentó escribir escribió dire dit réagir réagi réagit
    déclaré répondu commenté écrit écrire""".split()  # noqa: SIM905
)
