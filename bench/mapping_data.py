"""Labelled SDG evaluation sets built from data we may use, with a fixed train/test split.

* ``dpg``          — DPG Alliance nominees (Unlicense): name + description, self-declared SDGs (multi-label).
* ``dpg-evidence`` — the same nominees' per-SDG evidence sentences (one goal each), with explicit
                     "SDG n" / goal-name mentions removed so the answer is not written in the text.
* ``caf``          — CAF IATI activities (Spanish): title + descriptions, publisher SDG tags (multi-label).
* ``own``          — tests/mapping/labelled_snippets.jsonl: short project texts we labelled ourselves,
                     in English, Norwegian, Danish, Swedish, Spanish, French and Vietnamese.

The split is by a hash of the record's id (DPG evidence follows its project), so it never changes and
train and test never share a project. Thresholds and stacking weights are fitted on ``train`` only.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
OWN = ROOT / "tests" / "mapping" / "labelled_snippets.jsonl"

SDG_NAMES = {
    1: "no poverty",
    2: "zero hunger",
    3: "good health and well-being",
    4: "quality education",
    5: "gender equality",
    6: "clean water and sanitation",
    7: "affordable and clean energy",
    8: "decent work and economic growth",
    9: "industry, innovation and infrastructure",
    10: "reduced inequalities",
    11: "sustainable cities and communities",
    12: "responsible consumption and production",
    13: "climate action",
    14: "life below water",
    15: "life on land",
    16: "peace, justice and strong institutions",
    17: "partnerships for the goals",
}
_SDG_MENTION = re.compile(
    r"(?:SDGs?|sustainable development goals?|goal|objetivo|ODS)\s*#?\s*\d{1,2}\b\s*[:\-–]?", re.IGNORECASE
)


@dataclass(frozen=True)
class Example:
    id: str
    text: str
    goals: frozenset[str]
    dataset: str

    @property
    def split(self) -> str:
        key = self.id.split("#", 1)[0]
        return "test" if int(hashlib.sha1(key.encode()).hexdigest(), 16) % 2 else "train"


def _scrub(text: str) -> str:
    text = _SDG_MENTION.sub(" ", text)
    for name in SDG_NAMES.values():
        text = re.sub(re.escape(name), " ", text, flags=re.IGNORECASE)
    return " ".join(text.replace("“", " ").replace("”", " ").split())


def load_dpg(shared: Path = SHARED) -> list[Example]:
    records = json.loads((shared / "sdg" / "labeled" / "dpg-nominees-sdg.json").read_text("utf-8"))
    out = []
    for record in records:
        goals = frozenset(str(s["SDGNumber"]) for s in record.get("SDGs", []) if isinstance(s, dict))
        text = f"{record['name']}. {record.get('description', '')}".strip()
        if goals and text:
            out.append(Example(f"dpg:{record['name']}", text, goals, "dpg"))
    return out


def load_dpg_evidence(shared: Path = SHARED) -> list[Example]:
    records = json.loads((shared / "sdg" / "labeled" / "dpg-nominees-sdg.json").read_text("utf-8"))
    out = []
    for record in records:
        for k, sdg in enumerate(record.get("SDGs", [])):
            if not isinstance(sdg, dict) or not sdg.get("evidenceText"):
                continue
            text = _scrub(str(sdg["evidenceText"]))
            if len(text.split()) >= 8:
                out.append(
                    Example(
                        f"dpg:{record['name']}#{k}", text, frozenset({str(sdg["SDGNumber"])}), "dpg-evidence"
                    )
                )
    return out


def load_caf(shared: Path = SHARED) -> list[Example]:
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    tree = etree.parse(str(shared / "iati" / "caf-activities-2025-10-10.xml"), parser)
    out = []
    for activity in tree.iter("iati-activity"):
        ident = (activity.findtext("iati-identifier") or "").strip()
        goals = frozenset(t.get("code", "") for t in activity.findall("tag") if t.get("vocabulary") == "2")
        title = " ".join(n.text or "" for n in activity.findall("title/narrative"))
        descriptions = " ".join(n.text or "" for n in activity.findall("description/narrative"))
        text = " ".join(f"{title}. {descriptions}".split())
        if goals and ident and len(text) > 20:
            out.append(Example(f"caf:{ident}", text, goals, "caf"))
    return out


def load_own(path: Path = OWN) -> list[Example]:
    out = []
    for line in path.read_text("utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            out.append(Example(f"own:{row['id']}", row["text"], frozenset(row["goals"]), "own"))
    return out


def load_all(shared: Path = SHARED) -> dict[str, list[Example]]:
    return {
        "dpg": load_dpg(shared),
        "dpg-evidence": load_dpg_evidence(shared),
        "caf": load_caf(shared),
        "own": load_own(),
    }
