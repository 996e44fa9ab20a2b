"""Writes openalex/works.jsonl: the hand-written OpenAlex-format sample (see README.md). Run once; kept
so that the sample can be changed and rewritten the same way."""

from __future__ import annotations

import json
from pathlib import Path


def inverted(text: str) -> dict[str, list[int]]:
    index: dict[str, list[int]] = {}
    for position, word in enumerate(text.split()):
        index.setdefault(word, []).append(position)
    return index


def institution(n: int, name: str, country: str, kind: str) -> dict[str, object]:
    return {
        "id": f"https://openalex.org/I90000000{n:02d}",
        "display_name": name,
        "ror": f"https://ror.org/0sample{n:02d}",
        "country_code": country,
        "type": kind,
        "lineage": [f"https://openalex.org/I90000000{n:02d}"],
    }


def topic(n: int, name: str, subfield: str, field: str, domain: str, score: float) -> dict[str, object]:
    return {
        "id": f"https://openalex.org/T9{n:04d}",
        "display_name": name,
        "score": score,
        "subfield": {"id": f"https://openalex.org/subfields/9{n:03d}", "display_name": subfield},
        "field": {"id": f"https://openalex.org/fields/9{n % 30:02d}", "display_name": field},
        "domain": {"id": f"https://openalex.org/domains/{n % 4 + 1}", "display_name": domain},
    }


def concept(n: int, name: str, level: int, score: float) -> dict[str, object]:
    return {
        "id": f"https://openalex.org/C9{n:06d}",
        "wikidata": None,
        "display_name": name,
        "level": level,
        "score": score,
    }


def work(
    n: int,
    title: str,
    abstract: str | None,
    year: int,
    authors: list[tuple[str, list[dict[str, object]]]],
    topics: list[dict[str, object]],
    concepts: list[dict[str, object]],
    language: str = "en",
) -> dict[str, object]:
    authorships = []
    for position, (author, institutions) in enumerate(authors):
        authorships.append(
            {
                "author_position": "first"
                if position == 0
                else "last"
                if position == len(authors) - 1
                else "middle",
                "author": {
                    "id": f"https://openalex.org/A9{n:03d}{position:03d}",
                    "display_name": author,
                    "orcid": None,
                },
                "institutions": institutions,
                "countries": sorted({str(i["country_code"]) for i in institutions}),
                "is_corresponding": position == 0,
                "raw_author_name": author,
                "raw_affiliation_strings": [str(i["display_name"]) for i in institutions],
            }
        )
    return {
        "id": f"https://openalex.org/W90000000{n:02d}",
        "doi": f"https://doi.org/10.99999/sample.{n}",
        "title": title,
        "display_name": title,
        "publication_year": year,
        "publication_date": f"{year}-0{n % 9 + 1}-15",
        "language": language,
        "type": "article",
        "authorships": authorships,
        "countries_distinct_count": len({c for a in authorships for c in a["countries"]}),
        "institutions_distinct_count": len({i["id"] for a in authorships for i in a["institutions"]}),
        "primary_topic": topics[0] if topics else None,
        "topics": topics,
        "concepts": concepts,
        "cited_by_count": n * 7,
        "is_retracted": False,
        "abstract_inverted_index": inverted(abstract) if abstract is not None else None,
        "updated_date": "2025-06-01T00:00:00.000000",
        "created_date": "2024-01-15",
    }


WAGENINGEN = institution(1, "Wageningen University & Research", "NL", "education")
NAIROBI = institution(2, "University of Nairobi", "KE", "education")
CNRS = institution(3, "Centre National de la Recherche Scientifique", "FR", "government")
DTU = institution(4, "Technical University of Denmark", "DK", "education")
FIOCRUZ = institution(5, "Fundação Oswaldo Cruz", "BR", "government")
ICMR = institution(6, "Indian Council of Medical Research", "IN", "government")
OSLO = institution(7, "University of Oslo", "NO", "education")

WORKS = [
    work(
        1,
        "Drought-tolerant maize and household food security in smallholder farming",
        "Hunger and malnutrition remain widespread among smallholder farmers in East Africa. We assess how "
        "drought-tolerant maize varieties affect crop yields, food security and child nutrition in 1,200 "
        "households, and find that adoption raised yields by 15% and reduced months of food shortage.",
        2021,
        [("A. Mwangi", [NAIROBI]), ("J. de Vries", [WAGENINGEN])],
        [
            topic(
                1,
                "Crop yield and food security",
                "Agronomy and Crop Science",
                "Agricultural and Biological Sciences",
                "Life Sciences",
                0.98,
            )
        ],
        [concept(1, "Agriculture", 0, 0.8), concept(2, "Food security", 1, 0.7)],
    ),
    work(
        2,
        "Offshore wind and grid-scale storage for a renewable energy transition",
        "We model the integration of offshore wind power and battery storage into the North Sea electricity "
        "grid. Renewable energy could supply 80% of demand by 2040 while keeping electricity affordable, "
        "provided that interconnectors and clean energy storage expand.",
        2023,
        [("K. Larsen", [DTU]), ("M. Dubois", [CNRS])],
        [
            topic(
                2,
                "Wind energy integration",
                "Renewable Energy, Sustainability and the Environment",
                "Energy",
                "Physical Sciences",
                0.95,
            )
        ],
        [concept(3, "Renewable energy", 1, 0.9), concept(4, "Engineering", 0, 0.6)],
    ),
    work(
        3,
        "Dengue transmission, urban heat and climate change adaptation in Brazilian cities",
        "Climate change raises temperatures in tropical cities, extending the season of dengue transmission. "
        "Using surveillance data from 2010 to 2022 we estimate the effect of heat waves on infectious disease "
        "incidence and discuss adaptation of public health systems.",
        2024,
        [("R. Souza", [FIOCRUZ]), ("L. Martin", [CNRS])],
        [
            topic(3, "Mosquito-borne diseases", "Epidemiology", "Medicine", "Health Sciences", 0.97),
            topic(
                4,
                "Climate change and health",
                "Global and Planetary Change",
                "Environmental Science",
                "Physical Sciences",
                0.61,
            ),
        ],
        [concept(5, "Medicine", 0, 0.7), concept(6, "Climate change", 1, 0.6)],
    ),
    work(
        4,
        "Tuberculosis treatment adherence and maternal health in rural India",
        "Tuberculosis remains a leading cause of death. We follow 3,400 patients to study treatment adherence, "
        "access to health services and maternal mortality, and show that community health workers improve "
        "adherence to treatment.",
        2020,
        [("P. Sharma", [ICMR])],
        [
            topic(
                5,
                "Tuberculosis research and treatment",
                "Infectious Diseases",
                "Medicine",
                "Health Sciences",
                0.99,
            )
        ],
        [concept(7, "Medicine", 0, 0.9)],
    ),
    work(
        5,
        "Marine plastic pollution in Arctic coastal waters",
        "Plastic litter and microplastics reach Arctic coastal waters through ocean currents. We sampled "
        "marine sediments and fish in Svalbard and report pollution levels that threaten marine ecosystems "
        "and biodiversity below water.",
        2022,
        [("I. Hansen", [OSLO]), ("E. Bakker", [WAGENINGEN])],
        [
            topic(
                6,
                "Microplastics in the environment",
                "Pollution",
                "Environmental Science",
                "Physical Sciences",
                0.96,
            )
        ],
        [concept(8, "Environmental science", 0, 0.8)],
    ),
    work(
        6,
        "A note on the cohomology of certain arithmetic groups",
        None,
        2019,
        [("S. Moreau", [CNRS])],
        [],
        [concept(9, "Mathematics", 0, 0.9), concept(10, "Pure mathematics", 1, 0.6)],
    ),
    work(
        7,
        "Girls' secondary education and gender equality in the labour market",
        "We study how access to quality education for girls changes women's participation in the labour "
        "market, using a school-building programme in Kenya. Each additional year of schooling raised "
        "women's wages and reduced early marriage, narrowing gender inequality.",
        2018,
        [("W. Otieno", [NAIROBI]), ("H. Berg", [OSLO])],
        [
            topic(
                7,
                "Education and labour market outcomes",
                "Economics and Econometrics",
                "Economics, Econometrics and Finance",
                "Social Sciences",
                0.93,
            )
        ],
        [concept(11, "Economics", 0, 0.8), concept(12, "Gender equality", 2, 0.5)],
    ),
    work(
        8,
        "Urban water supply and sanitation after informal settlement upgrading",
        "Access to safe drinking water and sanitation in informal settlements of Nairobi was measured before "
        "and after an upgrading programme. Households connected to piped water reported fewer cases of "
        "diarrhoea.",
        2025,
        [("G. Kamau", [NAIROBI])],
        [
            topic(
                8,
                "Water, sanitation and hygiene",
                "Public Health, Environmental and Occupational Health",
                "Medicine",
                "Health Sciences",
                0.94,
            )
        ],
        [concept(13, "Environmental health", 1, 0.7)],
    ),
]

if __name__ == "__main__":
    target = Path(__file__).parent / "openalex" / "works.jsonl"
    with target.open("w", encoding="utf-8") as handle:
        for item in WORKS:
            handle.write(json.dumps(item, ensure_ascii=False) + "\n")
