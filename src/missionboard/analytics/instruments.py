"""Infer a project's policy instrument from its funding scheme or programme name, showing the rule.

Sources rarely state the instrument in OECD STIP terms; the funding scheme usually betrays it
("HORIZON-RIA" is an R&D grant, "H2020-PCP" a pre-commercial procurement, "MSCA-IF" a skills
measure). Rules are tried in order, most specific first; the first match wins and is reported with
the text it matched so that a mission owner can check — and correct the source — where it is wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from missionboard.domain.portfolio import INSTRUMENT_FAMILY, InstrumentType

RULES: tuple[tuple[InstrumentType, re.Pattern[str]], ...] = tuple(
    (instrument, re.compile(pattern, re.IGNORECASE))
    for instrument, pattern in (
        (InstrumentType.PRE_COMMERCIAL_PROCUREMENT, r"\bpcp\b|pre[- ]?commercial procurement"),
        (InstrumentType.PUBLIC_PROCUREMENT, r"\bppi\b|procurement|\btender|upphandling"),
        (InstrumentType.REGULATORY_SANDBOX, r"sandbox|test ?bed for regulation"),
        (InstrumentType.REGULATION, r"\bregulat"),
        (InstrumentType.CHALLENGE_PRIZE, r"\bprizes?\b|inducement|challenge award"),
        (InstrumentType.ADOPTION_SUBSIDY, r"adoption|rebate|purchase (subsid|premium)|feed-in"),
        (InstrumentType.STANDARDS_LABELS, r"\bstandard|\blabel|certification"),
        (InstrumentType.TAX_INCENTIVE, r"\btax\b|tax (credit|relief|incentive)"),
        (InstrumentType.LOAN, r"\bloans?\b|credit line|guarantee|\bdebt\b"),
        (InstrumentType.EQUITY, r"\bequity|venture capital|\bfund of funds"),
        (InstrumentType.SKILLS, r"\bmsca\b|marie|fellowship|doctoral|training|skills|scholarship|\bitn\b"),
        (InstrumentType.INFRASTRUCTURE, r"infrastructure|\binfra\b|research facilit"),
        (InstrumentType.NETWORK, r"\bcsa\b|coordination and support|network|cluster|\bcost action\b"),
        (InstrumentType.PLATFORM, r"platform|\bhub\b"),
        (InstrumentType.ADVISORY, r"advis|coaching|mentoring|consultanc|voucher"),
        (InstrumentType.INFORMATION, r"information|awareness|dissemination"),
        (
            InstrumentType.RD_GRANT,
            r"\bria\b|\bia\b|research and innovation action|innovation action|\berc\b|\bgrants?\b"
            r"|research project|\bstg\b|\bcog\b|\badg\b|\bsyg\b|\beic\b|\bsme\b|collaborative project"
            r"|\bcp\b|horizon|h2020|fp7|\bresearch\b",
        ),
    )
)


# In free text only unmistakable phrases count: words such as "network" or "training" appear in
# abstracts of every kind of project.
TEXT_RULES: tuple[tuple[InstrumentType, re.Pattern[str]], ...] = tuple(
    (instrument, re.compile(pattern, re.IGNORECASE))
    for instrument, pattern in (
        (InstrumentType.PRE_COMMERCIAL_PROCUREMENT, r"pre[- ]?commercial procurement"),
        (InstrumentType.PUBLIC_PROCUREMENT, r"(public|innovation) procurement|procured by|tender(ed)? by"),
        (InstrumentType.REGULATORY_SANDBOX, r"regulatory sandbox"),
        (InstrumentType.CHALLENGE_PRIZE, r"challenge prize|prize competition|inducement prize"),
        (InstrumentType.ADOPTION_SUBSIDY, r"purchase (subsidy|premium)|adoption subsid|rebate scheme"),
        (InstrumentType.TAX_INCENTIVE, r"tax (credit|relief|incentive)"),
        (InstrumentType.LOAN, r"\b(soft |green |concessional )?loans?\b|loan guarantee"),
        (InstrumentType.EQUITY, r"equity (investment|stake|financing)|venture capital"),
        (InstrumentType.SKILLS, r"fellowships?\b|doctoral (network|training)|training programme"),
        (InstrumentType.INFRASTRUCTURE, r"research infrastructure|test facility|testbed"),
        (InstrumentType.ADVISORY, r"innovation voucher|advisory service"),
        (InstrumentType.RD_GRANT, r"research grant|r&d grant|grant agreement"),
    )
)


@dataclass(frozen=True)
class Inference:
    """What a rule concluded and why."""

    instrument: InstrumentType
    field: str
    text: str
    matched: str

    @property
    def family(self) -> str:
        return INSTRUMENT_FAMILY[self.instrument].value

    def explain(self) -> str:
        return f"'{self.matched}' in {self.field} '{self.text}'"


def infer_instrument(funding_scheme: str | None, programme: str | None) -> Inference | None:
    """The instrument the funding scheme (first) or the programme name points to, or ``None``."""
    for field, text in (("funding scheme", funding_scheme), ("programme", programme)):
        if not text:
            continue
        for instrument, pattern in RULES:
            match = pattern.search(text)
            if match:
                return Inference(instrument=instrument, field=field, text=text, matched=match.group(0))
    return None


def infer_instrument_from_text(text: str) -> Inference | None:
    """The instrument an unmistakable phrase in a project's title or abstract points to, or ``None``."""
    for instrument, pattern in TEXT_RULES:
        match = pattern.search(text)
        if match:
            return Inference(instrument=instrument, field="text", text=text[:80], matched=match.group(0))
    return None


# One alternation of all text rules, for a vectorised pre-filter (RE2 through Arrow). On ASCII text RE2
# and Python's ``re`` agree on these patterns (``\b`` only ever touches ASCII letters in them); texts
# with other characters always go to the exact rules, so the pre-filter never drops a match.
TEXT_RULES_ANY = "|".join(f"(?:{pattern.pattern})" for _, pattern in TEXT_RULES)


def text_rule_candidates(texts: list[str]) -> list[bool]:
    """For each text, whether ``infer_instrument_from_text`` may find something (never a false ``False``)."""
    if not texts:
        return []
    import pyarrow.compute as pc

    from missionboard.store.arrow_arrays import strings

    array = strings(texts)  # from buffers: pyarrow.array imports pandas
    maybe = pc.or_(
        pc.match_substring_regex(array, TEXT_RULES_ANY, ignore_case=True),
        pc.invert(pc.string_is_ascii(array)),
    )
    return [bool(x) for x in maybe.to_pylist()]


def normalise_instrument(value: str | None) -> InstrumentType | None:
    """An explicit instrument field as an ``InstrumentType`` (accepting '-' or spaces for '_')."""
    if not value:
        return None
    key = value.strip().lower().replace("-", "_").replace(" ", "_")
    try:
        return InstrumentType(key)
    except ValueError:
        return None
