"""Read Aurora Network SDG queries (Scopus syntax, one XML file per goal) into a taxonomy.

The files are the user's (e.g. the CC BY 4.0 ``query_SDG1.xml`` … ``query_SDG17.xml`` of Aurora's
sdg-queries, v5); nothing is shipped or downloaded. Each ``query-line`` becomes a query of its goal,
written as ``FIELD( … )``, which missionboard's query language reads as it is (``W/n``, ``PRE/n``,
``{phrases}``, wildcards). Subquery descriptions (the target wording) become the goal's examples.
"""

from __future__ import annotations

import re
from pathlib import Path

from lxml import etree

from missionboard.domain.mapping import Goal, Taxonomy
from missionboard.errors import InputError, Problem, QuerySyntaxError
from missionboard.mapping.query import parse

NS = {
    "aqd": "http://aurora-network.global/queries/namespace/",
    "dc": "http://dublincore.org/documents/dcmi-namespace/",
}
_FILE = re.compile(r"query_SDG(\d{1,2})\.xml$", re.IGNORECASE)


def read_goal(path: Path) -> Goal:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)
    try:
        root = etree.parse(str(path), parser).getroot()
    except etree.XMLSyntaxError as exc:
        raise InputError(Problem(str(path), exc.lineno, "", f"not well-formed XML: {exc.msg}")) from exc
    code = (root.findtext("dc:identifier[@type='sdg']", namespaces=NS) or "").strip()
    if not code:
        match = _FILE.search(path.name)
        if match is None:
            raise InputError(Problem(str(path), None, "dc:identifier", "no SDG number"))
        code = str(int(match.group(1)))
    title = " ".join((root.findtext("dc:title", namespaces=NS) or f"SDG {code}").split())
    queries: list[str] = []
    problems: list[Problem] = []
    for line in root.iterfind(".//aqd:query-line", namespaces=NS):
        text = " ".join((line.text or "").split())
        if not text:
            continue
        field = line.get("field") or "TITLE-ABS-KEY"
        query = f"{field}({text})"
        try:
            parse(query)
        except QuerySyntaxError as exc:
            problems.append(Problem(str(path), line.sourceline, "query-line", exc.problems[0].message))
            continue
        queries.append(query)
    if problems:
        raise InputError(problems)
    examples = [
        " ".join((d.text or "").split())
        for d in root.iterfind(".//aqd:subquery-description", namespaces=NS)
        if d.text and not re.fullmatch(r"\s*[\d.a-z]+\s*", d.text)
    ]
    return Goal(code=code, title=title, queries=queries, examples=examples[:20])


def read_folder(folder: Path, *, code: str = "aurora-sdg") -> Taxonomy:
    """All ``query_SDG*.xml`` files of a folder as one taxonomy (goals sorted by number)."""
    if not folder.is_dir():
        raise InputError(Problem(str(folder), None, "", "not a folder"))
    numbered = [(int(m.group(1)), p) for p in folder.iterdir() if (m := _FILE.search(p.name))]
    files = [p for _, p in sorted(numbered)]
    if not files:
        raise InputError(Problem(str(folder), None, "", "no query_SDG<n>.xml files in this folder"))
    goals = [read_goal(p) for p in files]
    return Taxonomy(
        code=code,
        title="Aurora SDG queries",
        description=f"Imported from {folder.name}: Aurora Network Global SDG queries (Scopus syntax).",
        goals=goals,
    )
