"""The demo's closed consultation on the school-meals mission: several hundred realistic responses.

Respondents speak for the four helix groups in the proportions a national consultation on school
meals gets (many parents, pupils and kitchen staff; fewer suppliers and researchers). Each group
stresses its own concerns, so that the synthesis has real themes to find; about a quarter answer in
Swedish or Norwegian. Ratings differ between groups where they would: suppliers find the organic
target unrealistic and unimportant, parents and pupils want more of it; researchers find the climate
target timid while suppliers find it too steep; everybody agrees that food waste matters.

``generate()`` is pure and deterministic (fixed seed); ``load()`` runs it through the consultation
services as a real consultation would go: opened to the public, answered online (each answer with
its own client key, dated within the consultation period), workshop and paper answers imported from
CSV, two spam answers hidden by the moderator with a reason, closed.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from missionboard.domain.consultations import (
    Answer,
    Audience,
    Proposal,
    ProposalKind,
    Rating,
    Submission,
)
from missionboard.domain.missions import HelixType, Level
from missionboard.store.workspace import Workspace

MISSION = "school-meals"
CONSULTATION = "school-meals-2026"
TITLE = "Sustainable school meals: consultation on the 2026 mission draft"
PURPOSE = (
    "The mission board wants to hear from pupils, parents, kitchen staff, municipalities, suppliers and "
    "researchers before it revises the mission's objectives for the next programme period: what matters "
    "most, whether the targets are too timid or too steep, and what the mission has missed."
)
OPENS = dt.date(2026, 9, 1)
CLOSES = dt.date(2026, 10, 15)
OWNER = "demo"
MODERATOR = "demo moderator"
SEED = 2026
RESPONSES = 420
ONLINE = 140
"""Responses sent through the public page; the rest come from workshops and paper forms (CSV)."""
PROPOSALS = 60
OBJECTIVES = ("organic-share", "food-waste", "meal-climate", "pupil-satisfaction")

HELIX_SHARE = {
    HelixType.CIVIL_SOCIETY: 0.42,
    HelixType.GOVERNMENT: 0.30,
    HelixType.INDUSTRY: 0.16,
    HelixType.RESEARCH: 0.12,
}
LEVEL_SHARE = {
    HelixType.CIVIL_SOCIETY: {Level.LOCAL: 0.78, Level.REGIONAL: 0.1, Level.NATIONAL: 0.12},
    HelixType.GOVERNMENT: {Level.LOCAL: 0.62, Level.REGIONAL: 0.22, Level.NATIONAL: 0.16},
    HelixType.INDUSTRY: {
        Level.LOCAL: 0.3,
        Level.REGIONAL: 0.3,
        Level.NATIONAL: 0.32,
        Level.INTERNATIONAL: 0.08,
    },
    HelixType.RESEARCH: {Level.NATIONAL: 0.62, Level.REGIONAL: 0.18, Level.INTERNATIONAL: 0.2},
}
LANGUAGE_SHARE = {"en": 0.76, "sv": 0.17, "nb": 0.07}

# Which concerns each group raises, as weights over the themes below.
EMPHASIS = {
    HelixType.CIVIL_SOCIETY: {
        "pupils": 32,
        "diets": 14,
        "scratch": 14,
        "plant": 12,
        "local": 12,
        "waste": 8,
        "cost": 8,
    },
    HelixType.GOVERNMENT: {
        "cost": 26,
        "scratch": 24,
        "waste": 20,
        "local": 12,
        "plant": 8,
        "pupils": 7,
        "diets": 3,
    },
    HelixType.INDUSTRY: {"local": 42, "cost": 18, "plant": 16, "waste": 12, "scratch": 8, "pupils": 4},
    HelixType.RESEARCH: {"plant": 34, "waste": 26, "pupils": 16, "local": 10, "cost": 8, "scratch": 6},
}

# Sentences people wrote, per theme and language; "group" sentences are only said by that helix group.
ANY = None
T = TypeVar("T")
# fmt: off
BANK: dict[str, list[tuple[HelixType | None, str, str]]] = {
    "scratch": [
        (ANY, "en", "{Meals cooked from scratch|Food cooked from scratch|Meals made} in the school's own kitchen {taste better|are far better|are eaten more} than food reheated from a central kitchen."),
        (ANY, "en", "Our school kitchen was closed {ten|eight|twelve} years ago and the food now arrives {lukewarm|half cold|overcooked} in plastic boxes."),
        (HelixType.GOVERNMENT, "en", "Our kitchen staff need {training|time for training} and more {hours|staff hours} to cook fresh food instead of heating ready-made components."),
        (HelixType.GOVERNMENT, "en", "{Many|Most of our|Half of our} school kitchens lack ovens, cold rooms and space to prepare vegetables, so cooking from scratch is {impossible|not realistic}."),
        (HelixType.GOVERNMENT, "en", "It is {hard|very hard|almost impossible} to recruit cooks, because the job is badly paid and the kitchens are understaffed."),
        (ANY, "en", "Bring back real cooks in every school, {the people who know the children's names|people who know the children and care}."),
        (ANY, "en", "Having fresh {bread|salads|vegetables} prepared on site makes a big difference to how the meal is received."),
        (HelixType.CIVIL_SOCIETY, "en", "As a parent I would rather see fewer processed components and more home-made dishes."),
        (HelixType.INDUSTRY, "en", "Semi-prepared components help kitchens that lack staff, but they should be made from clean ingredients."),
        (ANY, "sv", "Maten borde lagas från grunden i skolans eget kök i stället för att {värmas upp|transporteras från ett centralkök}."),
        (HelixType.GOVERNMENT, "sv", "Kökspersonalen behöver mer tid och utbildning för att kunna laga mat från grunden."),
        (HelixType.GOVERNMENT, "sv", "Många tillagningskök saknar utrustning och utrymme, så vi tvingas köpa färdiga komponenter."),
        (ANY, "sv", "Det är {svårt|mycket svårt} att rekrytera kockar till skolköken eftersom lönerna är låga."),
        (ANY, "nb", "Maten bør lages fra bunnen av på skolens eget kjøkken, ikke varmes opp fra et sentralkjøkken."),
        (ANY, "nb", "Skolekjøkkenene mangler både utstyr og ansatte til å lage fersk mat hver dag."),
    ],
    "local": [
        (ANY, "en", "{Public procurement rules|The procurement rules|Tender rules} still reward the cheapest {tender|bid|offer} instead of local and organic {produce|food}."),
        (HelixType.INDUSTRY, "en", "Small local {farmers|producers|farms} cannot bid because tenders bundle the whole {municipality|region} into one huge contract."),
        (HelixType.INDUSTRY, "en", "As a supplier we can deliver organic {vegetables|root vegetables|dairy}, but only if contracts run long enough to plan {the harvest|production}."),
        (HelixType.INDUSTRY, "en", "The organic target ignores the price premium, and our margins on public contracts are already {close to zero|very thin}."),
        (HelixType.INDUSTRY, "en", "Domestic conventional produce often has a smaller footprint than imported organic food, so the organic share is {the wrong measure|a poor indicator}."),
        (HelixType.GOVERNMENT, "en", "Our procurement officers need templates for splitting tenders into lots that local producers can win."),
        (ANY, "en", "I would like {more food|more vegetables and meat|more produce} from farms in our own region on the school menu."),
        (HelixType.GOVERNMENT, "en", "Dynamic purchasing systems let us add new local suppliers during the contract period."),
        (HelixType.INDUSTRY, "en", "Wholesalers could bundle deliveries from small farms if the municipalities accepted mixed sourcing."),
        (HelixType.CIVIL_SOCIETY, "en", "Organic food should be the norm for {children|all pupils}, not a luxury that depends on the municipality's budget."),
        (HelixType.RESEARCH, "en", "The evidence that organic procurement alone improves health or climate outcomes is weak."),
        (ANY, "sv", "Upphandlingsreglerna gynnar {fortfarande|alltid} det billigaste anbudet i stället för lokala och ekologiska råvaror."),
        (HelixType.INDUSTRY, "sv", "Små lokala producenter kan inte lämna anbud när hela kommunen upphandlas i ett enda stort avtal."),
        (HelixType.INDUSTRY, "sv", "Målet för ekologisk andel är orealistiskt med dagens priser och korta avtalstider."),
        (HelixType.CIVIL_SOCIETY, "sv", "Barnen borde få ekologisk mat från närområdet, inte importerade billiga råvaror."),
        (ANY, "nb", "Anbudsreglene belønner {fortsatt|alltid} laveste pris framfor lokal og økologisk mat."),
        (HelixType.INDUSTRY, "nb", "Små lokale bønder har ingen sjanse når kommunen samler alt i én stor kontrakt."),
    ],
    "plant": [
        (HelixType.RESEARCH, "en", "Replacing part of the meat with {legumes|beans and lentils} is the {single most|most} effective way to cut the climate footprint of a meal."),
        (HelixType.RESEARCH, "en", "A plant-based default with meat on request halves emissions without lowering pupils' satisfaction in our trials."),
        (HelixType.RESEARCH, "en", "The climate target is too timid: plant-rich menus already reach 0.5 kg CO2e per meal in several municipalities."),
        (HelixType.RESEARCH, "en", "Climate labelling of the menu helps kitchens plan, but it must be based on the same calculation method everywhere."),
        (ANY, "en", "{More vegetarian days|Two vegetarian days a week|More vegetarian dishes} would be good for the climate as long as {the dishes are|the food is} tasty and filling."),
        (HelixType.CIVIL_SOCIETY, "en", "{Some|Many} parents worry that vegetarian meals do not give growing children enough protein and iron."),
        (HelixType.INDUSTRY, "en", "Cutting meat so fast will hurt {our local livestock farmers|local beef and lamb producers}, who also keep the landscape open."),
        (HelixType.INDUSTRY, "en", "Halving the footprint by 2030 is too steep for kitchens that have just changed suppliers."),
        (HelixType.GOVERNMENT, "en", "We need recipes for bean and lentil dishes that work in large batches and that children actually like."),
        (HelixType.RESEARCH, "en", "Menus with less meat but better meat, from local pastures, are both climate-smart and popular."),
        (ANY, "en", "Plant-based food must be introduced gradually and explained, or pupils and parents will resist it."),
        (ANY, "sv", "Fler vegetariska rätter med {baljväxter|bönor och linser} skulle minska klimatavtrycket rejält."),
        (HelixType.RESEARCH, "sv", "Klimatmålet är för försiktigt, eftersom växtbaserade menyer redan når målet i flera kommuner."),
        (HelixType.CIVIL_SOCIETY, "sv", "Vissa föräldrar oroar sig för att den vegetariska maten inte ger barnen tillräckligt med protein."),
        (HelixType.INDUSTRY, "sv", "Att halvera köttet så snabbt drabbar svenska bönder som håller landskapet öppet."),
        (ANY, "nb", "Flere plantebaserte retter med belgfrukter vil kutte klimautslippene fra skolematen."),
        (HelixType.RESEARCH, "nb", "Klimamålet er for lite ambisiøst, for plantebaserte menyer er allerede der i flere kommuner."),
    ],
    "waste": [
        (ANY, "en", "{Far too much|Too much|A shocking amount of} food ends up in the bin, and portions are the same size for six-year-olds and teenagers."),
        (HelixType.GOVERNMENT, "en", "Weighing plate waste every week showed us which dishes pupils leave and helped us cut waste by {a third|a quarter|almost half}."),
        (HelixType.GOVERNMENT, "en", "Kitchen waste comes from ordering too much; better forecasts of how many pupils eat would help."),
        (HelixType.RESEARCH, "en", "Plate waste is a symptom: it falls when pupils have enough time to eat and {like the food|enjoy the meal}."),
        (HelixType.RESEARCH, "en", "A common method for measuring food waste is needed, or municipalities cannot be compared."),
        (ANY, "en", "Leftovers could be {sold cheaply|given to families|served the next day} instead of thrown away."),
        (HelixType.GOVERNMENT, "en", "We halved our kitchen waste by planning portions from the attendance list instead of the enrolment figures."),
        (HelixType.RESEARCH, "en", "Serving vegetables first, before the main dish, raises intake and lowers what is scraped off the plates."),
        (HelixType.CIVIL_SOCIETY, "en", "Younger pupils should be able to take a small portion first and come back for more, so less is thrown away."),
        (ANY, "en", "The food waste target is realistic if every school weighs what comes back from the plates."),
        (HelixType.INDUSTRY, "en", "Suppliers could take back surplus bread and fruit if the kitchens ordered with a few days' notice."),
        (ANY, "sv", "{Alldeles för mycket|För mycket} mat slängs, och portionerna är lika stora för sexåringar som för tonåringar."),
        (HelixType.GOVERNMENT, "sv", "När vi började väga tallrikssvinnet varje vecka minskade matsvinnet med en tredjedel."),
        (ANY, "sv", "Överbliven mat kunde säljas billigt eller serveras dagen efter i stället för att slängas."),
        (ANY, "nb", "Altfor mye mat kastes, og porsjonene er like store for seksåringer og tenåringer."),
        (HelixType.GOVERNMENT, "nb", "Da vi begynte å veie tallerkensvinnet, gikk matsvinnet ned med en tredjedel."),
    ],
    "pupils": [
        (ANY, "en", "{Pupils|Our pupils|The children} get {fifteen|barely fifteen|less than twenty} minutes to eat in a noisy hall and many skip lunch altogether."),
        (HelixType.CIVIL_SOCIETY, "en", "Ask the pupils: the pupils' council should have {a real say|a say|real influence} on the menu."),
        (HelixType.CIVIL_SOCIETY, "en", "My {children say|kids tell me} the canteen is so loud and crowded that they would rather buy a snack on the way home."),
        (HelixType.CIVIL_SOCIETY, "en", "We pupils want food that tastes good and looks {appetising|nice}, not just healthy food on paper."),
        (HelixType.CIVIL_SOCIETY, "en", "Lunch should be {scheduled|served} at a sensible time, because eating at half past ten is not lunch."),
        (HelixType.RESEARCH, "en", "The meal environment, time to eat and adults eating with the children matter as much as the recipe."),
        (HelixType.GOVERNMENT, "en", "Schools that let pupils taste and vote on new dishes see more of them eat the meal."),
        (ANY, "en", "The dining room should be a calm place where children can sit {with their friends|together and talk}."),
        (HelixType.CIVIL_SOCIETY, "en", "Teenagers leave school at lunch to buy fast food because the menu never changes."),
        (HelixType.CIVIL_SOCIETY, "en", "Pupils should help choose and name the dishes, then they are proud to eat them."),
        (HelixType.RESEARCH, "en", "Satisfaction surveys should ask pupils directly, not only the school staff."),
        (ANY, "sv", "Eleverna får bara {femton|tjugo} minuter att äta i en {bullrig|stökig} matsal och många hoppar över lunchen."),
        (HelixType.CIVIL_SOCIETY, "sv", "Fråga eleverna: elevrådet borde få vara med och bestämma över matsedeln."),
        (HelixType.CIVIL_SOCIETY, "sv", "Min dotter säger att matsalen är så stökig att hon hellre köper något på vägen hem."),
        (ANY, "sv", "Lunchen ska ligga på en rimlig tid; att äta halv elva är ingen lunch."),
        (ANY, "nb", "Elevene får bare {et kvarter|tjue minutter} til å spise i en støyende kantine, og mange dropper lunsjen."),
        (HelixType.CIVIL_SOCIETY, "nb", "Spør elevene: elevrådet bør få bestemme mer over menyen."),
    ],
    "cost": [
        (HelixType.GOVERNMENT, "en", "The budget per {meal|portion} has not followed food prices, and we cannot raise quality without more money."),
        (HelixType.GOVERNMENT, "en", "Small municipalities cannot fund new kitchens on their own, so the state should co-finance {investments|the investments}."),
        (HelixType.GOVERNMENT, "en", "Every new requirement costs money, and the mission does not say who pays for it."),
        (ANY, "en", "A good school meal is an investment in {health and learning|children's health and learning}, and it should be funded as one."),
        (HelixType.GOVERNMENT, "en", "A cheap tender saves a few kronor per portion and costs us more in waste and complaints."),
        (HelixType.GOVERNMENT, "en", "Our meal budget is cut every year while the number of pupils with special needs grows."),
        (HelixType.INDUSTRY, "en", "Index-linked contract prices would let suppliers offer better quality without taking all the risk."),
        (HelixType.INDUSTRY, "en", "Price rises for energy and transport make the current contract prices unsustainable."),
        (HelixType.CIVIL_SOCIETY, "en", "School meals must stay free for every child, whatever the {municipality's finances|local budget}."),
        (HelixType.RESEARCH, "en", "Cost per meal should be reported with quality indicators, or the cheapest option always wins."),
        (HelixType.GOVERNMENT, "sv", "Budgeten per portion har inte följt livsmedelspriserna och vi kan inte höja kvaliteten utan mer pengar."),
        (HelixType.GOVERNMENT, "sv", "Små kommuner har inte råd att bygga nya kök; staten borde vara med och finansiera."),
        (ANY, "sv", "Skolmaten är en investering i barnens hälsa och lärande och ska finansieras som en sådan."),
        (HelixType.GOVERNMENT, "nb", "Budsjettet per måltid har ikke fulgt matprisene, og vi kan ikke heve kvaliteten uten mer penger."),
        (ANY, "nb", "Skolematen er en investering i barnas helse og læring og bør finansieres deretter."),
    ],
    "diets": [
        (HelixType.CIVIL_SOCIETY, "en", "Children with allergies often get a {dull|boring} separate dish instead of a safe version of the same meal."),
        (HelixType.CIVIL_SOCIETY, "en", "Halal and vegetarian options should be as good as the main dish, not an afterthought."),
        (ANY, "en", "Special diets need clear labelling of allergens on every dish{, every day|}."),
        (HelixType.GOVERNMENT, "en", "A fifth of our portions are now special diets, which takes a lot of kitchen time."),
        (HelixType.CIVIL_SOCIETY, "en", "My daughter has coeliac disease and the gluten-free option is often just plain rice."),
        (HelixType.CIVIL_SOCIETY, "en", "Families from many cultures should recognise some of the dishes on the menu."),
        (HelixType.CIVIL_SOCIETY, "sv", "Barn med allergier får ofta en tråkig specialkost i stället för en säker variant av samma rätt."),
        (ANY, "sv", "Specialkosten behöver tydlig allergenmärkning på varje rätt."),
        (HelixType.CIVIL_SOCIETY, "nb", "Barn med allergier får ofte en kjedelig egen rett i stedet for en trygg versjon av samme måltid."),
    ],
}
# fmt: on

GENERIC = {
    "en": [
        "Good initiative.",
        "Thank you for asking.",
        "Keep it up!",
        "I fully support the mission.",
        "Please listen to the people who cook and eat the food.",
    ],
    "sv": ["Bra initiativ.", "Tack för att ni frågar!", "Lyssna på dem som lagar och äter maten."],
    "nb": ["Godt initiativ.", "Takk for at dere spør!", "Lytt til dem som lager og spiser maten."],
}

OPENERS_EN = ["In my experience,", "Honestly,", "From our side,", "To be clear,", "Above all,", "In short,"]

# Proposals: (kind, group or ANY, language, text).
# fmt: off
PROPOSAL_BANK: list[tuple[str, HelixType | None, str, str]] = [
    ("objective", HelixType.CIVIL_SOCIETY, "en", "Every pupil has at least twenty minutes to eat lunch, seated, in a calm dining room."),
    ("objective", HelixType.CIVIL_SOCIETY, "en", "Every school has a pupils' meal council that is consulted on the menu each term."),
    ("objective", HelixType.GOVERNMENT, "en", "Four out of five school meals are cooked from scratch in the school's own kitchen by 2030."),
    ("objective", HelixType.GOVERNMENT, "en", "Every school kitchen measures plate waste at least one week per term and publishes the result."),
    ("objective", HelixType.INDUSTRY, "en", "A quarter of the food served comes from producers within 150 km of the school."),
    ("objective", HelixType.INDUSTRY, "en", "Replace the organic share with a target for the climate footprint and animal welfare of the food bought."),
    ("objective", HelixType.RESEARCH, "en", "Halve the meat served per pupil and double the legumes by 2030."),
    ("objective", HelixType.RESEARCH, "en", "Every municipality reports the climate footprint of its menus with one national calculation method."),
    ("objective", HelixType.RESEARCH, "en", "Pupils' intake of vegetables, fruit and whole grains at school rises by a third."),
    ("objective", ANY, "en", "No child in the country goes without a free, nutritious school lunch."),
    ("objective", ANY, "en", "Allergy and special-diet meals are as varied as the main menu in every school."),
    ("objective", HelixType.GOVERNMENT, "en", "Every kitchen employee gets at least two days of training in plant-based and from-scratch cooking each year."),
    ("objective", HelixType.CIVIL_SOCIETY, "en", "Cut the sugar in school desserts and drinks by half."),
    ("objective", HelixType.CIVIL_SOCIETY, "en", "Every school offers a free breakfast to pupils who arrive hungry."),
    ("objective", HelixType.CIVIL_SOCIETY, "en", "Pupils' satisfaction with lunch is measured every year in every school, not only in pilots."),
    ("objective", HelixType.CIVIL_SOCIETY, "en", "No pupil with an allergy eats alone or from a separate menu."),
    ("objective", HelixType.GOVERNMENT, "en", "Kitchen waste per portion is reported monthly by every municipality with one method."),
    ("objective", HelixType.GOVERNMENT, "en", "Every municipality has a meal policy adopted by its council by 2027."),
    ("objective", HelixType.INDUSTRY, "en", "Half of the fish served is certified as sustainably caught."),
    ("objective", HelixType.INDUSTRY, "en", "Public contracts for food include a price adjustment clause for every product group."),
    ("objective", HelixType.RESEARCH, "en", "The climate footprint of the average school meal is below 0.4 kg CO2e by 2030."),
    ("objective", HelixType.RESEARCH, "en", "Every school meal meets the national nutrition recommendations, checked by an independent audit."),
    ("solution", HelixType.INDUSTRY, "en", "Split food tenders into small lots by product group and region so that local farms can bid."),
    ("solution", HelixType.INDUSTRY, "en", "A shared digital ordering platform where small producers can offer seasonal produce to school kitchens."),
    ("solution", HelixType.GOVERNMENT, "en", "Smart scales at the plate return so pupils can see how much food is wasted each day."),
    ("solution", HelixType.GOVERNMENT, "en", "A national investment fund that co-finances the renovation of school kitchens."),
    ("solution", HelixType.GOVERNMENT, "en", "Shared recipe bank of tested plant-based dishes for large kitchens, with climate and cost per portion."),
    ("solution", HelixType.RESEARCH, "en", "Make the vegetarian dish the default and serve meat only on request."),
    ("solution", HelixType.RESEARCH, "en", "A national school meal survey every second year, asking pupils what they eat and why."),
    ("solution", HelixType.CIVIL_SOCIETY, "en", "Let pupils cook one lunch per term together with the kitchen staff."),
    ("solution", HelixType.CIVIL_SOCIETY, "en", "Noise-absorbing ceilings and smaller tables in school dining halls."),
    ("solution", HelixType.CIVIL_SOCIETY, "en", "Let pupils taste new dishes and vote on the menu through the pupils' council."),
    ("solution", ANY, "en", "Sell leftover school food cheaply to families in the afternoon."),
    ("solution", ANY, "en", "Schedule lunch between 11:30 and 12:30 in every school, with a break before it."),
    ("solution", HelixType.INDUSTRY, "en", "Longer framework contracts of four years so that farmers can plan organic conversion."),
    ("solution", HelixType.GOVERNMENT, "en", "Better forecasts of attendance so that kitchens order and cook the right amount."),
    ("solution", HelixType.CIVIL_SOCIETY, "en", "Teachers eat lunch with the pupils, free of charge, as part of their working day."),
    ("solution", HelixType.CIVIL_SOCIETY, "en", "A salad bar with at least five vegetables every day."),
    ("solution", HelixType.CIVIL_SOCIETY, "en", "Publish the weekly menu with allergens in an app for parents."),
    ("solution", HelixType.CIVIL_SOCIETY, "en", "Cooking lessons where pupils grow and prepare vegetables from the school garden."),
    ("solution", HelixType.GOVERNMENT, "en", "Regional procurement centres that small municipalities can buy through."),
    ("solution", HelixType.GOVERNMENT, "en", "Pay kitchen staff for training time in plant-based cooking."),
    ("solution", HelixType.GOVERNMENT, "en", "Dynamic purchasing systems so that new local suppliers can join during a contract."),
    ("solution", HelixType.INDUSTRY, "en", "Pre-ordering of meals by pupils so that kitchens cook what will be eaten."),
    ("solution", HelixType.INDUSTRY, "en", "A national label for school food suppliers that meet the mission's criteria."),
    ("solution", HelixType.INDUSTRY, "en", "Shared cold storage and delivery hubs for small producers in each region."),
    ("solution", HelixType.RESEARCH, "en", "Test new menus in randomised trials across schools before rolling them out."),
    ("solution", HelixType.RESEARCH, "en", "Serve vegetables first, before the main dish, to raise intake and reduce plate waste."),
    ("solution", HelixType.RESEARCH, "en", "Climate labels on the menu, calculated with one open national database."),
    ("objective", HelixType.CIVIL_SOCIETY, "sv", "Alla elever ska ha minst tjugo minuter att äta lunch i en lugn matsal."),
    ("objective", HelixType.GOVERNMENT, "sv", "Fyra av fem skolmåltider lagas från grunden i skolans eget kök år 2030."),
    ("objective", HelixType.INDUSTRY, "sv", "En fjärdedel av livsmedlen kommer från producenter inom 15 mil från skolan."),
    ("objective", HelixType.CIVIL_SOCIETY, "sv", "Varje skola erbjuder frukost till elever som kommer hungriga."),
    ("solution", HelixType.INDUSTRY, "sv", "Dela upp livsmedelsupphandlingen i mindre delar så att lokala gårdar kan lämna anbud."),
    ("solution", HelixType.GOVERNMENT, "sv", "Väg tallrikssvinnet varje vecka och visa resultatet för eleverna i matsalen."),
    ("solution", HelixType.RESEARCH, "sv", "Gör den vegetariska rätten till standard och servera kött på begäran."),
    ("solution", HelixType.CIVIL_SOCIETY, "sv", "Låt elevrådet provsmaka och rösta om nya rätter varje termin."),
    ("solution", HelixType.GOVERNMENT, "sv", "Regionala inköpscentraler som små kommuner kan upphandla genom."),
    ("solution", HelixType.RESEARCH, "sv", "Servera grönsakerna först, före huvudrätten, för att minska tallrikssvinnet."),
    ("objective", HelixType.CIVIL_SOCIETY, "nb", "Alle elever skal ha minst tjue minutter til å spise lunsj."),
    ("solution", HelixType.GOVERNMENT, "nb", "Et statlig investeringsfond som delfinansierer nye skolekjøkken."),
    ("solution", HelixType.INDUSTRY, "nb", "Del opp anbudene slik at lokale bønder kan levere til skolekjøkkenene."),
    ("solution", HelixType.CIVIL_SOCIETY, "nb", "La elevrådet smake og stemme over nye retter hvert semester."),
]
# fmt: on

REASONS = {
    "en": [
        "This worked well in our municipality.",
        "It would make the targets easier to reach.",
        "Several schools near us already do this.",
        "It costs little and pupils notice it at once.",
        "We tried it in a pilot last year.",
    ],
    "sv": ["Det har fungerat bra i vår kommun.", "Flera skolor i närheten gör redan så."],
    "nb": ["Dette har fungert godt i vår kommune.", "Flere skoler i nærheten gjør det allerede."],
}

# Mean ratings per objective, criterion and helix group (1–5). Groups disagree on the organic target
# (importance and ambition) and on the climate target's ambition; they agree on the rest.
RATING_MEANS: dict[tuple[str, str], dict[HelixType, float]] = {
    ("organic-share", "importance"): {
        HelixType.CIVIL_SOCIETY: 4.4,
        HelixType.GOVERNMENT: 3.5,
        HelixType.INDUSTRY: 2.3,
        HelixType.RESEARCH: 2.9,
    },
    ("organic-share", "ambition"): {
        HelixType.CIVIL_SOCIETY: 2.5,
        HelixType.GOVERNMENT: 3.4,
        HelixType.INDUSTRY: 4.4,
        HelixType.RESEARCH: 3.1,
    },
    ("food-waste", "importance"): {
        HelixType.CIVIL_SOCIETY: 4.3,
        HelixType.GOVERNMENT: 4.4,
        HelixType.INDUSTRY: 4.1,
        HelixType.RESEARCH: 4.5,
    },
    ("food-waste", "ambition"): {
        HelixType.CIVIL_SOCIETY: 3.0,
        HelixType.GOVERNMENT: 3.3,
        HelixType.INDUSTRY: 3.1,
        HelixType.RESEARCH: 2.9,
    },
    ("meal-climate", "importance"): {
        HelixType.CIVIL_SOCIETY: 3.8,
        HelixType.GOVERNMENT: 3.9,
        HelixType.INDUSTRY: 3.5,
        HelixType.RESEARCH: 4.4,
    },
    ("meal-climate", "ambition"): {
        HelixType.CIVIL_SOCIETY: 3.1,
        HelixType.GOVERNMENT: 3.4,
        HelixType.INDUSTRY: 4.3,
        HelixType.RESEARCH: 1.9,
    },
    ("pupil-satisfaction", "importance"): {
        HelixType.CIVIL_SOCIETY: 4.6,
        HelixType.GOVERNMENT: 4.1,
        HelixType.INDUSTRY: 3.9,
        HelixType.RESEARCH: 4.2,
    },
    ("pupil-satisfaction", "ambition"): {
        HelixType.CIVIL_SOCIETY: 2.8,
        HelixType.GOVERNMENT: 3.1,
        HelixType.INDUSTRY: 3.0,
        HelixType.RESEARCH: 3.0,
    },
}

SPAM: list[tuple[str, str]] = [
    (
        "Order our ready-made frozen school lunches today! Best prices in Scandinavia, free delivery on the "
        "first pallet, see www.example.com/lunch-deals for the catalogue.",
        "advertising, not a view on the mission",
    ),
    (
        "lunch lunch lunch this survey is a waste of time and so are you all, nobody reads this anyway "
        "so here is some nonsense to fill the box",
        "abusive and off-topic",
    ),
]

LABELS = [
    "Pupils' union, {place}",
    "Parents' association, {place}",
    "School kitchen, {place}",
    "Meal services unit, {place} municipality",
    "Wholesaler, {place}",
    "Farmers' cooperative, {place}",
    "Nutrition researcher, {place}",
    "School head, {place}",
]
PLACES = [
    "Malmö",
    "Umeå",
    "Gothenburg",
    "Uppsala",
    "Luleå",
    "Växjö",
    "Örebro",
    "Oslo",
    "Trondheim",
    "Stockholm",
]
WORKSHOPS = [
    "Umeå workshop",
    "Malmö workshop",
    "Oslo Nordic meal network",
    "paper forms from pupils' councils",
]


@dataclass
class DemoResponse:
    """One respondent's answers, as they would type them (or as a workshop note-taker wrote them down)."""

    helix: HelixType
    level: Level
    language: str
    views: str
    ratings: dict[str, dict[str, int]] = field(default_factory=dict)
    proposals: list[tuple[str, str]] = field(default_factory=list)
    """(kind, text) pairs."""
    online: bool = True
    label: str = ""
    submitted: dt.datetime = dt.datetime(2026, 9, 1, 12, tzinfo=dt.UTC)


def _pick(rng: random.Random, weights: Mapping[T, float]) -> T:
    keys = list(weights)
    return rng.choices(keys, [weights[k] for k in keys])[0]


def _sentences(theme: str, helix: HelixType, language: str) -> list[str]:
    own = [text for group, lang, text in BANK[theme] if lang == language and group in (ANY, helix)]
    return own or [text for group, lang, text in BANK[theme] if lang == "en" and group in (ANY, helix)]


_CHOICE = re.compile(r"\{([^{}]*)\}")


def _vary(rng: random.Random, template: str) -> str:
    """One wording of a sentence: each ``{a|b|c}`` becomes one of its alternatives."""
    return _CHOICE.sub(lambda m: rng.choice(m.group(1).split("|")), template)


def _with_opener(rng: random.Random, sentence: str) -> str:
    """An English sentence with a spoken opener ("Honestly, …"); other languages would need inversion."""
    keep = sentence[:2] == "I " or sentence.startswith(("I'", "As ", "My ", "We "))
    first = sentence[0] if keep else sentence[0].lower()
    return f"{rng.choice(OPENERS_EN)} {first}{sentence[1:]}"


def _views(rng: random.Random, helix: HelixType, language: str) -> str:
    if rng.random() < 0.07:
        return ""  # ratings only
    count = rng.choices((1, 2, 3), (30, 46, 24))[0]
    themes: list[str] = []
    while len(themes) < count:
        theme = _pick(rng, EMPHASIS[helix])
        if theme not in themes or len(set(EMPHASIS[helix])) <= len(themes):
            themes.append(theme)
    parts: list[str] = []
    templates: list[str] = []
    for i, theme in enumerate(themes):
        options = [s for s in _sentences(theme, helix, language) if s not in templates]
        template = rng.choice(options)
        templates.append(template)
        sentence = _vary(rng, template)
        if language == "en" and i > 0 and rng.random() < 0.2:
            sentence = _with_opener(rng, sentence)
        parts.append(sentence)
    if rng.random() < 0.12:
        parts.insert(0 if rng.random() < 0.5 else len(parts), rng.choice(GENERIC[language]))
    return " ".join(parts)


def _score(rng: random.Random, mu: float) -> int:
    return max(1, min(5, round(rng.gauss(mu, 0.75))))


def _ratings(rng: random.Random, helix: HelixType) -> dict[str, dict[str, int]]:
    roll = rng.random()
    if roll < 0.05:
        return {}
    objectives = OBJECTIVES if roll < 0.85 else tuple(o for o in OBJECTIVES if rng.random() < 0.5)
    out: dict[str, dict[str, int]] = {}
    for objective in objectives:
        scores = {"importance": _score(rng, RATING_MEANS[(objective, "importance")][helix])}
        if rng.random() < 0.9:
            scores["ambition"] = _score(rng, RATING_MEANS[(objective, "ambition")][helix])
        out[objective] = scores
    return out


def _proposal(rng: random.Random, helix: HelixType, language: str, used: set[str]) -> tuple[str, str]:
    fits = [(k, t) for k, g, lang, t in PROPOSAL_BANK if lang == language and g in (ANY, helix)]
    fits = fits or [(k, t) for k, g, lang, t in PROPOSAL_BANK if lang == "en" and g in (ANY, helix)]
    rng.shuffle(fits)
    # Another idea first; once every idea of this group is taken, the same idea argued differently.
    candidates = [*fits, *((k, f"{t} {r}") for k, t in fits for r in REASONS[language])]
    for kind, candidate in candidates:
        if candidate not in used:
            used.add(candidate)
            return kind, candidate
    kind, text = fits[0]
    return kind, f"{text} ({len(used)})"


def generate(seed: int = SEED) -> list[DemoResponse]:
    """The respondents, deterministic for a seed; every free text is unique (as the spam rules require)."""
    rng = random.Random(seed)
    out: list[DemoResponse] = []
    seen: set[str] = set()
    used_proposals: set[str] = set()
    with_proposal = set(rng.sample(range(RESPONSES), PROPOSALS))
    online = set(rng.sample(range(RESPONSES), ONLINE))
    period = (CLOSES - OPENS).days * 24 * 3600
    for i in range(RESPONSES):
        helix = _pick(rng, HELIX_SHARE)
        level = _pick(rng, LEVEL_SHARE[helix])
        language = _pick(rng, LANGUAGE_SHARE)
        views = _views(rng, helix, language)
        while views and views.casefold() in seen:
            views = _views(rng, helix, language)
        seen.add(views.casefold())
        response = DemoResponse(helix, level, language, views, _ratings(rng, helix))
        if i in with_proposal:
            response.proposals.append(_proposal(rng, helix, language, used_proposals))
        response.online = i in online
        place = rng.choice(PLACES)
        response.label = rng.choice(LABELS).format(place=place) if response.online else rng.choice(WORKSHOPS)
        offset = int(period * (i / RESPONSES) ** 0.8)  # most responses early, a rush before closing
        response.submitted = dt.datetime.combine(OPENS, dt.time(8), tzinfo=dt.UTC) + dt.timedelta(
            seconds=offset
        )
        out.append(response)
    return out


CSV_COLUMNS = (
    "helix",
    "level",
    "language",
    "consent",
    "views",
    *(f"{o}.{c}" for o in OBJECTIVES for c in ("importance", "ambition")),
    "proposal_objective",
    "proposal_solution",
)


def write_csv(responses: list[DemoResponse], path: Path) -> Path:
    """Workshop and paper answers in the import format of ``missionboard consult import``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for r in responses:
            row: dict[str, str] = {
                "helix": r.helix.value,
                "level": r.level.value,
                "language": r.language,
                "consent": "yes",
                "views": r.views,
            }
            for objective, scores in r.ratings.items():
                for criterion, score in scores.items():
                    row[f"{objective}.{criterion}"] = str(score)
            for kind, text in r.proposals:
                row[f"proposal_{kind}"] = text
            writer.writerow(row)
    return path


def submission(response: DemoResponse) -> Submission:
    """What the participation page would have sent for this respondent."""
    return Submission(
        helix=response.helix,
        level=response.level,
        consent=True,
        language=response.language,
        answers=[Answer(question_id="views", text=response.views)] if response.views else [],
        ratings=[Rating(objective_id=o, **scores) for o, scores in response.ratings.items()],
        proposals=[Proposal(kind=ProposalKind(kind), text=text) for kind, text in response.proposals],
    )


@dataclass
class Loaded:
    consultation: str
    online: int
    imported: int
    hidden: list[int]


def load(workspace: Workspace, folder: Path, *, user: str = OWNER) -> Loaded:
    """Run the consultation through the services: open, answer online, import workshops, moderate, close."""
    from missionboard.services import consultations as consult

    responses = generate()
    consult.open_consultation(
        workspace,
        mission_id=MISSION,
        title=TITLE,
        purpose=PURPOSE,
        opens_on=OPENS,
        closes_on=CLOSES,
        audience=Audience.PUBLIC,
        consultation_id=CONSULTATION,
        user=user,
        now=dt.datetime.combine(OPENS, dt.time(8), dt.UTC) - dt.timedelta(days=3),
    )
    online = [r for r in responses if r.online]
    spam_at = {len(online) // 3: SPAM[0], 2 * len(online) // 3: SPAM[1]}
    hidden: list[tuple[int, str]] = []
    for n, response in enumerate(online):
        if n in spam_at:
            text, reason = spam_at[n]
            spam = DemoResponse(
                HelixType.CIVIL_SOCIETY, Level.LOCAL, "en", text, submitted=response.submitted
            )
            stored, _ = consult.submit_response(
                workspace,
                CONSULTATION,
                submission(spam),
                client_key=f"demo-client-spam-{n}",
                now=response.submitted - dt.timedelta(minutes=7),
            )
            hidden.append((stored.id, reason))
        consult.submit_response(
            workspace,
            CONSULTATION,
            submission(response),
            client_key=f"demo-client-{n}",
            now=response.submitted,
        )
    workshops = write_csv([r for r in responses if not r.online], folder / "consultation-workshops.csv")
    imported = consult.import_responses(
        workspace, CONSULTATION, workshops, user=user, now=dt.datetime.combine(CLOSES, dt.time(12), dt.UTC)
    )
    for response_id, reason in hidden:
        consult.hide_response(workspace, CONSULTATION, response_id, reason=reason, user=MODERATOR)
    consult.close_consultation(
        workspace, CONSULTATION, user=user, now=dt.datetime.combine(CLOSES, dt.time(23, 59), dt.UTC)
    )
    return Loaded(CONSULTATION, len(online), imported, [i for i, _ in hidden])
