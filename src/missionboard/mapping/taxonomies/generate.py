"""Regenerate ``sdg.yaml`` from the UN's official goal and target wording (a maintainer's tool).

Run once from the repository root, with the public sample data beside it::

    python -m missionboard.mapping.taxonomies.generate ../shared/data/sdg src/missionboard/mapping/taxonomies
    python -m missionboard.mapping.taxonomies.generate vectors src/missionboard/mapping/taxonomies

Sources and attribution (written into the YAML too):

* goal and target wording: United Nations, General Assembly resolution A/RES/71/313 (annex, as revised
  by the 2025 comprehensive review), from ``sdg-goals-targets-indicators-structured.json``;
* French and Spanish wording: the official UN translations as maintained by open-sdg/sdg-translations
  (MIT), kept as example texts so that the semantic method recognises them;
* the seed queries (``SEED_QUERIES`` and ``NORTH_QUERIES`` below) are missionboard's own;
* each goal's ``definition`` (what counts, what does not, hard negatives) is missionboard's own too,
  hand-written in ``sdg.definitions.yaml`` beside this module and merged in here.

The YAML it writes is the package data file; nothing reads the sample data at run time.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

# Boolean keyword queries per goal, in missionboard's query language (docs/mapping.md).
# English first, then cheap Spanish / French / Nordic stems; accents are folded before matching.
SEED_QUERIES: dict[str, list[str]] = {
    "1": [
        '(poverty OR "poor households" OR "poor people" OR "extreme poor*" OR "social protection" OR '
        '"cash transfer*" OR "social safety net*" OR microfinance OR "basic income" OR destitut*)',
        '(pobreza OR "proteccion social" OR "transferencias monetarias" OR microfinanz* OR pauvrete OR '
        '"protection sociale" OR fattigdom OR fattigdom* OR "social trygghet")',
    ],
    "2": [
        '(hunger OR malnutrition OR undernutrition OR "food security" OR "food insecurity" OR stunting OR '
        '"smallholder*" OR agricultur* OR farmer* OR crop* OR livestock OR "food system*" OR '
        '"sustainable farming" OR agroecolog* OR irrigation OR famine OR nutrition*)',
        '(hambre OR desnutricion OR "seguridad alimentaria" OR agricultor* OR agricola* OR agropecuari* OR '
        'cultivo* OR "pequenos productores" OR faim OR "securite alimentaire" OR agricole* OR '
        "landbruk* OR jordbruk* OR matsikkerhet OR livsmedelsforsorjning)",
    ],
    "3": [
        "(health OR healthcare OR disease* OR hospital* OR clinic* OR patient* OR medical OR medicine* OR "
        "vaccin* OR immunis* OR immuniz* OR malaria OR tuberculosis OR HIV OR AIDS OR epidemic* OR "
        'pandemic* OR "maternal mortality" OR "child mortality" OR "mental health" OR "well-being" OR '
        'wellbeing OR "universal health coverage" OR covid* OR nurse* OR physician*)',
        "(salud OR sanitari* OR enfermedad* OR hospital* OR vacuna* OR sante OR maladie* OR helse OR "
        "sundhed OR halsa OR sjukdom* OR sykdom*)",
    ],
    "4": [
        "(education* OR school* OR teacher* OR student* OR pupil* OR literacy OR numeracy OR curricul* OR "
        '"early childhood" OR "vocational training" OR "higher education" OR universit* OR "learning outcomes" OR "e-learning" OR "distance learning" OR '
        'scholarship* OR "lifelong learning" OR classroom*)',
        '(educacion OR escuela* OR docente* OR estudiante* OR alfabetizacion OR "formacion profesional" OR '
        "enseignement OR ecole* OR eleve* OR utdanning OR uddannelse OR utbildning OR skole* OR skola)",
    ],
    "5": [
        '("gender equality" OR "gender equity" OR "women\'s empowerment" OR "empowerment of women" OR '
        '"women and girls" OR "gender-based violence" OR "violence against women" OR feminis* OR '
        '"female genital" OR "child marriage" OR "gender gap" OR "gender parity" OR "women entrepreneur*" OR '
        '"women-led" OR "sexual and reproductive" OR "gender mainstreaming")',
        '("igualdad de genero" OR "equidad de genero" OR "empoderamiento de la mujer" OR "violencia de genero" '
        'OR "egalite des sexes" OR "egalite femmes-hommes" OR likestilling OR ligestilling OR jamstalldhet)',
    ],
    "6": [
        '("drinking water" OR "clean water" OR "safe water" OR "water supply" OR sanitation OR hygiene OR '
        'wastewater OR "waste water" OR "water quality" OR "water resource*" OR "water scarcity" OR WASH OR '
        'toilet* OR sewage OR sewer* OR "water management" OR "water use efficiency" OR aquifer* OR '
        'watershed* OR "river basin*" OR desalinat*)',
        '("agua potable" OR saneamiento OR "aguas residuales" OR "recursos hidricos" OR alcantarillado OR '
        '"eau potable" OR assainissement OR "eaux usees" OR drikkevann OR drikkevand OR dricksvatten OR '
        "avlop* OR spildevand)",
    ],
    "7": [
        '("renewable energy" OR "clean energy" OR "energy efficien*" OR electrif* OR electricity OR '
        '"solar power" OR solar OR photovoltaic* OR "wind power" OR "wind energy" OR "wind turbine*" OR '
        'geothermal OR hydropower OR "mini-grid*" OR "minigrid*" OR "off-grid" OR "energy access" OR '
        '"clean cooking" OR "power grid" OR "energy transition" OR biofuel* OR "green hydrogen")',
        '("energia renovable*" OR "energias renovables" OR "eficiencia energetica" OR electrificacion OR '
        '"energia solar" OR "energia electrica" OR "energie renouvelable*" OR "efficacite energetique" OR '
        "fornybar OR vedvarende OR fornybar* OR fotovolta* OR solenergi OR vindkraft)",
    ],
    "8": [
        '(employment OR unemployment OR "decent work" OR "job creation" OR jobs OR "labour market" OR '
        '"labor market" OR "economic growth" OR entrepreneur* OR SME OR SMEs OR "small business*" OR '
        '"micro, small" OR "financial inclusion" OR "child labour" OR "child labor" OR "forced labour" OR '
        '"youth employment" OR tourism OR productivity OR livelihood* OR "access to finance")',
        '(empleo OR "trabajo decente" OR "crecimiento economico" OR emprendimiento* OR pymes OR mipymes OR '
        '"inclusion financiera" OR turismo OR emploi OR "croissance economique" OR sysselsetting OR '
        "beskaeftigelse OR sysselsattning OR arbeidsliv)",
    ],
    "9": [
        '(infrastructure OR industrial* OR industrialization OR innovation OR "research and development" OR '
        '"R&D" OR manufacturing OR broadband OR "internet access" OR connectivity OR "digital infrastructure" '
        'OR road* OR railway* OR seaport* OR logistics OR transport* OR startup* OR "value chain*")',
        "(infraestructura* OR industria* OR innovacion OR carretera* OR vial OR vialidad OR transporte OR "
        '"investigacion y desarrollo" OR innovation OR infrastructure* OR infrastruktur OR innovasjon OR '
        "forskning)",
    ],
    "10": [
        '(inequalit* OR "income inequality" OR "social inclusion" OR marginali* OR discriminat* OR '
        'migrant* OR migration OR refugee* OR remittance* OR "persons with disabilities" OR disabilit* OR '
        '"people with disabilities" OR minorit* OR indigenous OR "vulnerable groups" OR "equal opportunit*")',
        '(desigualdad* OR "inclusion social" OR migrante* OR refugiado* OR discapacidad OR remesas OR '
        'inegalite* OR "inclusion sociale" OR handicap* OR ulikhet OR ulighed OR ojamlikhet OR innvandr*)',
    ],
    "11": [
        '(urban OR city OR cities OR municipal* OR "public transport" OR "urban mobility" OR housing OR slum* '
        'OR "informal settlement*" OR "smart city" OR "urban planning" OR "disaster risk" OR "cultural heritage" '
        'OR "green spaces" OR "public spaces" OR "air quality" OR "waste collection" OR "road safety")',
        '(urbano* OR ciudad* OR municipio* OR municipal* OR vivienda OR "transporte publico" OR movilidad OR '
        '"riesgo de desastres" OR ville* OR urbain* OR logement OR "transport public" OR byer OR stad* '
        "OR kommun*)",
    ],
    "12": [
        '("circular economy" OR recycl* OR "waste management" OR "food waste" OR "food loss" OR '
        '"sustainable consumption" OR "sustainable production" OR "resource efficiency" OR "life cycle" OR '
        'plastic* OR "hazardous waste" OR chemicals OR reuse OR "sustainable procurement" OR ecolabel* OR '
        '"extended producer responsibility" OR "sustainability reporting" OR "e-waste")',
        '("economia circular" OR reciclaje OR residuos OR "produccion sostenible" OR "consumo sostenible" OR '
        '"economie circulaire" OR recyclage OR dechets OR sirkular* OR cirkular* OR avfall OR affald OR '
        "atervinning OR gjenvinning)",
    ],
    "13": [
        '("climate change" OR "climate action" OR "climate adaptation" OR "climate mitigation" OR '
        '"climate resilien*" OR "global warming" OR "greenhouse gas*" OR GHG OR "carbon emission*" OR '
        '"CO2 emission*" OR decarboni* OR "low-carbon" OR "low carbon" OR "net zero" OR "net-zero" OR '
        '"climate finance" OR "emission reduction*" OR climate)',
        '("cambio climatico" OR "accion climatica" OR "gases de efecto invernadero" OR descarboniz* OR '
        '"changement climatique" OR "gaz a effet de serre" OR klimaendring* OR klima OR klimat OR '
        "klimatforandring* OR klimaforandring*)",
    ],
    "14": [
        "(ocean* OR marine OR sea OR seas OR coastal OR coral* OR fisher* OR fishing OR aquaculture OR "
        '"blue economy" OR mangrove* OR "marine protected" OR overfishing OR "ocean acidification" OR '
        '"marine litter" OR "marine pollution")',
        '(oceano* OR marino* OR costero* OR pesca OR pesquer* OR acuicultura OR manglar* OR "economia azul" '
        "OR ocean OR marin* OR peche OR havet OR hav OR fiskeri* OR fiske OR havbruk)",
    ],
    "15": [
        "(biodiversity OR ecosystem* OR forest* OR deforestation OR reforestation OR afforestation OR "
        '"land degradation" OR desertification OR wildlife OR "protected area*" OR "endangered species" OR '
        'poaching OR "invasive species" OR wetland* OR "terrestrial ecosystems" OR conservation OR '
        '"habitat loss" OR "soil erosion" OR "nature-based")',
        '(biodiversidad OR bosque* OR deforestacion OR reforestacion OR ecosistema* OR "areas protegidas" OR '
        "desertificacion OR biodiversite OR foret* OR deforestation OR biologisk OR mangfold OR skog* OR "
        "naturvern OR naturvard)",
    ],
    "16": [
        '(peace* OR conflict* OR violence OR "rule of law" OR justice OR corruption OR governance OR '
        '"human rights" OR "access to justice" OR "transparency" OR accountab* OR "birth registration" OR '
        '"legal identity" OR "public institutions" OR "civil society" OR "armed violence" OR trafficking OR '
        'democra* OR "open data" OR "freedom of information" OR "public sector")',
        '(paz OR conflicto* OR violencia OR justicia OR corrupcion OR gobernanza OR "derechos humanos" OR '
        '"fortalecimiento institucional" OR transparencia OR paix OR "droits de l\'homme" OR '
        "gouvernance OR korrupsjon OR menneskerettigheter OR rattsstat*)",
    ],
    "17": [
        '("global partnership" OR "multi-stakeholder partnership*" OR "south-south" OR "triangular cooperation" '
        'OR "capacity building" OR "capacity-building" OR "official development assistance" OR ODA OR '
        '"technology transfer" OR "debt sustainability" OR "domestic resource mobili*" OR "tax revenue" OR '
        '"statistical capacity" OR "policy coherence" OR "public-private partnership*" OR "trade" OR '
        '"development finance" OR "open source" OR "digital public good*")',
        '("cooperacion sur-sur" OR "cooperacion triangular" OR "alianza* publico-privada*" OR '
        '"fortalecimiento de capacidades" OR "cooperation sud-sud" OR "renforcement des capacites" OR '
        "partnerskap OR bistand OR utviklingssamarbeid)",
    ],
}

# Finnish, Danish, Swedish, Norwegian and German stems (folded: ä → a, ö → o, å → a; æ and ø stay as
# they are). The sentence model does not cover the Nordic languages well (Finnish and Danish were the
# weakest on the balanced sets, issue 17), so for them the queries carry the most evidence.
NORTH_QUERIES: dict[str, str] = {
    "1": (
        '(koyhyy* OR toimeentulotu* OR sosiaaliturva* OR fattigdom* OR kontanthjælp* OR "social sikring" OR '
        '"ekonomiskt bistand" OR sosialhjelp* OR lavinntekt* OR armut* OR grundsicherung* OR sozialhilfe* OR '
        '"soziale sicherung")'
    ),
    "2": (
        "(nalka* OR ruokaturva* OR aliravitsem* OR maatalo* OR viljelij* OR sult OR fødevaresikkerhed OR "
        "underernæring* OR landbrug* OR undernaring* OR livsmedelstrygghet OR lantbruk* OR matsikkerhet OR "
        "unterernahrung* OR ernahrungssicher* OR landwirtschaft* OR kleinbauer*)"
    ),
    "3": (
        "(terveys* OR terveyd* OR sairau* OR sairaal* OR potila* OR laakari* OR rokot* OR mielenterv* OR "
        "kuolleisuu* OR sundheds* OR sygdom* OR halso* OR sjukvard* OR sjukhus* OR helse* OR sykehus* OR "
        "gesundheit* OR krankheit* OR krankenhaus* OR patient* OR sterblichkeit*)"
    ),
    "4": (
        "(koulutu* OR opetu* OR koulu* OR oppila* OR opettaja* OR lukutaito* OR varhaiskasvatu* OR "
        "uddannelse* OR undervisning* OR elever OR eleverne OR lærer* OR utbildning* OR skolor* OR skolan OR "
        "larare* OR utdanning* OR opplæring* OR bildung* OR schule* OR schuler* OR lehrer* OR ausbildung* OR "
        "hochschul*)"
    ),
    "5": (
        '(sukupuol* OR "naisiin kohdistu*" OR lahisuhdevakival* OR ligestilling* OR kønsbaseret OR '
        '"vold mod kvinder" OR jamstalld* OR "vald mot kvinnor" OR likestilling* OR "vold mot kvinner" OR '
        'gleichstellung* OR geschlechtergerecht* OR "gewalt gegen frauen" OR frauenrechte*)'
    ),
    "6": (
        "(juomave* OR jateve* OR vesihuol* OR sanitaat* OR pohjave* OR vesivar* OR vandforsyning* OR grundvand* "
        "OR spildevand* OR kloak* OR dricksvatten OR avlopp* OR vattenforsorjning* OR grundvatten* OR "
        "vannforsyning* OR grunnvann* OR avløp* OR trinkwasser* OR abwasser* OR wasserversorgung* OR "
        "grundwasser* OR gewasserschutz*)"
    ),
    "7": (
        "(uusiutuv* OR aurinkovoim* OR aurinkoenergi* OR tuulivoim* OR energiatehok* OR sahkonsaant* OR "
        "vedvarende OR vindmølle* OR vindenergi* OR energieffektiv* OR solceller OR vindkraft* OR "
        "erneuerbar* OR solarenergie OR photovoltaik* OR windkraft* OR windenergie* OR energieeffizienz* OR "
        "energiewende*)"
    ),
    "8": (
        "(tyollisyy* OR tyottomyy* OR tyopaik* OR talouskasvu* OR yrittaj* OR tyoelam* OR beskæftigelse* OR "
        "arbejdsløshed* OR arbejdsmarked* OR iværksætter* OR arbetsloshet* OR arbetsmarknad* OR entreprenor* "
        "OR arbeidsledig* OR arbeidsmarked* OR beschaftigung* OR arbeitslosigkeit* OR arbeitsmarkt* OR "
        "wirtschaftswachstum* OR arbeitsplatz* OR arbeitsplatze*)"
    ),
    "9": (
        "(infrastruktuur* OR innovaatio* OR teollisuu* OR laajakaist* OR infrastruktur* OR industri* OR "
        "bredbånd* OR bredband* OR innovationer OR breitband* OR industrie* OR forschung*)"
    ),
    "10": (
        "(eriarvoisuu* OR syrjin* OR maahanmuutta* OR pakolai* OR vammai* OR vahemmisto* OR yhdenvertai* OR "
        "ulighed* OR diskrimination* OR indvandrer* OR flygtning* OR diskriminering* OR invandrar* OR "
        "flykting* OR funktionsnedsattning* OR flyktning* OR funksjonshem* OR ungleichheit* OR "
        "diskriminierung* OR fluchtling* OR gefluchtete* OR behinderung* OR inklusion*)"
    ),
    "11": (
        "(kaupun* OR asunto* OR joukkoliikent* OR kaavoitu* OR byudvikling* OR bolig* OR kommune* OR "
        "byplanlægning* OR bostad* OR bostader OR kollektivtrafik* OR stadsplanering* OR byutvikling* OR "
        "stadt* OR stadte* OR wohnung* OR wohnraum* OR nahverkehr* OR wohnungsbau* OR kommunal*)"
    ),
    "12": (
        "(kiertotalou* OR kierratys* OR kierrat* OR jatehuol* OR jatteet OR jatteiden OR muovi* OR cirkulær* "
        'OR genbrug* OR affald* OR "hallbar konsumtion" OR sirkulær* OR kreislaufwirtschaft* OR abfall* OR '
        "abfalle* OR kunststoff* OR lebensmittelverschwendung*)"
    ),
    "13": (
        "(ilmasto* OR kasvihuone* OR hiilidioksid* OR hiilineutraal* OR klima* OR drivhusgas* OR vaxthusgas* OR "
        "klimagass* OR treibhausgas*)"
    ),
    "14": (
        "(meri OR meren* OR merialu* OR merellis* OR itameri* OR kalastu* OR kalakan* OR rannikko* OR "
        "vesiviljely* OR havmiljø* OR havbrug* OR kyst* OR havs* OR ostersjon* OR vattenbruk* OR meer* OR "
        "meeres* OR ozean* OR fischerei* OR kuste* OR aquakultur*)"
    ),
    "15": (
        '("luonnon monimuotoisuu*" OR metsa* OR ekosystee* OR uhanalai* OR luonnonsuojel* OR elinymparist* OR '
        'biodiversitet* OR skov* OR naturbeskyttelse* OR naturgenopretning* OR økosystem* OR "truede arter" OR '
        'ekosystem* OR "hotade arter" OR "biologisk mangfald" OR biodiversitat* OR artenvielfalt* OR wald* OR '
        "walder* OR okosystem* OR naturschutz* OR entwaldung* OR aufforstung*)"
    ),
    "16": (
        "(rauha* OR konflikt* OR vakival* OR korruptio* OR oikeusvalti* OR ihmisoikeu* OR demokrati* OR fred OR "
        'korruption* OR menneskerettighed* OR retsstat* OR vold OR "manskliga rattigheter" OR rattsstat* OR '
        "rettsstat* OR frieden* OR rechtsstaat* OR menschenrechte* OR gewalt OR transparenz*)"
    ),
    "17": (
        "(kumppanuu* OR kehitysyhteisty* OR kehitysapu* OR partnerskab* OR udviklingsbistand* OR "
        "udviklingssamarbejde* OR kapacitetsopbygning* OR utvecklingssamarbete* OR kapacitetsuppbyggnad* OR "
        "kapasitetsbygging* OR partnerschaft* OR entwicklungszusammenarbeit* OR entwicklungshilfe* OR "
        "kapazitatsaufbau* OR handelspolitik*)"
    ),
}

ATTRIBUTION = (
    "Goal and target wording: United Nations, A/RES/71/313 annex as revised by the 2025 comprehensive "
    "review (reuse with attribution to the UN). French and Spanish wording: official UN translations as "
    "maintained by open-sdg/sdg-translations (MIT). Seed queries: missionboard."
)


def _translations(folder: Path, language: str, kind: str) -> dict[str, str]:
    path = folder / "open-sdg-translations" / language / f"global_{kind}.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {str(k): " ".join(str(v).split()) for k, v in data.items()}


DEFINITIONS = Path(__file__).with_name("sdg.definitions.yaml")
"""The hand-written definition of each goal (its ``counts``, ``does_not_count`` and ``hard_negatives``)."""


def definitions(path: Path = DEFINITIONS) -> dict[str, dict[str, Any]]:
    """The goals' definitions by goal number, as written in ``path`` (each checked as a goal's
    ``definition`` is when the taxonomy loads)."""
    from missionboard.domain.mapping import GoalDefinition

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out: dict[str, dict[str, Any]] = {}
    for number, definition in data.items():
        try:
            GoalDefinition.model_validate(definition)
        except ValueError as exc:
            raise SystemExit(f"{path.name}: goal {number}: {exc}") from exc
        out[str(number)] = definition
    return out


def build(sdg_folder: Path) -> dict[str, Any]:
    structured = json.loads((sdg_folder / "sdg-goals-targets-indicators-structured.json").read_text())
    defined = definitions()
    undefined = sorted(set(structured) - set(defined), key=int)
    if undefined:
        raise SystemExit(f"{DEFINITIONS.name}: no definition for goal(s) {', '.join(undefined)}")
    en_goals = _translations(sdg_folder, "en", "goals")
    other = {
        lang: (_translations(sdg_folder, lang, "goals"), _translations(sdg_folder, lang, "targets"))
        for lang in ("es", "fr")
    }
    goals: list[dict[str, Any]] = []
    for number in sorted(structured, key=int):
        goal = structured[number]
        examples = []
        for lang in ("es", "fr"):
            g, _ = other[lang]
            examples.append(f"{g[f'{number}-short']}: {g[f'{number}-title']}")
        goals.append(
            {
                "code": number,
                "title": en_goals[f"{number}-short"],
                "description": " ".join(goal["name"].split()),
                "queries": [*SEED_QUERIES[number], NORTH_QUERIES[number]],
                "examples": examples,
                "definition": defined[number],
            }
        )
        for code, target in goal["targets"].items():
            key = code.replace(".", "-") + "-title"
            t_examples = [other[lang][1][key] for lang in ("es", "fr") if key in other[lang][1]]
            t_examples += [" ".join(i["description"].split()) for i in target.get("indicators", [])]
            goals.append(
                {
                    "code": code,
                    "parent": number,
                    "title": " ".join(target["description"].split()),
                    "examples": t_examples,
                }
            )
    return {
        "code": "sdg",
        "title": "UN Sustainable Development Goals",
        "description": "The 17 Sustainable Development Goals and their 169 targets. " + ATTRIBUTION,
        "attribution": ATTRIBUTION,
        "goals": goals,
    }


def write_vectors(out_folder: Path) -> None:
    """Embed the built-in taxonomies' prototypes into ``<code>.vectors.npz`` (after any YAML change)."""
    from missionboard.mapping.embedding import Embedder
    from missionboard.mapping.prototypes import write_packaged
    from missionboard.mapping.taxonomy import BUILTIN, builtin

    embedder = Embedder()
    for code in BUILTIN:
        builtin.cache_clear()
        print(write_packaged(builtin(code), embedder, out_folder))


def main(argv: list[str]) -> int:
    if argv and argv[0] == "vectors":
        write_vectors(Path(argv[1]))
        return 0
    sdg_folder, out_folder = Path(argv[0]), Path(argv[1])
    document = build(sdg_folder)
    text = "# Generated by missionboard.mapping.taxonomies.generate — do not edit by hand.\n"
    text += "# " + ATTRIBUTION + "\n"
    text += yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=110)
    (out_folder / "sdg.yaml").write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
