"""Small valid portfolio files of every format, the workspace digest, and the import rule."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, select

from missionboard.domain.records import ImportRun
from missionboard.errors import InputError
from missionboard.services.ingest import ingest_files
from missionboard.store import tables as t
from missionboard.store.workspace import Workspace

CSV = (
    "id,title,abstract,funder,budget,currency,start,end,status,trl,country,sectors\n"
    "H2-1,Hydrogen valleys,Green hydrogen for steel,Energy Agency,1000000,SEK,2023-01-01,2025-12-31,active,5,SE,"
    "energy;industry\n"
    'GRID-2,"Smart grids, cities",Demand response,Energy Agency,"500000.50",SEK,2022-03-01,2024-02-28,completed,7,'
    "SE;FI,energy\n"
    "PRIZE-3,Zero-waste challenge,,Innovation Agency,250000,EUR,2024-05-01,,planned,,DK,\n"
)
ROWS = list(csv.reader(io.StringIO(CSV)))

IATI = """<?xml version="1.0" encoding="UTF-8"?>
<iati-activities version="2.03" generated-datetime="2024-01-01T00:00:00">
 <iati-activity default-currency="EUR" last-updated-datetime="2024-01-01T00:00:00">
  <iati-identifier>XM-1</iati-identifier>
  <reporting-org ref="XM-DAC-1" type="10"><narrative>Agency</narrative></reporting-org>
  <title><narrative xml:lang="en">Hydrogen valleys</narrative></title>
  <description type="1"><narrative>Green hydrogen</narrative></description>
  <participating-org ref="XM-2" role="1" type="10"><narrative>Funder</narrative></participating-org>
  <activity-status code="2"/>
  <activity-date type="2" iso-date="2020-01-01"/>
  <activity-date type="3" iso-date="2022-12-31"/>
  <recipient-country code="SE" percentage="100"/>
  <sector vocabulary="1" code="23210" percentage="100"/>
  <budget type="1"><period-start iso-date="2020-01-01"/><period-end iso-date="2020-12-31"/>
   <value currency="EUR" value-date="2020-01-01">100000</value></budget>
  <transaction><transaction-type code="2"/><transaction-date iso-date="2020-02-01"/>
   <value value-date="2020-02-01">5000.5</value></transaction>
 </iati-activity>
 <iati-activity default-currency="SEK">
  <iati-identifier>XM-2</iati-identifier>
  <title><narrative>Grids</narrative></title>
  <activity-date type="1" iso-date="2021-03-01"/>
 </iati-activity>
</iati-activities>
"""

GRANTS = {
    "grants": [
        {
            "id": "360G-a-1",
            "title": "Community energy",
            "description": "Solar roofs",
            "currency": "GBP",
            "amountAwarded": 152505,
            "awardDate": "2014-07-24",
            "plannedDates": [{"startDate": "2014-09-01", "endDate": "2016-08-31", "duration": 24}],
            "recipientOrganization": [{"id": "GB-CHC-1", "name": "Sun Co", "charityNumber": "1"}],
            "fundingOrganization": [{"id": "GB-GOR-1", "name": "Funder"}],
            "grantProgramme": [{"code": "A", "title": "Awards"}],
        },
        {
            "id": "360G-a-2",
            "title": "Wind",
            "currency": "GBP",
            "amountAwarded": "1000.50",
            "awardDate": "24/07/2015",
            "recipientOrganization": [{"name": "Wind Ltd"}],
            "fundingOrganization": [{"id": "GB-GOR-1", "name": "Funder"}],
        },
    ]
}
GRANTS_JSON = json.dumps(GRANTS, indent=1)
GRANTS_CSV = (
    "Identifier,Title,Description,Currency,Amount Awarded,Award Date,Recipient Org:Identifier,Recipient Org:Name,"
    "Funding Org:Identifier,Funding Org:Name,Planned Dates:Start Date,Planned Dates:End Date\n"
    "360G-b-1,Community energy,Solar,GBP,152505,2014-07-24,GB-CHC-1,Sun Co,GB-GOR-1,Funder,2014-09-01,2016-08-31\n"
    '360G-b-2,"Wind, at sea",,GBP,"1,000.50",24/07/2015,,Wind Ltd,GB-GOR-1,Funder,,\n'
)
CORDIS = (
    "id,acronym,status,title,startDate,endDate,totalCost,ecMaxContribution,legalBasis,topics,ecSignatureDate,"
    "frameworkProgramme,masterCall,subCall,fundingScheme,objective,contentUpdateDate,rcn,grantDoi\n"
    "101116741,DOE,SIGNED,Digitizing Other Economies,2024-02-01,2029-01-31,1499998,1499998,HORIZON.1.1,"
    'ERC-2023-STG,2023-12-15,HORIZON,ERC-2023-STG,ERC-2023-STG,HORIZON-ERC,"How do societies, adopt ""digital""",'
    "2023-12-26 14:40:12,1906458,10.3030/101116741\n"
    '101057000,H2,CLOSED,Hydrogen,2022-01-01,2024-12-31,"2500000,5",2000000,HORIZON.2.5,HORIZON-CL5,2021-12-01,'
    "HORIZON,HORIZON-CL5-2021,HORIZON-CL5-2021-D2,HORIZON-RIA,Electrolysers,2024-01-01 10:00:00,1,\n"
)
CORDIS_ORGS = (
    "projectID,projectAcronym,organisationID,vatNumber,name,shortName,SME,activityType,street,postCode,city,country,"
    "nutsCode,geolocation,organizationURL,contactForm,contentUpdateDate,rcn,order,role,ecContribution,"
    "netEcContribution,totalCost,endOfParticipation\n"
    "101116741,DOE,999981634,NL811383696B01,WAGENINGEN UNIVERSITY,WU,False,HES,STREET 4,6708 PB,Wageningen,NL,NL221,"
    '"51.98,5.66",http://w.nl,,2023-12-26 14:40:12,1906458,1,coordinator,1499998.0,1499998.0,1499998.0,false\n'
)


def xlsx_bytes(rows: list[list[Any]], title: str = "Sheet") -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def replace_member(workbook: bytes, name: str, data: bytes) -> bytes:
    """The workbook with one member's bytes replaced, re-zipped as a valid archive."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(workbook)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            target.writestr(info.filename, data if info.filename == name else source.read(info.filename))
    return out.getvalue()


def member(workbook: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(workbook)) as archive:
        return archive.read(name)


def digest(workspace: Workspace) -> dict[str, str]:
    """A hash of every row of every table in the workspace, per table: equal before and after means
    nothing was written."""
    result: dict[str, str] = {}
    with workspace.reading() as session:
        present = set(inspect(session.connection()).get_table_names())
        for table in t.Base.metadata.sorted_tables:
            if table.name not in present:
                continue
            rows = session.execute(select(table).order_by(*table.primary_key.columns)).all()
            result[table.name] = hashlib.sha256(repr([tuple(map(str, r)) for r in rows]).encode()).hexdigest()
            result[table.name + ".count"] = str(len(rows))
    return result


def import_or_refuse(
    workspace: Workspace, format: str, path: Path, *others: Path, **options: Any
) -> ImportRun | None:
    """The rule for every file: a run whose counts add up, or an InputError naming this file (or
    one of the ``others`` imported with it), with its line where the problem is in a record, that
    left the workspace exactly as it was."""
    before = digest(workspace)
    try:
        run = ingest_files(workspace, format, [path, *others], **options)
    except InputError as exc:
        assert digest(workspace) == before
        assert exc.problems
        for problem in exc.problems:
            assert any(p.name in problem.file for p in (path, *others)), problem
            assert problem.message.strip() and len(problem.message) < 2000, problem
            assert problem.line is None or problem.line >= 1, problem
        return None
    landed = run.inserted + run.updated + run.unchanged
    assert run.read - run.rejected <= landed <= run.read
    if options.get("dry_run"):
        assert digest(workspace) == before
    return run
