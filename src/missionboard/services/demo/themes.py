"""The vocabulary the demo portfolio is written in: per mission objective, what projects work on.

Texts are assembled from these phrases with a seeded random generator, so that the demo is the same
on every machine while reading like real project abstracts.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Theme:
    """A strand of work that projects serve; ``objective`` ties it to a demo mission objective."""

    key: str
    mission: str | None
    objective: str | None
    subjects: tuple[str, ...]
    contexts: tuple[str, ...]
    methods: tuple[str, ...]
    outcomes: tuple[str, ...]
    sectors: tuple[str, ...]
    weight: float = 1.0
    extra: dict[str, str] = field(default_factory=dict)


THEMES: tuple[Theme, ...] = (
    # --- school meals ------------------------------------------------------------------------
    Theme(
        "organic-procurement",
        "school-meals",
        "organic-share",
        subjects=(
            "organic vegetables for municipal school kitchens",
            "a regional organic dairy supply for schools",
            "tender criteria that reward organic and seasonal produce",
            "organic legumes grown for public meals",
            "a shared organic purchasing network for small municipalities",
            "organic bread from local mills",
        ),
        contexts=(
            "Municipal kitchens buy most food through framework agreements that reward the lowest price.",
            "Local organic farmers rarely win public tenders because lots are too large.",
            "The organic share of food in public meals has stalled in many municipalities.",
        ),
        methods=(
            "The consortium redesigns tender documents and splits lots so that small organic producers can bid.",
            "Procurement officers, farmers and chefs co-design seasonal menus around available organic produce.",
            "A digital marketplace matches kitchen demand with organic supply week by week.",
        ),
        outcomes=(
            "The aim is to raise the organic share of food purchased by participating kitchens above 60 per cent.",
            "Results feed the national guidance on sustainable food procurement.",
        ),
        sectors=("agriculture", "public procurement", "food"),
    ),
    Theme(
        "food-waste",
        "school-meals",
        "food-waste",
        subjects=(
            "plate waste in school canteens",
            "portion planning with attendance forecasts",
            "kitchen leftovers redistributed to after-school clubs",
            "weighing and feedback of food waste by pupils",
            "menu planning that matches pupils' appetite",
        ),
        contexts=(
            "Up to a third of the food served in school canteens ends up as waste.",
            "Kitchens cook for enrolled pupils, not for those who actually come to lunch.",
        ),
        methods=(
            "Smart scales record plate and kitchen waste every day and show it to pupils and cooks.",
            "Machine-readable attendance data is used to forecast the number of portions to cook.",
            "Pupils run waste-reduction challenges between classes with weekly feedback.",
        ),
        outcomes=(
            "The project aims to halve food waste per served meal in the pilot schools.",
            "A toolkit for measuring food waste will be shared with all municipalities.",
        ),
        sectors=("food", "education", "waste management"),
    ),
    Theme(
        "low-carbon-menus",
        "school-meals",
        "meal-climate",
        subjects=(
            "plant-based school menus",
            "legume-based dishes developed with pupils",
            "climate labelling of school lunch recipes",
            "low-carbon protein alternatives for public kitchens",
            "a recipe bank with climate footprints",
        ),
        contexts=(
            "Meat and dairy account for most of the climate footprint of a school meal.",
            "Cooks lack recipes that are both low-carbon and popular with children.",
        ),
        methods=(
            "Chefs and nutritionists develop and test plant-rich recipes in school kitchens.",
            "Life cycle assessment is used to calculate the climate footprint of every recipe.",
            "Pupils taste and rate new dishes before they enter the menu rotation.",
        ),
        outcomes=(
            "The goal is to cut the climate footprint per meal by half while keeping nutrition standards.",
            "Recipes and footprints are published as open data for all public kitchens.",
        ),
        sectors=("food", "climate", "health"),
    ),
    Theme(
        "meal-experience",
        "school-meals",
        "pupil-satisfaction",
        subjects=(
            "the school dining environment",
            "pupil participation in menu decisions",
            "noise and time pressure in school canteens",
            "taste education for young pupils",
            "school meals for pupils with special dietary needs",
        ),
        contexts=(
            "Many pupils skip lunch because the canteen is noisy and the break is short.",
            "Pupils are rarely asked what they think of school food.",
        ),
        methods=(
            "Designers, teachers and pupils redesign dining rooms and lunch schedules together.",
            "A pupil panel meets each term to evaluate menus with the kitchen staff.",
            "Researchers survey pupils and observe canteens before and after the changes.",
        ),
        outcomes=(
            "The project expects more pupils to eat, and like, their school lunch.",
            "Lessons learned will inform national recommendations on the meal environment.",
        ),
        sectors=("education", "health", "design"),
    ),
    # --- zero-emission ferries ---------------------------------------------------------------
    Theme(
        "battery-ferries",
        "zero-emission-ferries",
        "zero-emission-routes",
        subjects=(
            "battery-electric car ferries for fjord crossings",
            "hydrogen-electric propulsion for long ferry routes",
            "retrofitting diesel ferries to hybrid operation",
            "zero-emission high-speed passenger vessels",
            "a standard design for small electric ferries",
            "ammonia-fuelled propulsion for coastal routes",
        ),
        contexts=(
            "Most domestic ferry routes are still operated with diesel engines.",
            "Ferry contracts run for ten years, so each tender locks in the technology for a decade.",
        ),
        methods=(
            "The shipyard designs, builds and sea-trials the vessel with the ferry operator.",
            "The county tenders the route with a zero-emission requirement and a performance-based contract.",
            "Engineers model energy use on the route to size batteries and charging.",
        ),
        outcomes=(
            "The route is expected to sail with zero emissions from the next contract period.",
            "The design can be reused for other routes of similar length.",
        ),
        sectors=("maritime", "energy", "transport"),
        weight=1.4,
    ),
    Theme(
        "ship-efficiency",
        "zero-emission-ferries",
        "ferry-co2",
        subjects=(
            "hull optimisation for coastal ferries",
            "energy management systems on board",
            "route and speed optimisation for ferry operators",
            "measuring fuel consumption and emissions on board",
            "biofuel blends for remaining diesel ferries",
        ),
        contexts=(
            "Ferries emit several hundred thousand tonnes of CO2 every year.",
            "Operators lack reliable data on fuel use per crossing.",
        ),
        methods=(
            "Sensors log fuel use, speed and weather on every crossing.",
            "Naval architects test hull forms in the towing tank and at full scale.",
        ),
        outcomes=(
            "The measures are expected to cut fuel use and CO2 emissions by a fifth on the pilot routes.",
        ),
        sectors=("maritime", "climate"),
    ),
    Theme(
        "shore-charging",
        "zero-emission-ferries",
        "shore-power",
        subjects=(
            "high-power charging towers on ferry quays",
            "grid reinforcement for ferry charging",
            "shore power for vessels at berth",
            "hydrogen bunkering at a coastal port",
            "automated plug-in systems for short crossings",
        ),
        contexts=(
            "Electric ferries need megawatt charging on quays at the end of weak rural grids.",
            "Ports and grid companies plan investments on different timelines.",
        ),
        methods=(
            "The port, the grid company and the ferry operator plan and build the charging station together.",
            "Battery buffers on shore reduce the peak load on the local grid.",
        ),
        outcomes=(
            "The quay will offer charging for zero-emission ferries from the start of the new contract.",
        ),
        sectors=("energy", "maritime", "infrastructure"),
    ),
    Theme(
        "maritime-industry",
        "zero-emission-ferries",
        "maritime-jobs",
        subjects=(
            "export of zero-emission vessel designs",
            "a supplier network for maritime batteries",
            "skills for electric ship maintenance",
            "standardised battery rooms for ships",
            "a test centre for maritime energy systems",
        ),
        contexts=(
            "Coastal shipyards compete with low-cost yards abroad.",
            "Suppliers of green maritime technology are small and fragmented.",
        ),
        methods=(
            "Firms share test facilities and certification with the classification society.",
            "Vocational schools and shipyards develop courses on high-voltage systems.",
        ),
        outcomes=("The cluster expects new contracts and jobs in green maritime technology.",),
        sectors=("maritime", "manufacturing", "skills"),
    ),
    # --- circular construction ---------------------------------------------------------------
    Theme(
        "material-reuse",
        "circular-construction",
        "reused-materials",
        subjects=(
            "reuse of bricks from demolished buildings",
            "a marketplace for reclaimed building components",
            "material passports for new buildings",
            "recycled concrete aggregates in structural concrete",
            "reusable steel beams certified for new construction",
            "reuse of windows and doors in renovation",
        ),
        contexts=(
            "Less than a tenth of building materials in new construction are reused or recycled.",
            "Reclaimed components lack documentation and warranties, so designers avoid them.",
        ),
        methods=(
            "The partners test and certify reclaimed components against current building standards.",
            "A digital registry records the materials of each building so they can be reused later.",
            "A municipal housing company demands reused materials in its next tenders.",
        ),
        outcomes=(
            "The pilot buildings will use at least half reused or recycled materials.",
            "Guidance for certifying reused components will be proposed to the standards body.",
        ),
        sectors=("construction", "circular economy", "materials"),
        weight=1.3,
    ),
    Theme(
        "demolition-waste",
        "circular-construction",
        "construction-waste",
        subjects=(
            "selective demolition of public buildings",
            "sorting construction waste on site",
            "mapping materials before demolition",
            "take-back schemes for plasterboard and insulation",
            "reducing waste from building sites",
        ),
        contexts=(
            "Construction and demolition waste is the largest waste stream in the country.",
            "Mixed demolition waste is landfilled or downcycled because it is not sorted.",
        ),
        methods=(
            "Contractors pilot selective demolition with pre-demolition audits.",
            "Sensors and apps track waste fractions from each building site.",
        ),
        outcomes=("The project aims to halve the mixed waste from the pilot sites.",),
        sectors=("construction", "waste management"),
    ),
    Theme(
        "embodied-carbon",
        "circular-construction",
        "embodied-carbon",
        subjects=(
            "low-carbon concrete mixes",
            "timber and hybrid structures for apartment blocks",
            "life cycle assessment in early building design",
            "bio-based insulation materials",
            "carbon limits for public buildings",
        ),
        contexts=(
            "Embodied carbon in materials makes up most of a new building's lifetime emissions.",
            "Designers rarely calculate embodied carbon before the design is fixed.",
        ),
        methods=(
            "Architects and engineers compare design options with life cycle assessment.",
            "The material producer tests new mixes in full-scale elements.",
        ),
        outcomes=("The buildings are designed to stay below the coming limit values for embodied carbon.",),
        sectors=("construction", "climate", "materials"),
    ),
    # --- drought resilience ------------------------------------------------------------------
    Theme(
        "water-harvesting",
        "drought-resilience",
        "water-access",
        subjects=(
            "sand dams on seasonal rivers",
            "rock catchments and water pans",
            "solar-powered boreholes",
            "rooftop rainwater harvesting for schools",
            "community water management committees",
            "rehabilitation of livestock watering points",
        ),
        contexts=(
            "In dry seasons women walk for hours to fetch water and herds die far from water points.",
            "Many water points break down because nobody is responsible for repairs.",
        ),
        methods=(
            "Communities choose the sites and contribute labour; engineers supervise construction.",
            "Water committees are trained to manage, repair and charge for the water points.",
        ),
        outcomes=("Households will have water for people and livestock through the dry season.",),
        sectors=("water", "agriculture", "climate adaptation"),
        weight=1.3,
    ),
    Theme(
        "drought-crops",
        "drought-resilience",
        "crop-loss",
        subjects=(
            "drought-tolerant sorghum and millet seed",
            "conservation agriculture for smallholders",
            "small-scale drip irrigation",
            "fodder production for dry seasons",
            "farmer field schools",
        ),
        contexts=(
            "Smallholder harvests fail in most drought years.",
            "Farmers lack access to seed varieties that tolerate late and short rains.",
        ),
        methods=(
            "Researchers and farmer groups test varieties and practices in farmer field schools.",
            "Agro-dealers are linked to seed producers to make improved seed available.",
        ),
        outcomes=("Harvest losses in drought years are expected to fall in the participating wards.",),
        sectors=("agriculture", "climate adaptation", "food security"),
    ),
    Theme(
        "early-warning",
        "drought-resilience",
        "early-warning",
        subjects=(
            "drought early warning bulletins",
            "forecast-based financing for early action",
            "community-based drought monitoring",
            "mobile alerts for herders",
            "satellite vegetation monitoring",
        ),
        contexts=(
            "Warnings arrive late and do not say what households should do.",
            "Response money is released only after a drought emergency is declared.",
        ),
        methods=(
            "Forecasts trigger pre-agreed early actions such as destocking and cash transfers.",
            "Community monitors report pasture and water conditions by mobile phone.",
        ),
        outcomes=(
            "Every household in the target counties will receive timely warnings with advice on action.",
        ),
        sectors=("disaster risk reduction", "climate adaptation"),
    ),
    Theme(
        "risk-finance",
        "drought-resilience",
        "insured-herders",
        subjects=(
            "index-based livestock insurance",
            "shock-responsive cash transfers",
            "savings groups for pastoralists",
            "crop insurance bundled with seed",
            "drought contingency funds for counties",
        ),
        contexts=(
            "A single drought can wipe out a family's herd and savings.",
            "Few pastoral households can buy insurance or access credit.",
        ),
        methods=(
            "Insurers design index products using satellite pasture data; premiums are partly subsidised.",
            "Safety-net payments scale up automatically when drought indicators cross thresholds.",
        ),
        outcomes=("More households will be protected against drought losses.",),
        sectors=("finance", "social protection", "climate adaptation"),
    ),
    # --- the rest of an agency's portfolio (not serving the demo missions) ------------------------
    Theme(
        "ai-companies",
        "digital-leadership",
        "ai-adoption",
        subjects=(
            "machine learning in small manufacturing firms",
            "AI-based quality control on production lines",
            "language models for customer service",
            "predictive maintenance with artificial intelligence",
        ),
        contexts=(
            "Small firms struggle to adopt artificial intelligence.",
            "Few small firms have the data or the staff to try machine learning on their own.",
        ),
        methods=(
            "A research institute helps firms build and validate models on their own data.",
            "Each firm runs a short proof of concept before deciding whether to invest.",
        ),
        outcomes=(
            "The firms expect productivity gains from AI.",
            "Firms that took part are expected to keep using the models in daily operation.",
        ),
        sectors=("digital", "manufacturing"),
        weight=0.8,
    ),
    Theme(
        "digital-health",
        None,
        None,
        subjects=(
            "remote monitoring of patients with heart failure",
            "digital triage in primary care",
            "interoperable health records",
            "home rehabilitation after stroke with sensors",
        ),
        contexts=(
            "Primary care is under pressure from an ageing population.",
            "Patients with chronic conditions are often admitted to hospital for problems caught too late.",
        ),
        methods=(
            "Clinicians and developers test the service with patients in a randomised trial.",
            "The service is introduced step by step, clinic by clinic, and compared with usual care.",
        ),
        outcomes=(
            "The service is expected to reduce hospital admissions.",
            "Patients are expected to spend more days at home and fewer in hospital.",
        ),
        sectors=("health", "digital"),
        weight=0.9,
    ),
    Theme(
        "advanced-manufacturing",
        None,
        None,
        subjects=(
            "additive manufacturing of metal parts",
            "collaborative robots for small workshops",
            "digital twins of production lines",
            "precision casting of turbine components",
        ),
        contexts=(
            "Manufacturers must raise productivity to stay competitive.",
            "Short series and many product variants make automation hard for subcontractors.",
        ),
        methods=(
            "The partners build a demonstrator line at the university's test bed.",
            "Engineers from the firms work alongside researchers on their own production lines.",
        ),
        outcomes=(
            "The results will be offered to subcontractors across the region.",
            "Scrap rates and lead times are expected to fall in the participating plants.",
        ),
        sectors=("manufacturing", "digital"),
        weight=0.8,
    ),
    Theme(
        "quantum-space",
        None,
        None,
        subjects=(
            "quantum sensors for navigation",
            "small satellites for Arctic monitoring",
            "photonic chips for secure communication",
        ),
        contexts=(
            "Frontier technologies open new markets for research-intensive firms.",
            "Europe depends on a few suppliers abroad for critical components.",
        ),
        methods=(
            "Researchers develop and test prototypes in the laboratory.",
            "Prototypes are tested in field campaigns under real conditions.",
        ),
        outcomes=(
            "The work will produce publications, patents and trained researchers.",
            "A working prototype is expected to be ready for industrial partners.",
        ),
        sectors=("research", "space", "digital"),
        weight=0.5,
    ),
)

ACTIVITIES: dict[str, tuple[str, ...]] = {
    # what a project on a subject does, as its title would say it: the verb takes an object it fits
    "plate waste in school canteens": (
        "Reducing plate waste in school canteens",
        "Plate waste in school canteens: measuring and reducing it",
    ),
    "portion planning with attendance forecasts": ("Forecasting attendance to plan school lunch portions",),
    "kitchen leftovers redistributed to after-school clubs": (
        "Redistributing school kitchen leftovers to after-school clubs",
    ),
    "weighing and feedback of food waste by pupils": ("Weighing food waste with pupils",),
    "menu planning that matches pupils' appetite": ("Planning school menus around pupils' appetite",),
    "organic vegetables for municipal school kitchens": (
        "Bringing organic vegetables into municipal school kitchens",
    ),
    "tender criteria that reward organic and seasonal produce": (
        "Rewarding organic and seasonal produce in food tenders",
    ),
    "organic legumes grown for public meals": ("Growing organic legumes for public meals",),
    "plant-based school menus": ("Introducing plant-based school menus",),
    "legume-based dishes developed with pupils": ("Developing legume-based dishes with pupils",),
    "climate labelling of school lunch recipes": ("Labelling school lunch recipes by their climate footprint",),
    "noise and time pressure in school canteens": ("Reducing noise and time pressure in school canteens",),
    "pupil participation in menu decisions": ("Involving pupils in menu decisions",),
    "battery-electric car ferries for fjord crossings": (
        "Electrifying car ferries on fjord crossings",
        "Building battery-electric car ferries for fjord crossings",
    ),
    "retrofitting diesel ferries to hybrid operation": ("Retrofitting diesel ferries to hybrid operation",),
    "a standard design for small electric ferries": ("Designing a standard small electric ferry",),
    "hull optimisation for coastal ferries": ("Optimising the hulls of coastal ferries",),
    "measuring fuel consumption and emissions on board": ("Measuring fuel use and emissions on board",),
    "route and speed optimisation for ferry operators": ("Optimising ferry routes and speeds",),
    "high-power charging towers on ferry quays": ("Building high-power charging towers on ferry quays",),
    "grid reinforcement for ferry charging": ("Reinforcing the grid for ferry charging",),
    "a test centre for maritime energy systems": ("Establishing a test centre for maritime energy systems",),
    "skills for electric ship maintenance": ("Training technicians to maintain electric ships",),
    "reuse of bricks from demolished buildings": ("Reusing bricks from demolished buildings",),
    "material passports for new buildings": ("Issuing material passports for new buildings",),
    "reusable steel beams certified for new construction": ("Certifying reclaimed steel beams for new construction",),
    "reuse of windows and doors in renovation": ("Reusing windows and doors in renovation",),
    "selective demolition of public buildings": ("Demolishing public buildings selectively",),
    "sorting construction waste on site": ("Sorting construction waste on site",),
    "mapping materials before demolition": ("Mapping materials before demolition",),
    "reducing waste from building sites": ("Reducing waste from building sites",),
    "low-carbon concrete mixes": ("Testing low-carbon concrete mixes in full-scale elements",),
    "life cycle assessment in early building design": ("Assessing embodied carbon in early building design",),
    "sand dams on seasonal rivers": ("Building sand dams on seasonal rivers",),
    "rock catchments and water pans": ("Constructing rock catchments and water pans",),
    "solar-powered boreholes": ("Equipping boreholes with solar pumps",),
    "rooftop rainwater harvesting for schools": ("Harvesting rainwater from school roofs",),
    "rehabilitation of livestock watering points": ("Rehabilitating livestock watering points",),
    "community water management committees": ("Training community water management committees",),
    "drought-tolerant sorghum and millet seed": ("Multiplying drought-tolerant sorghum and millet seed",),
    "small-scale drip irrigation": ("Introducing small-scale drip irrigation",),
    "fodder production for dry seasons": ("Producing fodder for the dry season",),
    "community-based drought monitoring": ("Monitoring drought with community reporters",),
    "mobile alerts for herders": ("Sending drought alerts to herders by mobile phone",),
    "satellite vegetation monitoring": ("Monitoring pasture from satellites",),
    "index-based livestock insurance": ("Insuring livestock against drought with a pasture index",),
    "savings groups for pastoralists": ("Setting up savings groups for pastoralists",),
    "machine learning in small manufacturing firms": ("Bringing machine learning into small manufacturing firms",),
    "predictive maintenance with artificial intelligence": ("Predicting machine failures with artificial intelligence",),
    "remote monitoring of patients with heart failure": ("Monitoring patients with heart failure at home",),
    "home rehabilitation after stroke with sensors": ("Rehabilitating stroke patients at home with sensors",),
}  # fmt: skip
"""Subjects without an entry are titled with a noun-phrase pattern only (``portfolio.TITLE_PATTERNS``)."""
