"""Does a mission statement prescribe the solution? Word lists per language, so every flag is explainable.

A mission states an outcome and leaves open how to reach it (Mazzucato: "open to multiple bottom-up
solutions"). A statement is *prescriptive* when it names

- a **technology** as the way there (hydrogen, heat pumps, offshore wind, nuclear power, electric
  buses …), unless it is named to be avoided ("without diesel", "fossil-free");
- a **delivery programme** or funding body ("through the Warm Homes Programme", "via Horizon Europe",
  "gjennom Enova-programmet"); or
- a **means**: a construction that says how ("by deploying …", "gjennom utbygging av …", "genom att
  bygga ut …", "durch den Ausbau von …", "en déployant …", "mediante la construcción de …").

Languages: English, Norwegian (bokmål), Swedish, Danish, Finnish, German, French and Spanish. A
mission does not record its language, so every language's lists are applied to every statement (the
words rarely collide; measured in ``bench/prescriptive_eval.py``). Each match quotes the words found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

LANGUAGES = ("en", "nb", "sv", "da", "fi", "de", "fr", "es")


class Kind(StrEnum):
    TECHNOLOGY = "technology"
    PROGRAMME = "programme"
    MEANS = "means"


@dataclass(frozen=True)
class Prescription:
    """One reason a statement is prescriptive: what kind, the words matched, and their language."""

    kind: Kind
    words: str
    language: str


@dataclass(frozen=True)
class Lexicon:
    """One language's word lists, as regular expressions (case-insensitive unless said otherwise)."""

    technologies: tuple[str, ...]
    """Named technologies; a pattern may match inside a compound word (``Großwärmepumpen``)."""
    means: tuple[str, ...]
    """Constructions that state the means: 'by deploying', 'through the roll-out of' …"""
    programme_words: tuple[str, ...]
    """The word for a programme ('programme', 'programmet', 'ohjelma'); the quote takes the capitalised
    name around it ('the Warm Homes Programme', 'programmet Varme hjem')."""
    programme_names: tuple[str, ...]
    """Named programmes and funding bodies, matched as written (Horizon Europe, Enova, KfW, PERTE)."""
    negations: tuple[str, ...]
    """Words that, just before a technology, say it is to be avoided ('without', 'free of')."""
    case_sensitive: tuple[str, ...] = ()
    """Technology acronyms matched only as written (AI, CCS, LNG), to spare ordinary words."""


_VEHICLES_EN = r"(?:vehicles?|cars?|bus(?:es)?|trucks?|lorr(?:y|ies)|ferr(?:y|ies)|boats?|ships?|fleets?)"

LEXICONS: dict[str, Lexicon] = {
    "en": Lexicon(
        technologies=(
            r"\bhydrogen\b",
            r"\bfuel[- ]cells?\b",
            r"\bheat[- ]pumps?\b",
            r"\b(?:offshore |onshore )?wind (?:farms?|turbines?|power|parks?)\b",
            r"\boffshore wind\b",
            r"\bnuclear (?:power|reactors?|energy|plants?)\b",
            r"\bsmall modular reactors?\b",
            r"\bsolar (?:panels?|cells?|pv|farms?|power)\b",
            r"\bphotovoltaics?\b",
            r"\bbatter(?:y|ies)\b",
            rf"\belectric {_VEHICLES_EN}",
            rf"\b{_VEHICLES_EN}(?: \w+){{0,3}} (?:battery[- ])?electric\b",
            r"\bcarbon capture\b",
            r"\bbio-?fuels?\b",
            r"\bbio-?gas\b",
            r"\bbiomethane\b",
            r"\be-?fuels?\b",
            r"\bgeothermal\b",
            r"\bsmart meters?\b",
            r"\bdrones?\b",
            r"\b(?:industrial )?robots?\b",
            r"\bdigital twins?\b",
            r"\bartificial intelligence\b",
            r"\bmachine learning\b",
            r"\bblockchain\b",
            r"\b(?:mobile |smartphone |telehealth |health )apps?\b",
            r"\bautonomous (?:vehicles?|ships?|cars?|bus(?:es)?|trucks?)\b",
            r"\bgene editing\b",
            r"\binsect protein\b",
            r"\bmass timber\b",
            r"\bcross-laminated timber\b",
            r"\bdesalination\b",
            r"\bammonia\b",
            r"\bmethanol\b",
        ),
        means=(
            r"\b(?:by|through) (?:deploying|installing|rolling out|building|constructing|converting|switching|"
            r"adopting|introducing|expanding|using|equipping|replacing \w+ with)\b",
            r"\bthrough (?:the )?(?:deployment|installation|roll-?out|construction|conversion|adoption|"
            r"introduction|expansion|use) of\b",
            r"\bby means of\b",
            r"\bwith the help of\b",
        ),
        programme_words=(r"programmes?\b", r"program\b"),
        programme_names=(
            r"\bHorizon Europe\b",
            r"\bDigital Europe\b",
            r"\bInterreg\b",
            r"\bNextGenerationEU\b",
            r"\bInnovation Fund Denmark\b",
            r"\bBusiness Finland\b",
        ),
        negations=(r"\bwithout\b", r"\bno\b", r"\bfree of\b", r"\bphase out\b", r"\bban\b"),
        case_sensitive=(r"\bAI\b", r"\bCCS\b", r"\bCCUS\b", r"\bLNG\b", r"\bEVs?\b", r"\bSMRs?\b", r"\b5G\b"),
    ),
    "nb": Lexicon(
        technologies=(
            r"\bhydrogen\w*",
            r"brenselscelle\w*",
            r"varmepumpe\w*",
            r"havvind\w*",
            r"vindkraft\w*",
            r"vindturbin\w*",
            r"vindmølle\w*",
            r"kjernekraft\w*",
            r"atomkraft\w*",
            r"solcelle\w*",
            r"solkraft\w*",
            r"solpanel\w*",
            r"\bbatteri\w*",
            r"\bel(?:bil|buss|ferje|lastebil|fly)\w*",
            r"\w*(?:bil|buss|busser|ferje|ferjer|lastebil|lastebiler|båt|båter)\w* (?:\w+ ){0,2}elektrisk\w*",
            r"\belektriske? (?:biler|bil|busser|buss|ferjer|ferje|lastebiler|båter)\b",
            r"karbonfangst\w*",
            r"\bCO2-fangst\w*",
            r"biodrivstoff\w*",
            r"biogass\w*",
            r"geoterm\w*",
            r"strømmålere?\b",
            r"\bdron(?:e|er|ene)\b",
            r"\w*robot\w*",
            r"digitale? tvilling\w*",
            r"kunstig intelligens",
            r"\bblokkjede\w*",
            r"helseapp\w*",
            r"massivtre\w*",
            r"avsalting\w*",
            r"\bammoniakk\b",
        ),
        means=(
            r"\bgjennom (?:utbygging|overgang|innføring|bruk|installasjon|utrulling|bygging|satsing) (?:av|til|på)\b",
            r"\bved (?:å )?(?:bygge ut|bygge|installere|rulle ut|ta i bruk|innføre|bruke|satse på|utstyre|"
            r"erstatte|gå over til)\b",
            r"\bved (?:bruk|hjelp|utbygging|innføring) av\b",
        ),
        programme_words=(r"program(?:met|mer|mene)?\b",),
        programme_names=(r"\bEnova\b", r"\bInnovasjon Norge\w*", r"\bHorisont Europa\b"),
        negations=(r"\buten\b", r"\bingen\b", r"\bfri for\b", r"\bfase ut\b"),
        case_sensitive=(r"\bKI\b",),
    ),
    "sv": Lexicon(
        technologies=(
            r"vätgas\w*",
            r"bränslecell\w*",
            r"värmepump\w*",
            r"vindkraft\w*",
            r"havsbaserad vindkraft",
            r"vindturbin\w*",
            r"kärnkraft\w*",
            r"solcell\w*",
            r"solpanel\w*",
            r"\bbatteri\w*",
            r"\bel(?:bil|buss|färj|lastbil|flyg)\w*",
            r"\beldrivn\w*",
            r"\belektriska? (?:bilar|bil|bussar|buss|färjor|färja|lastbilar|båtar)\b",
            r"\w*(?:bilar|bussar|färjor|lastbilar|båtar) (?:\w+ ){0,2}(?:elektriska|eldrivna)\b",
            r"koldioxidavskiljning\w*",
            r"\bCCS\b",
            r"biobränsle\w*",
            r"biodrivmed\w*",
            r"biogas\w*",
            r"geoterm\w*",
            r"elmätare\w*",
            r"drönare\w*",
            r"\w*robot\w*",
            r"digitala? tvilling\w*",
            r"artificiell intelligens",
            r"\bblockkedj\w*",
            r"hälsoapp\w*",
            r"korslimmat trä",
            r"avsaltning\w*",
        ),
        means=(
            r"\bgenom att (?:bygga ut|bygga|installera|rulla ut|införa|använda|satsa på|ta i bruk|utrusta|"
            r"gå över till|ersätta)\b",
            r"\bgenom (?:utbyggnad|användning|införande|installation|övergång|satsning|utrullning) (?:av|till|på)\b",
            r"\bmed hjälp av\b",
        ),
        programme_words=(r"program(?:met|men)?\b",),
        programme_names=(
            r"\bVinnova\w*",
            r"\bKlimatklivet\b",
            r"\bEnergimyndighet\w*",
            r"\bHorisont Europa\b",
        ),
        negations=(r"\butan\b", r"\bingen\b", r"\binga\b", r"\bfri från\b", r"\bfasa ut\b"),
        case_sensitive=(r"\bAI\b",),
    ),
    "da": Lexicon(
        technologies=(
            r"\bbrint\w*",
            r"brændselscelle\w*",
            r"varmepumpe\w*",
            r"havvind\w*",
            r"vindmølle\w*",
            r"vindkraft\w*",
            r"atomkraft\w*",
            r"kernekraft\w*",
            r"solcelle\w*",
            r"solpanel\w*",
            r"\bbatteri\w*",
            r"\bel(?:bil|bus|færge|lastbil|fly)\w*",
            r"\belektriske? (?:biler|bil|busser|bus|færger|færge|lastbiler|både)\b",
            r"\w*(?:biler|busser|færger|lastbiler|både) (?:\w+ ){0,2}elektriske\b",
            r"\bCO2-fangst\w*",
            r"\bCCS\b",
            r"biobrændstof\w*",
            r"biogas\w*",
            r"geoterm\w*",
            r"elmålere?\b",
            r"\bdron(?:e|er|erne)\b",
            r"\w*robot\w*",
            r"digitale? tvilling\w*",
            r"kunstig intelligens",
            r"\bblockchain\b",
            r"sundhedsapp\w*",
            r"afsaltning\w*",
        ),
        means=(
            r"\bgennem (?:udbygning|omstilling|brug|installation|udrulning|indførelse|satsning) (?:af|til|på)\b",
            r"\bved (?:at )?(?:udbygge|bygge|installere|udrulle|indføre|bruge|satse på|tage i brug|udstyre|"
            r"omstille til|erstatte)\b",
            r"\bved (?:brug|hjælp|udbygning) af\b",
        ),
        programme_words=(r"program(?:met|mer|merne)?\b",),
        programme_names=(
            r"\bInnovationsfond\w*",
            r"\bEUDP\b",
            r"\bHorizon Europe\b",
        ),
        negations=(r"\buden\b", r"\bingen\b", r"\bfri for\b", r"\budfase\b"),
        case_sensitive=(r"\bKI\b",),
    ),
    "fi": Lexicon(
        technologies=(
            r"\bve[dt]y\w*",
            r"polttokenn\w*",
            r"lämpöpum\w*",
            r"tuulivoim\w*",
            r"merituuli\w*",
            r"ydinvoim\w*",
            r"aurinkopaneel\w*",
            r"aurinkosähkö\w*",
            r"aurinkovoim\w*",
            r"\bak(?:ku|ut|uilla|kujen|kuja)\w*",
            r"sähkö(?:aut|bus|kuorma-aut|laiv|laut)\w*",
            r"talteenot\w*",
            r"biopolttoain\w*",
            r"biokaasu\w*",
            r"geoterm\w*",
            r"maalämpö\w*",
            r"älymittar\w*",
            r"\bdroon\w*",
            r"robot\w*",
            r"digitaalis\w* kakso\w*",
            r"tekoäly\w*",
            r"lohkoketju\w*",
            r"sovellu\w*",
            r"suolanpoist\w*",
        ),
        means=(
            r"\b(?:rakentamalla|asentamalla|ottamalla käyttöön|siirtymällä|laajentamalla|hyödyntämällä|"
            r"käyttämällä|varustamalla|korvaamalla|lisäämällä)\b",
            r"\b\w+n avulla\b",
        ),
        programme_words=(r"ohjelm\w*",),
        programme_names=(r"\bBusiness Finland\w*", r"\bHorisontti Eurooppa\b"),
        negations=(r"\bilman\b",),
    ),
    "de": Lexicon(
        technologies=(
            r"wasserstoff\w*",
            r"brennstoffzelle\w*",
            r"wärmepumpe\w*",
            r"windkraft\w*",
            r"windenergie\w*",
            r"windräd\w*",
            r"windpark\w*",
            r"kernkraft\w*",
            r"atomkraft\w*",
            r"photovoltaik\w*",
            r"solaranlage\w*",
            r"solarzelle\w*",
            r"solarmodul\w*",
            r"\bbatterie\w*",
            r"\belektro(?:auto|bus|fahrzeug|lkw|fähre|schiff)\w*",
            r"\w*(?:bus|busse|autos?|lkw|fähren?|fahrzeuge?)\b (?:\w+ ){0,2}elektrisch\w*",
            r"co2-abscheidung\w*",
            r"\bCCS\b",
            r"biokraftstoff\w*",
            r"biogas\w*",
            r"geotherm\w*",
            r"stromzähler\w*",
            r"\bdrohne\w*",
            r"\w*roboter\w*",
            r"digitale[nm]? zwilling\w*",
            r"künstliche[rn]? intelligenz",
            r"\bblockchain\b",
            r"gesundheits-app\w*",
            r"holzbauweise",
            r"\w*entsalzung\w*",
        ),
        means=(
            r"\bdurch (?:den |die |das )?(?:flächendeckenden |massiven |verstärkten )?(?:Ausbau|Einbau|Einsatz|Bau|"
            r"Umstellung|Installation|Nutzung|Einführung|Verwendung|Umstieg)\b",
            r"\bmittels\b",
            r"\bmit hilfe\b",
            r"\bmithilfe\b",
        ),
        programme_words=(r"programms?\b",),
        programme_names=(
            r"\b(?i:im Rahmen (?:von|des)) \w+",
            r"\bKfW\b",
            r"\bHorizont Europa\b",
        ),
        negations=(r"\bohne\b", r"\bkein\w*", r"\bfrei von\b"),
        case_sensitive=(r"\bKI\b",),
    ),
    "fr": Lexicon(
        technologies=(
            r"\bhydrogène\b",
            r"\bpiles? à combustible\b",
            r"\bpompes? à chaleur\b",
            r"\béolien\w*",
            r"\bnucléaire\w*",
            r"\bpanneaux solaires\b",
            r"\bphotovoltaïque\w*",
            r"\bbatteries?\b",
            r"\b(?:voitures?|véhicules?|bus|camions?|ferr(?:y|ies)|bateaux?)(?: \w+){0,3} électriques?\b",
            r"\bcaptage\b",
            r"\bbiocarburants?\b",
            r"\bbiogaz\b",
            r"\bgéothermie\b",
            r"\bcompteurs? intelligents?\b",
            r"\bdrones?\b",
            r"\brobots?\b",
            r"\bjumeaux? numériques?\b",
            r"\bintelligence artificielle\b",
            r"\bblockchain\b",
            r"\bapplications? (?:de santé|mobiles?)\b",
            r"\bdessalement\b",
        ),
        means=(
            r"\ben (?:déployant|installant|construisant|développant|généralisant|équipant|utilisant|adoptant|"
            r"passant à|remplaçant)\b",
            r"\b(?:par|grâce à|grâce au|grâce aux) (?:le |la |l')?(?:déploiement|installation|construction|"
            r"développement|généralisation|utilisation|recours|passage)\b",
            r"\bà l'aide d[eu']",
        ),
        programme_words=(r"programmes?\b",),
        programme_names=(
            r"\b(?i:dans le cadre d(?:u|e|'))\s?\w+",
            r"\bADEME\b",
            r"\bBpifrance\b",
            r"\bFrance 2030\b",
            r"\bHorizon Europe\b",
        ),
        negations=(r"\bsans\b", r"\baucun\w*"),
        case_sensitive=(r"\bIA\b",),
    ),
    "es": Lexicon(
        technologies=(
            r"\bhidrógeno\b",
            r"\bpilas? de combustible\b",
            r"\bbombas? de calor\b",
            r"\beólic[ao]s?\b",
            r"\bnuclear\w*",
            r"\bpaneles solares\b",
            r"\bfotovoltaic\w*",
            r"\bbaterías?\b",
            r"\b(?:coches?|vehículos?|autobuses|camiones|ferris|barcos?)(?: \w+){0,3} eléctric[oa]s?\b",
            r"\bcaptura (?:y almacenamiento )?de carbono\b",
            r"\bbiocombustibles?\b",
            r"\bbiogás\b",
            r"\bgeotérmic[ao]\b",
            r"\bcontadores inteligentes\b",
            r"\bdrones?\b",
            r"\brobots?\b",
            r"\bgemelos? digital(?:es)?\b",
            r"\binteligencia artificial\b",
            r"\bblockchain\b",
            r"\baplicaci(?:ón|ones) (?:nacional(?:es)? )?de salud\b",
            r"\bdesaliniza\w*",
        ),
        means=(
            r"\b(?:mediante|a través de|gracias a|con) (?:el |la |los |las )?(?:despliegue|instalación|"
            r"construcción|expansión|desarrollo|implantación|uso|paso|recurso)\b",
            r"\b(?:desplegando|instalando|construyendo|ampliando|implantando|utilizando|usando|equipando|"
            r"sustituyendo)\b",
            r"\bcon ayuda de\b",
            r"\bpor medio de\b",
        ),
        programme_words=(r"programas?\b",),
        programme_names=(
            r"\b(?i:en el marco de)\s\w+",
            r"\bCDTI\b",
            r"\bPERTE\b",
            r"\bHorizonte Europa\b",
        ),
        negations=(r"\bsin\b", r"\bningún\b", r"\bninguna\b", r"\blibre de\b"),
        case_sensitive=(r"\bIA\b",),
    ),
}


@dataclass(frozen=True)
class _Compiled:
    technologies: re.Pattern[str]
    acronyms: re.Pattern[str] | None
    means: re.Pattern[str]
    programmes: re.Pattern[str]


_CAPITALISED = r"[A-ZÆØÅÄÖÜÉ0-9„“\"«'][^\s,.;:]*"
"""A word that may belong to a programme's name: capitalised, a number or a quotation."""


def _compile(lexicon: Lexicon) -> _Compiled:
    def union(patterns: tuple[str, ...], flags: int = re.IGNORECASE) -> re.Pattern[str]:
        return re.compile("|".join(f"(?:{p})" for p in patterns), flags)

    return _Compiled(
        # a pattern that may match inside a compound quotes the whole word: "Großwärmepumpen"
        technologies=union(tuple(p if p.startswith(r"\b") else rf"\w*{p}" for p in lexicon.technologies)),
        acronyms=union(lexicon.case_sensitive, 0) if lexicon.case_sensitive else None,
        means=union(lexicon.means),
        programmes=union(
            tuple(
                # the capitalised words before and after the programme word belong to its name
                rf"(?:\b[A-ZÆØÅÄÖÜÉ][\w'’-]*[ -]){{0,4}}\b\w*(?i:{word})(?: {_CAPITALISED}){{0,3}}"
                for word in lexicon.programme_words
            )
            + lexicon.programme_names,
            0,
        ),
    )


@cache
def _compiled(code: str) -> _Compiled:
    """The language's patterns, compiled the first time they are used (not when the module is imported)."""
    return _compile(LEXICONS[code])


_NEGATION = re.compile(
    rf"(?:{'|'.join(n for lexicon in LEXICONS.values() for n in lexicon.negations)})(?:\W+\w+){{0,2}}\W*$",
    re.IGNORECASE,
)
"""A negation, in any language, among the three words before a technology: "without diesel", "free of coal"
(any language's, as another language's list may match the technology: Norwegian 'batteri' in English)."""


def prescriptions(statement: str, languages: tuple[str, ...] = LANGUAGES) -> tuple[Prescription, ...]:
    """Every reason, in every given language, why ``statement`` prescribes a solution (empty: open)."""
    spans: list[tuple[int, int, Kind, str]] = []
    for code in languages:
        compiled = _compiled(code)
        for kind, matches in (
            (Kind.TECHNOLOGY, _technologies(statement, compiled)),
            (Kind.PROGRAMME, list(compiled.programmes.finditer(statement))),
            (Kind.MEANS, list(compiled.means.finditer(statement))),
        ):
            spans += [(m.start(), m.end(), kind, code) for m in matches]
    # the longest match of each kind wins where several languages' lists match the same words
    kept: list[tuple[int, int, Kind, str]] = []
    for start, end, kind, code in sorted(spans, key=lambda s: (s[0] - s[1], s[0])):
        if not any(k == kind and start < e and s < end for s, e, k, _ in kept):
            kept.append((start, end, kind, code))
    return tuple(
        Prescription(kind, statement[start:end].strip(" -"), code) for start, end, kind, code in sorted(kept)
    )


def technologies(text: str, languages: tuple[str, ...] = LANGUAGES) -> tuple[str, ...]:
    """The technologies ``text`` names (not those it names to be avoided), as written, sorted."""
    return tuple(
        sorted({m.group(0).strip() for code in languages for m in _technologies(text, _compiled(code))})
    )


def is_prescriptive(statement: str, languages: tuple[str, ...] = LANGUAGES) -> bool:
    return bool(prescriptions(statement, languages))


def _technologies(text: str, compiled: _Compiled) -> list[re.Match[str]]:
    matches = list(compiled.technologies.finditer(text))
    if compiled.acronyms is not None:
        matches += compiled.acronyms.finditer(text)
    return [m for m in matches if not _NEGATION.search(text[: m.start()])]
