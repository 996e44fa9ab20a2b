"""IATI ingest beside its floor: the same activity file imported by missionboard and by the simplest
correct loader, each in a child process of this script, one after the other, and the ratios between them.

    .venv/bin/python bench/iati_floor.py --mb 20 50 --workdir /tmp/iatifloor
    .venv/bin/python bench/iati_floor.py --mb 500

Per size it writes the IATI 2.03 file of bench/ingest_bench.py (``write_iati``: titles in two
languages, two descriptions, two participating organisations, two budgets, two transactions, an SDG
tag and a policy marker per activity) and runs:

- floor: ``lxml.etree.iterparse`` (no entities, no network, no DTD) over ``<iati-activity>``, reading
  each activity's children directly and clearing them as it goes, extracting what missionboard's
  reader keeps (identifier, language, default currency, last-updated, hierarchy, reporting and
  participating organisations, titles and descriptions with their languages, status, dates, countries,
  regions, sectors, tags, policy markers, coded defaults, budgets and transactions with currency and
  dates, budget total and commitments/disbursements per currency), then ``sqlite3.executemany`` into
  two plain tables (activities, participations; lists as JSON) in one transaction, WAL and
  ``synchronous=NORMAL`` (the settings of a workspace);
- fresh: ``ingest_files(workspace, "iati", [path])`` into a new workspace, the analytics snapshot
  saved at its end included (its seconds given apart as ``snapshot_seconds``);
- re-import: the same file again into that workspace (every activity unchanged).

Each line gives wall seconds of the work (interpreter start and imports left out), CPU seconds (the
process and the children it waited for) and peak RSS; the summary gives fresh / floor and
re-import / fresh, of wall seconds and of CPU seconds (on a machine that other work keeps busy wall
seconds wait for the CPU), with the 1-minute load average before and after.
Target (issue 19 item 2): fresh ≤ 3× floor.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest_bench import write_iati  # the generator of the ingest benchmark
from ingest_floor import MEASURE, MISSIONBOARD, child  # the timed child processes of the CSV floor

FLOOR = (
    MEASURE
    + r"""
import sqlite3
from decimal import Decimal
from lxml import etree

LANG = "{http://www.w3.org/XML/1998/namespace}lang"
CODES = ("default-finance-type", "default-aid-type", "default-flow-type", "collaboration-type",
         "default-tied-status", "activity-scope")
path, db = sys.argv[1], sys.argv[2]

def texts(element, default):
    found = [((n.text or "").strip(), n.get(LANG) or default) for n in element.iterchildren("narrative")]
    return [t for t in found if t[0]] or ([(element.text.strip(), default)] if (element.text or "").strip() else [])

def org(element, default):
    names = texts(element, default)
    return (element.get("ref"), element.get("type"), names[0][0] if names else element.get("ref"))

def money(element, default_currency):
    value = element.find("value")
    if value is None:
        return None
    return (Decimal((value.text or "").strip()), value.get("currency") or default_currency, value.get("value-date"))

def activity(element):
    lang = element.get(LANG)
    currency = element.get("default-currency")
    row = {"identifier": "", "reporting": None, "titles": [], "descriptions": [], "status": None, "dates": {},
           "countries": [], "regions": [], "sectors": [], "tags": [], "markers": [], "codes": {},
           "budgets": [], "transactions": []}
    orgs = []
    for child in element:
        tag = child.tag
        if tag == "iati-identifier":
            row["identifier"] = (child.text or "").strip()
        elif tag == "reporting-org":
            row["reporting"] = org(child, lang)
        elif tag == "title":
            row["titles"] += texts(child, lang)
        elif tag == "description":
            row["descriptions"].append((child.get("type"), texts(child, lang)))
        elif tag == "participating-org":
            orgs.append((child.get("role"), *org(child, lang)))
        elif tag == "activity-status":
            row["status"] = child.get("code")
        elif tag == "activity-date":
            row["dates"][child.get("type")] = child.get("iso-date")
        elif tag == "recipient-country":
            row["countries"].append(child.get("code"))
        elif tag == "recipient-region":
            row["regions"].append((child.get("vocabulary"), child.get("code")))
        elif tag == "sector":
            row["sectors"].append((child.get("vocabulary"), child.get("code"), child.get("percentage")))
        elif tag == "tag":
            row["tags"].append((child.get("vocabulary"), child.get("code")))
        elif tag == "policy-marker":
            row["markers"].append((child.get("vocabulary"), child.get("code"), child.get("significance")))
        elif tag in CODES:
            row["codes"][tag] = child.get("code")
        elif tag == "budget":
            amount = money(child, currency)
            if amount is not None:
                start, end = child.find("period-start"), child.find("period-end")
                row["budgets"].append((child.get("type"), child.get("status"),
                                       start.get("iso-date") if start is not None else None,
                                       end.get("iso-date") if end is not None else None, *amount))
        elif tag == "transaction":
            amount, kind = money(child, currency), child.find("transaction-type")
            if amount is not None and kind is not None:
                date = child.find("transaction-date")
                provider, receiver = child.find("provider-org"), child.find("receiver-org")
                finance = child.find("finance-type")
                row["transactions"].append((kind.get("code"), date.get("iso-date") if date is not None else None,
                                            *amount, org(provider, lang) if provider is not None else None,
                                            org(receiver, lang) if receiver is not None else None,
                                            finance.get("code") if finance is not None else None))
    budget, commitments, disbursements = Decimal(0), {}, {}
    for b in row["budgets"]:
        budget += b[4]
    for t in row["transactions"]:
        totals = commitments if t[0] == "2" else disbursements if t[0] == "3" else None
        if totals is not None:
            totals[t[3]] = totals.get(t[3], Decimal(0)) + t[2]
    dates = row["dates"]
    values = (row["identifier"], lang, currency, element.get("last-updated-datetime"), element.get("hierarchy"),
              row["titles"][0][0] if row["titles"] else None,
              "\n\n".join(t[0][0] for _, t in sorted(row["descriptions"], key=lambda d: d[0] or "") if t),
              row["status"], dates.get("2") or dates.get("1"), dates.get("4") or dates.get("3"), str(budget),
              json.dumps({c: str(v) for c, v in commitments.items()}),
              json.dumps({c: str(v) for c, v in disbursements.items()}),
              json.dumps(row["reporting"]), json.dumps(row["titles"]), json.dumps(row["descriptions"]),
              json.dumps(row["countries"]), json.dumps(row["regions"]), json.dumps(row["sectors"]),
              json.dumps(row["tags"]), json.dumps(row["markers"]), json.dumps(row["codes"]),
              json.dumps(row["budgets"], default=str), json.dumps(row["transactions"], default=str))
    return values, [(row["identifier"], *o) for o in orgs]

start, cpu = begin()
con = sqlite3.connect(db, isolation_level=None)
con.execute("PRAGMA journal_mode=WAL")
con.execute("PRAGMA synchronous=NORMAL")
columns = ("identifier", "lang", "default_currency", "last_updated", "hierarchy", "title", "abstract", "status",
           "start", "end", "budget", "commitments", "disbursements", "reporting_org", "titles", "descriptions",
           "countries", "regions", "sectors", "tags", "policy_markers", "codes", "budgets", "transactions")
con.execute(f"CREATE TABLE activities ({', '.join(f'{c!r} TEXT' for c in columns)})")
con.execute("CREATE TABLE participations (activity TEXT, role TEXT, ref TEXT, type TEXT, name TEXT)")
activities, participations = [], []
con.execute("BEGIN")
with open(path, "rb") as handle:
    parser = etree.iterparse(handle, events=("end",), tag="iati-activity", resolve_entities=False,
                             no_network=True, load_dtd=False, huge_tree=False)
    for _, element in parser:
        values, orgs = activity(element)
        activities.append(values)
        participations.extend(orgs)
        element.clear(keep_tail=False)
        while element.getprevious() is not None:
            del element.getparent()[0]
        if len(activities) >= 5000:
            con.executemany(f"INSERT INTO activities VALUES ({', '.join('?' * len(columns))})", activities)
            con.executemany("INSERT INTO participations VALUES (?, ?, ?, ?, ?)", participations)
            activities, participations = [], []
con.executemany(f"INSERT INTO activities VALUES ({', '.join('?' * len(columns))})", activities)
con.executemany("INSERT INTO participations VALUES (?, ?, ?, ?, ?)", participations)
con.execute("COMMIT")
count = con.execute("SELECT count(*) FROM activities").fetchone()[0]
con.close()
finish({"run": "floor", "activities": count}, start, cpu)
"""
)


def compare(megabytes: int, folder: Path) -> list[dict[str, object]]:
    path = folder / f"activities-{megabytes}mb.xml"
    activities = write_iati(path, megabytes)
    load_before = round(os.getloadavg()[0], 2)
    results = [child(FLOOR, str(path), str(folder / f"floor-{megabytes}.sqlite"))]
    workspace = str(folder / f"missionboard-{megabytes}.db")
    results.append(child(MISSIONBOARD, "fresh", str(path), workspace, "iati", "activities"))
    results.append(child(MISSIONBOARD, "re-import", str(path), workspace, "iati", "activities"))
    load_after = round(os.getloadavg()[0], 2)
    for result in results:
        result.update(file_mb=round(path.stat().st_size / 1024 / 1024), written=activities)
        print(json.dumps(result), flush=True)
    by_run = {str(r["run"]): r for r in results}
    fresh, floor, again = by_run["fresh"], by_run["floor"], by_run["re-import"]

    def ratio(a: dict[str, object], b: dict[str, object], key: str = "seconds") -> float:
        return round(float(a[key]) / float(b[key]), 2)  # type: ignore[arg-type]

    fresh_cpu_without_snapshot = float(fresh["cpu_seconds"]) - float(fresh["snapshot_seconds"])  # type: ignore[arg-type]
    summary: dict[str, object] = {
        "iati_mb": megabytes,
        "activities": activities,
        "floor_s": floor["seconds"],
        "fresh_s": fresh["seconds"],
        "fresh_snapshot_s": fresh["snapshot_seconds"],
        "fresh_over_floor": ratio(fresh, floor),
        "reimport_s": again["seconds"],
        "reimport_over_fresh": ratio(again, fresh),
        "fresh_over_floor_cpu": ratio(fresh, floor, "cpu_seconds"),
        # the snapshot's wall seconds taken from the CPU seconds: close where it runs on one core
        "fresh_without_snapshot_over_floor_cpu": round(
            fresh_cpu_without_snapshot / float(floor["cpu_seconds"]),  # type: ignore[arg-type]
            2,
        ),
        "reimport_over_fresh_cpu": ratio(again, fresh, "cpu_seconds"),
        "load_average_1min": [load_before, load_after],
        "cores": os.cpu_count(),
    }
    print(json.dumps({"summary": summary}), flush=True)
    path.unlink()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mb", type=int, nargs="+", default=[20, 100], help="IATI file sizes in MB")
    parser.add_argument("--workdir", type=Path, default=None, help="where files and databases go (temp dir)")
    args = parser.parse_args()
    if args.workdir is not None:
        args.workdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=args.workdir) as temp:
        for megabytes in args.mb:
            compare(megabytes, Path(temp))


if __name__ == "__main__":
    main()
