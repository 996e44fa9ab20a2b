"""The demo's organisations: where they sit and what they are called, so that names, places and fields
of work fit together (a dryland agriculture institute in Marsabit, a shipyard in Ålesund).

Each organisation belongs to a city of its country (``PLACES`` gives the city's region); universities
sit only in university cities and work across fields, while institutes, companies and associations
carry a field of their own and take part only in projects of that field.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

PLACES: dict[str, dict[str, str]] = {
    # country -> city -> the region (county) the city lies in
    "SE": {
        "Stockholm": "Stockholm",
        "Gothenburg": "Västra Götaland",
        "Malmö": "Skåne",
        "Lund": "Skåne",
        "Uppsala": "Uppsala",
        "Luleå": "Norrbotten",
        "Kiruna": "Norrbotten",
        "Umeå": "Västerbotten",
        "Linköping": "Östergötland",
        "Norrköping": "Östergötland",
        "Örebro": "Örebro",
        "Jönköping": "Jönköping",
        "Falun": "Dalarna",
        "Kalmar": "Kalmar",
        "Växjö": "Kronoberg",
        "Gävle": "Gävleborg",
        "Karlstad": "Värmland",
        "Sundsvall": "Västernorrland",
        "Visby": "Gotland",
        "Halmstad": "Halland",
        "Borås": "Västra Götaland",
    },
    "NO": {
        "Oslo": "Oslo",
        "Bergen": "Vestland",
        "Florø": "Vestland",
        "Stord": "Vestland",
        "Ålesund": "Møre og Romsdal",
        "Molde": "Møre og Romsdal",
        "Bodø": "Nordland",
        "Narvik": "Nordland",
        "Trondheim": "Trøndelag",
        "Stavanger": "Rogaland",
        "Haugesund": "Rogaland",
        "Tromsø": "Troms",
        "Harstad": "Troms",
        "Kristiansand": "Agder",
    },
    "DK": {
        "Copenhagen": "Hovedstaden",
        "Lyngby": "Hovedstaden",
        "Aarhus": "Midtjylland",
        "Horsens": "Midtjylland",
        "Herning": "Midtjylland",
        "Silkeborg": "Midtjylland",
        "Odense": "Syddanmark",
        "Esbjerg": "Syddanmark",
        "Vejle": "Syddanmark",
        "Kolding": "Syddanmark",
        "Aalborg": "Nordjylland",
        "Roskilde": "Sjælland",
        "Næstved": "Sjælland",
    },
    "KE": {
        "Nairobi": "Nairobi",
        "Lodwar": "Turkana",
        "Kakuma": "Turkana",
        "Marsabit": "Marsabit",
        "Moyale": "Marsabit",
        "Isiolo": "Isiolo",
        "Garissa": "Garissa",
        "Wajir": "Wajir",
        "Kitui": "Kitui",
        "Maralal": "Samburu",
        "Wote": "Makueni",
    },
    "ET": {
        "Addis Ababa": "Addis Ababa",
        "Jijiga": "Somali Region",
        "Semera": "Afar Region",
        "Negele": "Oromia Region",
        "Moyale": "Oromia Region",
    },
}
UNIVERSITIES: dict[str, dict[str, str]] = {
    # country -> city -> its university, as it is called
    "SE": {
        "Stockholm": "Stockholm University",
        "Gothenburg": "University of Gothenburg",
        "Lund": "Lund University",
        "Uppsala": "Uppsala University",
        "Luleå": "Luleå University of Technology",
        "Umeå": "Umeå University",
        "Linköping": "Linköping University",
        "Örebro": "Örebro University",
        "Karlstad": "Karlstad University",
        "Växjö": "Linnaeus University",
        "Kalmar": "Linnaeus University",
        "Malmö": "Malmö University",
        "Jönköping": "Jönköping University",
        "Gävle": "University of Gävle",
        "Halmstad": "Halmstad University",
        "Borås": "University of Borås",
        "Sundsvall": "Mid Sweden University",
        "Falun": "Dalarna University",
        "Norrköping": "Linköping University",
    },
    "NO": {
        "Oslo": "University of Oslo",
        "Bergen": "University of Bergen",
        "Trondheim": "Norwegian University of Science and Technology",
        "Tromsø": "UiT The Arctic University of Norway",
        "Stavanger": "University of Stavanger",
        "Bodø": "Nord University",
        "Kristiansand": "University of Agder",
        "Ålesund": "Norwegian University of Science and Technology",
        "Haugesund": "Western Norway University of Applied Sciences",
        "Stord": "Western Norway University of Applied Sciences",
        "Molde": "Molde University College",
        "Harstad": "UiT The Arctic University of Norway",
        "Narvik": "UiT The Arctic University of Norway",
    },
    "DK": {
        "Copenhagen": "University of Copenhagen",
        "Lyngby": "Technical University of Denmark",
        "Aarhus": "Aarhus University",
        "Odense": "University of Southern Denmark",
        "Aalborg": "Aalborg University",
        "Roskilde": "Roskilde University",
        "Esbjerg": "University of Southern Denmark",
        "Kolding": "University of Southern Denmark",
        "Horsens": "VIA University College",
        "Herning": "Aarhus University",
    },
    "KE": {
        "Nairobi": "University of Nairobi",
        "Lodwar": "Turkana University College",
        "Garissa": "Garissa University",
        "Kitui": "South Eastern Kenya University",
    },
    "ET": {
        "Addis Ababa": "Addis Ababa University",
        "Jijiga": "Jigjiga University",
        "Semera": "Samara University",
    },
}
FIELDS: dict[str, tuple[str, ...]] = {
    # the fields a specialised institute of an industry works in
    "food": ("Food Science", "Nutrition", "Public Health"),
    "maritime": ("Maritime Technology", "Marine Engineering", "Energy Systems"),
    "construction": ("Building Research", "Sustainable Materials", "Architecture"),
    "agriculture": ("Dryland Agriculture", "Water Resources", "Pastoral Studies"),
    "agriculture abroad": ("Agricultural Sciences", "Development Studies", "Hydrology"),
    "digital": ("Applied Informatics", "Computer Science", "Data Science"),
    "health": ("Health Informatics", "Health Services Research", "Medical Technology"),
    "manufacturing": ("Production Engineering", "Industrial Automation", "Materials Technology"),
    "quantum": ("Photonics", "Quantum Technology", "Space Physics"),
}
ABROAD: dict[str, dict[str, tuple[str, ...]]] = {
    # industry -> helix -> the countries a partner from abroad plausibly comes from
    "agriculture": {"research": ("SE", "NO", "DK"), "industry": ("KE", "ET"), "": ("KE", "ET")},
    "": {"": ("SE", "NO", "DK")},
}
INLAND = {
    "Uppsala",
    "Örebro",
    "Jönköping",
    "Falun",
    "Växjö",
    "Borås",
    "Linköping",
    "Herning",
    "Silkeborg",
    "Kiruna",
}
"""Cities without a harbour: no shipyard, ferry users' association or maritime institute sits there."""
CAPITALS = {"Nairobi", "Addis Ababa"}
"""Where national bodies sit, but no county government, pastoralists' or water users' association."""
COUNTRY_NAME = {"SE": "Swedish", "NO": "Norwegian", "DK": "Danish", "KE": "Kenya", "ET": "Ethiopian"}
STEMS = {
    # the first half of a company's name, in the language of its country
    "SE": ("Norr", "Fjäll", "Grön", "Eko", "Blå", "Sol", "Vind", "Havs", "Skog", "Berg", "Älv", "Kust", "Ljus",
           "Sten", "Ny", "Klimat", "Kretslopp", "Miljö", "Väst", "Öst", "Syd"),
    "NO": ("Nord", "Fjord", "Grønn", "Øko", "Blå", "Sol", "Vind", "Hav", "Skog", "Berg", "Elv", "Kyst", "Lys",
           "Stein", "Ny", "Klima", "Sirkel", "Miljø", "Vest", "Øst", "Sør"),
    "DK": ("Nord", "Fjord", "Grøn", "Øko", "Blå", "Sol", "Vind", "Hav", "Skov", "Bakke", "Kyst", "Lys",
           "Sten", "Ny", "Klima", "Cirkel", "Miljø", "Vest", "Øst", "Syd"),
    "KE": ("Savanna", "Rift", "Jua", "Maji", "Tana", "Amani", "Kilimo", "Nyota", "Ewaso", "Chalbi"),
    "ET": ("Abay", "Awash", "Genale", "Bale", "Fafan", "Biftu", "Tsehay", "Lemlem", "Dire", "Wabi"),
}  # fmt: skip
COMPANY_TAILS = {
    # the second half, in English (as many firms of the field write it) ...
    "food": ("foods", "kitchen", "farm", "catering", "greens"),
    "maritime": ("marine", "maritime", "propulsion", "offshore", "power"),
    "construction": ("construct", "materials", "timber", "circular"),
    "agriculture": ("agro", "seeds", "water", "drill", "solar", "insure", "pastoral"),
    "digital": ("tech", "data", "soft", "analytics", "labs", "ai"),
    "health": ("health", "care", "med", "medical"),
    "manufacturing": ("robotics", "automation", "tech", "casting", "tools"),
    "quantum": ("photonics", "quantum", "optics", "sense", "space"),
}
LOCAL_TAILS = {
    # ... or in the country's language
    ("SE", "food"): ("mat", "kök", "mejeri", "grönt", "bageri"),
    ("NO", "food"): ("mat", "kjøkken", "meieri", "bakeri"),
    ("DK", "food"): ("mad", "køkken", "mejeri", "bageri"),
    ("SE", "maritime"): ("varv", "marin", "batteri"),
    ("NO", "maritime"): ("verft", "ferje", "batteri"),
    ("DK", "maritime"): ("værft", "færge", "batteri"),
    ("SE", "construction"): ("bygg", "betong", "arkitekter", "rivning"),
    ("NO", "construction"): ("bygg", "betong", "arkitekter", "riving"),
    ("DK", "construction"): ("byg", "beton", "arkitekter", "nedrivning"),
    ("SE", "manufacturing"): ("verkstad", "industri", "gjuteri"),
    ("NO", "manufacturing"): ("verksted", "industri", "støperi"),
    ("DK", "manufacturing"): ("værksted", "industri", "støberi"),
}
EXONYMS = {"Gothenburg", "Copenhagen", "Addis Ababa"}
"""Cities English names otherwise than their firms do (Göteborg, København): no firm is named after
them, so that each place has one spelling throughout the demo."""
CITY_WEIGHT = {
    # how many organisations a city holds, roughly by its size (others: 1)
    "Stockholm": 8, "Gothenburg": 5, "Malmö": 3, "Uppsala": 3, "Lund": 2, "Linköping": 2, "Umeå": 2,
    "Oslo": 8, "Bergen": 5, "Trondheim": 4, "Stavanger": 3, "Ålesund": 2, "Tromsø": 2,
    "Copenhagen": 8, "Aarhus": 5, "Odense": 3, "Aalborg": 3, "Lyngby": 2,
    "Nairobi": 6, "Addis Ababa": 6,
}  # fmt: skip
GREEN_STEMS = {
    "Grön",
    "Grønn",
    "Grøn",
    "Eko",
    "Øko",
    "Klimat",
    "Klima",
    "Kretslopp",
    "Sirkel",
    "Cirkel",
    "Miljö",
    "Miljø",
}
"""Stems a firm of the green transition takes, not a med-tech, software or photonics firm."""
GREEN_FIELDS = {"food", "maritime", "construction"}
LEGAL = {"SE": "AB", "NO": "AS", "DK": "A/S", "KE": "Ltd", "ET": "PLC"}
NORDIC_CIVIL = {
    "food": ("{city} Parents' Council", "Pupils' Council of {city}", "Consumers' Association of {region}",
             "{region} Organic Farmers' Association"),
    "maritime": ("{city} Fishermen's Association", "{city} Ferry Users' Association",
                 "{region} Coastal Environmental Network"),
    "construction": ("{city} Tenants' Union", "{city} Residents' Association",
                     "{region} Environmental Network"),
    "digital": ("{region} Chamber of Commerce", "{city} Business Association",
                "Consumers' Association of {region}"),
    "health": ("{region} Patients' Association", "{city} Senior Citizens' Council",
               "{city} Disability Council"),
    "manufacturing": ("{region} Chamber of Commerce", "{region} Manufacturers' Association",
                      "{city} Business Association"),
    "quantum": ("{region} Chamber of Commerce", "{city} Science Centre"),
}  # fmt: skip
DRYLAND_CIVIL = (
    "{region} Pastoralist Association",
    "{city} Women's Self-Help Group",
    "{region} Farmers' Cooperative",
    "{city} Water Users' Association",
)
GOVERNMENT = {
    "SE": ("Municipality of {city}", "{region} Regional Council", "{region} County Administrative Board"),
    "NO": ("Municipality of {city}", "{region} County Council"),
    "DK": ("Municipality of {city}", "Region {region}"),
    "KE": ("County Government of {region}", "{region} County Department of Water"),
    "ET": ("Bureau of Agriculture, {region}", "{city} Town Administration"),
}


@dataclass
class Organisation:
    key: str
    name: str
    helix: str
    country: str
    level: str
    industry: str | None = None
    """The field it works in; None for a university or a public body, which work across fields."""
    city: str = ""


def home_country(rng: random.Random, country: str, helix: str, industry: str) -> str:
    """Where a partner comes from: mostly the project's country; now and then a neighbour that has such
    organisations (a Nordic university on a Kenyan drought project, never a Kenyan shipyard). Public
    bodies and associations are always local."""
    if rng.random() < 0.9 or helix in ("government", "civil_society"):
        return country
    by_helix = ABROAD.get(industry, ABROAD[""])
    choices = [c for c in by_helix.get(helix, by_helix[""]) if c != country]
    return rng.choice(choices) if choices else country


class ActorPool:
    """Organisations by country, helix type and field, created on demand so that names repeat
    realistically and each organisation works only in fields that fit it. Research sits in university
    cities: a university, or an institute of the field beside it."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.by_key: dict[str, Organisation] = {}
        self.pools: dict[tuple[str, str, str], list[Organisation]] = {}
        self._sums: dict[tuple[str, str, str], list[float]] = {}
        self._members: dict[tuple[str, str, str], set[str]] = {}
        self._cities: dict[tuple[str, str, str], tuple[tuple[str, ...], list[float]]] = {}

    def _name(self, country: str, helix: str, industry: str, city: str) -> tuple[str, str, str | None]:
        """(name, level, field) of a new organisation of ``helix`` in ``city``."""
        rng = self.rng
        region = PLACES[country][city]
        dryland = country in ("KE", "ET")
        if helix == "industry":
            tail = rng.choice(COMPANY_TAILS[industry] + LOCAL_TAILS.get((country, industry), ()))
            stems = STEMS[country]
            if industry not in GREEN_FIELDS:
                stems = tuple(stem for stem in stems if stem not in GREEN_STEMS)
            name = f"{rng.choice(stems)}{tail} {LEGAL[country]}"
            if rng.random() < 0.3 and city not in EXONYMS:
                name = f"{city} {tail.capitalize()} {LEGAL[country]}"
            return name, rng.choice(("local", "regional", "national", "national", "international")), industry
        if helix == "research":
            university = UNIVERSITIES[country].get(city)
            if university and rng.random() < 0.6:
                return university, "national", None
            field = rng.choice(
                FIELDS[
                    "agriculture"
                    if dryland
                    else "agriculture abroad"
                    if industry == "agriculture"
                    else industry
                ]
            )
            if city == next(iter(UNIVERSITIES[country])):  # a national institute sits in the capital
                return f"{COUNTRY_NAME[country]} Institute for {field}", "national", industry
            return f"Institute of {field}, {city}", "regional", industry
        if helix == "government":
            patterns = GOVERNMENT[country] if region != city else GOVERNMENT[country][:1]
            name = rng.choice(patterns).format(city=city, region=region)  # Oslo is its own county
            return name, "local" if city in name else "regional", None
        patterns = DRYLAND_CIVIL if dryland else NORDIC_CIVIL.get(industry, NORDIC_CIVIL["digital"])
        name = rng.choice(patterns).format(city=city, region=region)
        return name, rng.choice(("local", "local", "regional", "national")), industry

    def _make(self, country: str, helix: str, industry: str) -> Organisation:
        cities, sums = self._cities_for(country, helix, industry)
        for _ in range(50):
            city = self.rng.choices(cities, cum_weights=sums)[0]
            name, level, field = self._name(country, helix, industry, city)
            key = f"{country}:{name}"
            known = self.by_key.get(key)
            if known is None:
                org = Organisation(key, name, helix, country, level, field, city)
                self.by_key[key] = org
                return org
            if known.industry is None:
                return known  # a university or a public body takes part in another field too
        return self.by_key[key]

    def _cities_for(self, country: str, helix: str, industry: str) -> tuple[tuple[str, ...], list[float]]:
        """The cities such an organisation may sit in, and their running weights by size."""
        key = (country, helix, industry)
        if key not in self._cities:
            cities = tuple(
                city
                for city in PLACES[country]
                if not (industry == "maritime" and helix != "government" and city in INLAND)
                and not (helix in ("government", "civil_society") and city in CAPITALS)
                and not (helix == "research" and city not in UNIVERSITIES[country])
            )
            self._cities[key] = (cities, list(itertools.accumulate(CITY_WEIGHT.get(c, 1) for c in cities)))
        return self._cities[key]

    def pick(self, country: str, helix: str, industry: str) -> Organisation:
        """Mostly reuse an organisation already active in the field; sometimes a newcomer.

        Preferential attachment: the first organisations of a pool, and those of large cities, are
        the most connected (weights kept as running sums, so that a draw is a bisection)."""
        pool = self.pools.setdefault((country, helix, industry), [])
        sums = self._sums.setdefault((country, helix, industry), [])
        newcomer = {"industry": 0.45, "research": 0.12, "government": 0.2, "civil_society": 0.45}[helix]
        if not pool or self.rng.random() < newcomer:
            org = self._make(country, helix, industry)
            members = self._members.setdefault((country, helix, industry), set())
            if org.key not in members:
                members.add(org.key)
                weight = CITY_WEIGHT.get(org.city, 1) ** 0.5 / (len(pool) + 1)
                sums.append((sums[-1] if sums else 0.0) + weight)
                pool.append(org)
            return org
        return self.rng.choices(pool, cum_weights=sums)[0]
