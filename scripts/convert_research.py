#!/usr/bin/env python3
"""Build geodata/contact_points.geojson and geodata/operators.geojson from the research tables.

This is the record of how the dataset was first made. It reads ``sites.csv`` and
``sites-add.csv`` (the research spreadsheet layout, parsed by :mod:`mapkit.sheet`), applies the
corrections of ``audit.md`` as explicit per-row patches (each one commented with its audit number
and source), merges the facts of the two founding articles (``seeds.md``), records the hand
review of every event's type, and writes the two files canonically.

After this first conversion the GeoJSON files are the source of truth: later edits are made to
them directly, not by re-running this script (re-running it would overwrite those edits).

    python scripts/convert_research.py [RESEARCH_DIR] [--out geodata] [--check]

RESEARCH_DIR defaults to ``../shared/research`` relative to the repository root.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from mapkit import schema, sheet  # noqa: E402
from mapkit.io import canonical_collection, write_geojson  # noqa: E402

ACCESSED = "2026-11"
UPDATED = "2026-11-23"
VERSION = "2026.11.23"

COLLECTION = {
    "type": "FeatureCollection",
    "title": "Reported overseas Chinese police 'service stations' and contact points",
    "description": (
        "Sites that NGOs, journalists, governments or Chinese authorities have reported as overseas "
        "Chinese police 'service stations', 'contact points' or related overseas Chinese service "
        "centres. Every entry is an allegation or an official statement, attributed to its source; "
        "Chinese denials are recorded as events. Location and date precision are stated in each "
        "feature, and points at city, region or country precision are centres, not addresses."
    ),
    "version": VERSION,
    "updated": UPDATED,
    "license": "CC-BY-4.0",
    "citation": (
        "mapkit contributors, 'Reported overseas Chinese police service stations' (dataset), "
        f"version {VERSION}, updated {UPDATED}, CC BY 4.0; cite the original sources listed in each "
        "feature for individual facts."
    ),
}

OPERATORS_COLLECTION = {
    "type": "FeatureCollection",
    "title": "Chinese police bureaus reported to run overseas sites",
    "description": (
        "Local public security bureaus that sources name as running overseas police 'service "
        "stations' or contact points. Points are city centres (3 decimals)."
    ),
    "version": VERSION,
    "updated": UPDATED,
    "license": "CC-BY-4.0",
    "citation": COLLECTION["citation"],
}


# =============================================================================== patch helpers
#
# Patches address sources by URL and events by the start of their (original) summary, so that a
# reviewer can read each patch without counting positions. Every helper fails loudly when what
# it looks for is missing or ambiguous.


class PatchError(RuntimeError):
    pass


def _src(publisher, title, url, published, *, inferred=False, description=False, from_url=False,
         accessed=ACCESSED) -> dict:
    source = {"publisher": publisher, "title": title, "url": url, "published": published,
              "accessed": accessed, "archive_url": None}
    if inferred:
        source["date_inferred"] = True
    if description:
        source["title_is_description"] = True
    if from_url:
        source["title_from_url"] = True
    return source


def sid(p: dict, url: str) -> str:
    for s in p["sources"]:
        if s["url"] == url:
            return s["id"]
    raise PatchError(f"{p['id']}: no source with url {url}")


def add_source(p: dict, source: dict) -> str:
    """Add a source (a dict from _src) unless its URL is there; return its id."""
    for s in p["sources"]:
        if s["url"] == source["url"]:
            return s["id"]
    new_id = f"s{max([int(s['id'][1:]) for s in p['sources']] or [0]) + 1}"
    p["sources"].append({"id": new_id, **source})
    return new_id


def drop_source(p: dict, url: str) -> None:
    """Remove a source and every citation of it; an event left uncited is an error."""
    gone = sid(p, url)
    p["sources"] = [s for s in p["sources"] if s["id"] != gone]
    for e in p["events"]:
        if gone in e["sources"]:
            e["sources"] = [x for x in e["sources"] if x != gone]
            if not e["sources"]:
                raise PatchError(f"{p['id']}: dropping {url} leaves event {e['summary'][:40]!r} unsourced")


def replace_source(p: dict, old_url: str, new: dict) -> str:
    """Replace a source everywhere it is cited (same position in the list)."""
    old = sid(p, old_url)
    for s in p["sources"]:
        if s["url"] == new["url"]:  # already present: re-point citations, drop the old one
            for e in p["events"]:
                e["sources"] = list(dict.fromkeys(s["id"] if x == old else x for x in e["sources"]))
            p["sources"] = [x for x in p["sources"] if x["id"] != old]
            return s["id"]
    for i, s in enumerate(p["sources"]):
        if s["id"] == old:
            p["sources"][i] = {"id": old, **new}
    return old


def ev(p: dict, prefix: str) -> dict:
    hits = [e for e in p["events"] if e.get("_orig", e["summary"]).startswith(prefix)]
    if len(hits) != 1:
        raise PatchError(f"{p['id']}: {len(hits)} events start with {prefix!r}")
    return hits[0]


def set_event(p: dict, prefix: str, *, cite: list[str] | None = None, add: list[str] = (),
              remove: list[str] = (), **fields) -> dict:
    """Change an event: fields (date, type, summary) and citations given by source URL."""
    e = ev(p, prefix)
    if cite is not None:
        e["sources"] = [sid(p, u) for u in cite]
    for u in add:
        if sid(p, u) not in e["sources"]:
            e["sources"].append(sid(p, u))
    for u in remove:
        e["sources"] = [x for x in e["sources"] if x != sid(p, u)]
    if not e["sources"]:
        raise PatchError(f"{p['id']}: event {prefix!r} left without sources")
    e.update(fields)
    if "summary" in fields or "type" in fields:
        e["_reviewed"] = True
    return e


def add_event(p: dict, date: str, type_: str, summary: str, urls: list[str], *, inferred=False) -> dict:
    if type_ not in schema.EVENT_TYPES:
        raise PatchError(f"{p['id']}: unknown event type {type_}")
    e = {"date": date, "type": type_, "summary": summary, "sources": [sid(p, u) for u in urls],
         "_reviewed": True}
    if inferred:
        e["date_inferred"] = True
    p["events"].append(e)
    return e


def drop_event(p: dict, prefix: str) -> dict:
    e = ev(p, prefix)
    p["events"].remove(e)
    return e


def append_note(p: dict, text: str) -> None:
    p["notes"] = f"{p['notes'].rstrip()} {text}" if p.get("notes") else text


# ======================================================================== shared sources
# Sources that several patches add. Dates with inferred=True come from the URL or the page.

SD_110 = _src(
    # The report that reported_by names for most rows. The page itself is not in the stored
    # material (sites-notes.md: cited by developmentwatchersafrica.com), so accessed is null.
    "Safeguard Defenders", "110 Overseas: Chinese Transnational Policing Gone Wild",
    "https://safeguarddefenders.com/en/blog/230000-policing-expands", "2022-09-12", accessed=None)
SD_PP = _src("Safeguard Defenders", "Patrol and Persuade - A follow up on 110 Overseas investigation",
             "https://safeguarddefenders.com/zh-hans/node/579", "2022-12-05")
EPOCH_HAIAN = _src("The Epoch Times", "Beijing Operates Cloud-Based Police 'Contact Point' in Australia: Memo",
                   "https://theepochtimes.com/world/beijing-operates-cloud-based-police-contact-point-in-australia-5452843",
                   "2023-08", inferred=True)
EPOCH_HK = _src("The Epoch Times (Hong Kong edition)",
                "Report on Chinese police 'contact points' in Australia operating through a cloud system (Chinese)",
                "https://hk.epochtimes.com/news/2023-08-04/47815054", "2023-08-04", description=True)
ABC_HAIAN = _src("ABC News (Australia)",
                 "China's overseas police 'contact point' joins the cloud and remains operational in Australia",
                 "https://amp.abc.net.au/article/102683332", "2023-08-04")
ABC_ESTIMATES = _src("ABC News (Australia)",
                     "Australian Federal Police tells Senate estimates it does not believe China has an active police presence in Australia",
                     "https://amp.abc.net.au/article/101627970", "2022-11-08")
DAILY_MAIL_AU = _src("Daily Mail (via NewsBreak)",
                     "China set up a secret police station in Australia whose officers allegedly hunt down dissidents and 'persuade' them to return home",
                     "https://www.newsbreak.com/news/2783603033226/china-set-up-a-secret-police-station-in-australia-whose-officers-allegedly-hunt-down-dissidents-and-persuade-them-to-return-home",
                     "2022-10-13", inferred=True)  # seeds B: "about 13 October 2022"
# audit 1-2 (Spain)
DIPLOMAT_ES = _src("The Diplomat in Spain",
                   "Interior investiga informaciones sobre supuestos centros parapoliciales chinos en España",
                   "https://thediplomatinspain.com/2023/02/14/interior-investiga-informaciones-sobre-supuestos-centros-parapoliciales-chinos-en-espana/",
                   "2023-02-14")
OBJECTIVE_ES = _src("The Objective (Europa Press)",
                    "Interior «coteja todos los extremos» sobre posibles 'comisarías secretas' chinas en España",
                    "https://theobjective.com/espana/2023-02-13/interior-comisarias-secretas-chinas", "2023-02-13")
ELMUNDO_1029 = _src("El Mundo",
                    "El Ministerio del Interior investiga las comisarías chinas \"clandestinas\": hay 9 en España",
                    "https://amp.elmundo.es/espana/2022/10/29/635d5cf4e4d4d855348b458f.html", "2022-10-29")
TELEMADRID = _src("Telemadrid",
                  "Interior investiga comisarías secretas del Gobierno chino en España y una de ellas está en Usera",
                  "https://telemadrid.es/programas/120-minutos/Interior-investiga-comisarias-secretas-del-Gobierno-chino-en-Espana-y-una-de-ellas-esta-en-Usera-2-2503569642--20221107043611.html",
                  "2022-11-07", inferred=True, from_url=True)
# audit 3 (Manresa)
TOT_HOSPITALET = _src("Tot Hospitalet",
                      "Denuncian la existencia de comisarías ilegales chinas en todo el mundo, tres en Catalunya",
                      "https://tot-hospitalet.cat/actualidad/internacional/denuncian-la-existencia-de-comisarias-ilegales-chinas-en-todo-el-mundo-tres-en-catalunya",
                      "2022-10", inferred=True, from_url=True)
LARAZON = _src("La Razón", "Investigan las \"comisarías\" parapoliciales chinas ilegales en España",
               "https://www.larazon.es/cataluna/20221102/6aqxeujqhzgyji3373t6acl4oi.html", "2022-11-02")
# (The audit also names a CMM article, cmmedia.es; its content was not seen here, so it is not added.)
# audit 4 (Portugal)
DNOTICIAS = _src("DNoticias (Madeira)",
                 "Iniciativa Liberal diz que existem esquadras ilegais chinesas na Madeira, Lisboa e Porto",
                 "https://www.dnoticias.pt/2022/9/29/330054-iniciativa-liberal-diz-que-existem-esquadras-ilegais-chinesas-na-madeira-lisboa-e-porto/",
                 "2022-09-29", from_url=True)
JN_PT = _src("Jornal de Notícias", "Há esquadras informais chinesas em Lisboa, Porto e Madeira, denuncia IL",
             "https://www.jn.pt/nacional/ha-esquadras-informais-chinesas-em-lisboa-porto-e-madeira-denuncia-il-15210385.html",
             "2022-09", inferred=True, from_url=True)
DN_PT_URL = "https://www.dn.pt/sociedade/embaixada-da-china-em-lisboa-vigiada-pelas-autoridades-portuguesas-15256172.html"
# audit 5 and 10 (New York)
EXBULLETIN_DOJ = _src("US Department of Justice (press release text, via ExBulletin)",
                      "Rewritten text of the DOJ release on two arrests for operating an overseas Chinese police station",
                      "https://exbulletin.com/politics/2106836/", "2023-04", inferred=True, description=True)
THINKING_CONSERVATIVE = _src("The Epoch Times (reprint via The Thinking Conservative)",
                             "GOP lawmakers question Blinken and Garland over CCP police stations in New York",
                             "https://thethinkingconservative.com/gop-lawmakers-question-blinken-and-garland-over-ccp-police-stations-in-new-york",
                             "2022-10", inferred=True, from_url=True)
# audit 6 (Netherlands)
NIEUWS_NL = _src("nieuws.nl (ANP)", "Chinese politiebureaus in Nederland moeten per direct dicht",
                 "https://nieuws.nl/algemeen/20221101/chinese-politiebureaus-in-nederland-moeten-per-direct-dicht/",
                 "2022-11-01", from_url=True)
# audit 7 and section 5 (Seoul)
NEWSIS = _src("Newsis", "First-instance ruling on the owner of the Dongbang Myeongju restaurant (Korean)",
              "https://mobile.newsis.com/view_amp.html?ar_id=NISX20251217_0003444233", "2025-12-17",
              description=True)
NEWS1 = _src("News1 Korea", "First-instance ruling on the owner of the Dongbang Myeongju restaurant (Korean)",
             "https://www.news1.kr/amp/society/court-prosecution/6011365", "2025-12", inferred=True,
             description=True)
DAUM_INDICT = _src("Money Today (via Daum)",
                   "한국 거점? 중국 비밀경찰서 지목된 '동방명주' 부부 재판행…혐의는",
                   "https://v.daum.net/v/20240202182055232", "2024-02-02")
# audit 8 (Toronto area)
CTV_TORONTO = _src("CTV News Toronto", "RCMP investigating reports of Chinese police stations operating in Ontario",
                   "https://toronto.ctvnews.ca/rcmp-investigating-reports-of-chinese-police-stations-operating-in-ontario-1.6126144",
                   "2022-10", inferred=True, from_url=True)
RCMP_RELEASE = _src("Royal Canadian Mounted Police (news release via Newswire.ca)",
                    "RCMP news release on foreign actor interference at undeclared police service stations",
                    "https://newswire.ca/news-releases/foreign-actor-interference-849363164.html", "2022-11-22",
                    description=True)
URDUPOINT_URL = "https://www.urdupoint.com/en/world/canada-launches-investigation-into-chinese-p-1598894.html"
STAR_1026_URL = "https://www.thestar.com/news/canada/2022/10/26/rcmp-investigating-chinas-police-stations-in-toronto-region.html"
CANADANEWSMEDIA_URL = "https://canadanewsmedia.ca/rcmp-investigating-chinese-police-stations-in-canada-cbc-news/"
CBC_YAHOO_URL = "https://ca.news.yahoo.com/rcmp-looks-speak-anyone-harassed-221425874.html"
# audit 9 (United States)
REDSTATE_URL = ("https://redstate.com/smoosieq/2023/04/19/turns-out-there-are-at-least-6-more-of-those-"
                "chinese-police-stations-operating-in-the-u-s-n733435")
REPUBLICWORLD = _src("Republic World (citing New York Post)",
                     "Six more Chinese overseas police stations exposed in US after NYC FBI bust: Report",
                     "https://www.republicworld.com/world-news/us-news/six-more-chinese-overseas-police-stations-exposed-in-us-after-nyc-fbi-bust-report-articleshow.html",
                     "2023-04", inferred=True, from_url=True)
DAILYGUARDIAN = _src("The Daily Guardian (citing New York Post)", "US discovers six more Chinese 'police stations'",
                     "https://thedailyguardian.com/us-discovers-six-more-chinese-police-stations/", "2023-04",
                     inferred=True)
NTD = _src("NTD Television (citing New York Post)", "6 More Chinese Police Stations on US Soil: Report",
           "https://www.ntd.com/6-more-chinese-police-stations-on-u-s-soil-report_914402.html", "2023-04",
           inferred=True)
# audit 11 (United Kingdom)
JOURNALTIMES_URL = "https://journaltimes.co.uk/uk/06/06/2023/uk-ordered-china-to-close-underground-police-stations/"
REUTERS_UK = _src("Reuters (via Deccan Herald)", "Britain says China has closed unofficial police stations in UK",
                  "https://www.deccanherald.com/international/britain-says-china-has-closed-unofficial-police-stations-in-uk-1225399.html",
                  "2023-06-06")
TIMES_417 = _src("The Times", "Sturgeon urged to act on China threat in Glasgow",
                 "https://www.thetimes.co.uk/article/sturgeon-urged-to-act-on-china-threat-in-glasgow-9s39570cc",
                 "2022-10", inferred=True, from_url=True)
SCOTTISH_SUN = _src("The Scottish Sun", "Chinese 'secret police station' in Glasgow restaurant shut down",
                    "https://www.thescottishsun.co.uk/news/10314757/glasgow-chinese-police-station-restaurant/",
                    "2023-03-04", description=True)
TIMES_FOUR_SITES = _src("The Times", "UK orders China to close secret police stations in Britain",
                        "https://www.thetimes.co.uk/article/uk-orders-china-to-close-secret-police-stations-in-britain-rr55ghknf",
                        "2023-06-06", from_url=True)
# audit 12 (Chile)
UCHILE = _src("Radio Universidad de Chile",
              "Embajada china descartó que centro en Viña del Mar sea de la policía secreta",
              "https://radio.uchile.cl/2022/10/29/embajada-china-descarto-que-centro-en-vina-del-mar-sea-de-la-policia-secreta",
              "2022-10-29", from_url=True)
ADNRADIO = _src("ADN Radio", "Embajada de China descarta estación de policía secreta en Viña del Mar",
                "https://www.adnradio.cl/nacional/2022/11/01/embajada-de-china-descarta-estacion-de-policia-secreta-en-vina-del-mar.html",
                "2022-11-01", from_url=True)
VALPARAISOINFORMA = _src("Valparaíso Informa",
                         "Embajada china asegura que polémica oficina en Viña del Mar solo gestionó una renovación de licencia de conducir",
                         "https://valparaisoinforma.com/noticias/embajada-china-asegura-que-polemica-oficina-en-vina-del-mar-solo-gestiono-una-renovacion-de-licencia-de-conducir/",
                         "2022-11", inferred=True, from_url=True)
# audit 13 (France)
EUROPE1 = _src("Europe 1", "Ingérences chinoises : la DGSI recense officiellement neuf commissariats de police clandestins en France",
               "https://www.europe1.fr/international/ingerences-chinoises-la-dgsi-recense-officiellement-neuf-commissariats-de-police-clandestins-en-france-762692",
               "2025-07", inferred=True)
REINFORMATION = _src("Reinformation.tv", "Comment la DGSI combat la police politique chinoise en France",
                     "https://reinformation.tv/dgsi-police-politique-chinoise-mille", "2025-07", inferred=True)
# audit 14 (Vienna)
DERSTANDARD = _src("Der Standard", "Bisher keine Erkenntnisse über chinesische Polizeistation in Wien",
                   "https://www.derstandard.at/story/3000000224032/bisher-keine-erkenntnisse-ueber-chinesische-polizeistation-in-wien",
                   "2024-06", inferred=True, from_url=True)
# audit 15 (Colombia)
VOZ_EN = _src("voz.us", "Increase of secret Chinese police stations alerts governments worldwide",
              "https://voz.us/en/world/230626/9261/increase-of-secret-chinese-police-stations-alerts-governments-worldwide.html",
              "2023-06-26", from_url=True)
# section 5 (Amsterdam)
PAROOL = _src("Het Parool", "Politie heeft geen aanwijzingen voor illegaal Chinees politiebureau in Amsterdam",
              "https://www.parool.nl/amsterdam/politie-heeft-geen-aanwijzingen-voor-illegaal-chinees-politiebureau-in-amsterdam~bd5b216c/",
              "2023-02", inferred=True, from_url=True)
NHNIEUWS = _src("NH Nieuws / AT5", "Politie kan geen illegaal Chinees politiebureau in Amsterdam vinden",
                "https://www.nhnieuws.nl/nieuws/n104873/politie-kan-geen-illegaal-chinees-politiebureau-in-amsterdam-vinden",
                "2023-02", inferred=True, from_url=True)
# Austria: the Qingtian attribution (fact-check, not in the audit)
AT_PARLIAMENT = _src("Austrian Parliament (written question 12964/J)",
                     "Unterhält China ein illegales „Polizeizentrum“ in Österreich?",
                     "https://www.parlament.gv.at/dokument/XXVII/J/12964/fnameorig_1485763.html", "2022-11-09")
# Japan (fact-check of the Tokyo closure)
KYODO_TOKYO_URL = "https://www.giapponegiappone.it/la-police-a-perquisitionne-une-base-presumee-de-la-police-chinoise-a-letranger-a-tokyo/"


# ============================================================================== row patches
#
# PATCHES maps a row id to the functions applied to its properties, in order. @patch registers a
# function for one or more rows. The comment above each says why (audit item, seed, or fact-check)
# and where the new fact comes from.

PATCHES: dict[str, list[Callable[[dict], None]]] = {}


def patch(*row_ids: str):
    def register(fn):
        for row_id in row_ids:
            PATCHES.setdefault(row_id, []).append(fn)
        return fn
    return register


# --------------------------------------------------------------------------- Canada
GTA = ("ca-markham-fuzhou-commercial", "ca-markham-fuzhou-residential", "ca-toronto-scarborough-fuzhou")


@patch(*GTA)
def gta_citations(p):
    # audit 8: the 2022-10 embassy event cites CBC via Yahoo, because canadanewsmedia and the
    # Toronto Star of 2022-10-26 are not in the stored material (applied to all three GTA rows,
    # which share the event and the sources).
    set_event(p, "Chinese embassy in Canada says", cite=[CBC_YAHOO_URL])
    # audit 8: the 2022-10-26 RCMP statement (to CP24 "on Wednesday") is cited from CTV.
    add_source(p, CTV_TORONTO)
    set_event(p, "RCMP says it is investigating reports", cite=[CTV_TORONTO["url"]])
    drop_source(p, STAR_1026_URL)
    # audit 8 and section 4: the RCMP's own release replaces the UrduPoint/Sputnik relay.
    replace_source(p, URDUPOINT_URL, RCMP_RELEASE)
    p["closed"] = "2023-06-13"  # Duheme to PROC: activities at the reported sites shut down


@patch("ca-markham-fuzhou-commercial")
def markham_commercial(p):
    # The MFA denial is dated ~2023-05 in the research; the transcript page is dated 2023-07-12.
    set_event(p, "PRC MFA spokesperson Wang Wenbin", date="2023-05")


@patch("ca-richmond-wenzhou")
def richmond_wenzhou(p):
    p["closed"] = "2023-06-13"
    p["notes"] = ("Safeguard Defenders named a Wenzhou police station in Vancouver; the link to the Wenzhou "
                  "Friendship Society address comes from media reports of the RCMP visit, not from Safeguard "
                  "Defenders, and the society denies it. The RCMP never publicly named the organisation. "
                  "'Closed' rests on the RCMP's June 2023 statement that activity at the reported sites had stopped.")


# fact-check (second pass): the undated CityNews entry is dated by stored CTV and Canadian Press
# reports: a lawyer's letter of 1 December 2023 demanding CAD 2.5 million, then a suit filed in
# the Quebec Superior Court in March 2024 (CTV: "Wednesday", i.e. 6 March; the organisations' own
# release says 7 March, so the month is kept).
CTV_NOTICE = _src("CTV News Montreal", "Alleged Montreal-area 'Chinese police stations' planning to sue RCMP for $2.5 million",
                  "https://montreal.ctvnews.ca/alleged-montreal-area-chinese-police-stations-threaten-to-sue-rcmp-for-2-5-million-1.6669198",
                  "2023-12-01", inferred=True)
CP_NOTICE = _src("The Canadian Press (via Medicine Hat News)",
                 "Montreal Chinese groups threaten to sue RCMP over secret police station allegations",
                 "https://medicinehatnews.com/news/national-news/2023/12/01/montreal-chinese-groups-threaten-to-sue-rcmp-over-secret-police-station-allegations/",
                 "2023-12-01", from_url=True)
CTV_SUIT = _src("CTV News Montreal",
                "Montreal Chinese community centres serve RCMP with $5M defamation suit over 'police station' allegations",
                "https://montreal.ctvnews.ca/montreal-chinese-community-centres-serve-rcmp-with-5m-defamation-suit-over-police-station-allegations-1.6797090",
                "2024-03", inferred=True)
SFCGM_RELEASE = _src("Service à la Famille Chinoise du Grand Montréal",
                     "Le Service à la Famille Chinoise du Grand Montréal et le Centre Sino-Québec de la Rive-Sud prend des mesures légales contre les accusations non fondées",
                     "https://famillechinoise.qc.ca/fr/nouvelles/nouvelle/le-service-a-la-famille-chinoise-du-grand-montreal-et-le-centre-sino-quebec-de-la-rive-sud-prend-des-mesures-legales-contre-les-accusations-non-fondees",
                     "2024-03", inferred=True, from_url=True)
CITYNEWS_URL = "https://citynewstoronto.com/?p=239"


@patch("ca-montreal-sfcgm", "ca-brossard-csqrs")
def quebec(p):
    # The undated CityNews entry (n.d.) is replaced by the dated reports above.
    drop_event(p, "Organisations seek CAD 2.5M")
    drop_source(p, CITYNEWS_URL)
    for source in (CTV_NOTICE, CP_NOTICE, CTV_SUIT, SFCGM_RELEASE):
        add_source(p, source)
    add_event(p, "2023-12-01", "denial",
              "In a lawyer's letter, the two organisations call the RCMP's allegations false and defamatory, demand "
              "an apology and claim CAD 2.5 million for lost funding; the RCMP says its investigation continues.",
              [CTV_NOTICE["url"], CP_NOTICE["url"]])
    add_event(p, "2024-03", "denial",
              "The two organisations and their director, Xixi Li, file a defamation suit against the RCMP in the "
              "Quebec Superior Court, seeking more than CAD 4.9 million; they deny the allegations, which have led "
              "to no charges.", [CTV_SUIT["url"], SFCGM_RELEASE["url"]])
    p["reported_by"] = "Le Journal de Montréal (2023-03-08), as reported by CBC News"
    append_note(p, "The RCMP's June 2023 statement that activity at the reported sites had been shut down is not "
                   "taken as a closure here: both organisations said they were still operating and had received no "
                   "closure request. The suit was filed on 6 March 2024 according to CTV ('Wednesday') and on "
                   "7 March according to the organisations, so only the month is given.")


# --------------------------------------------------------------------------- United States
NY = "us-newyork-fuzhou-eastbroadway"


@patch(NY)
def new_york(p):
    # The opening month as an event too, so the map's timeline shows it (day in notes: sources differ).
    add_source(p, DAILY_MAIL_AU)
    add_event(p, "2022-02", "opened",
              "The station opens in February 2022, according to the DOJ's press conference as reported by Patch; "
              "NTD says mid-February and the Daily Mail 15 February.",
              ["https://new-origin.patch.com/new-york/new-york-city/china-ran-secret-police-station-middle-new-york-city-feds",
               "https://naijaglobalnews.com/chinese-agent-pleads-guilty-to-operating-secret-police-station-in-new-york",
               DAILY_MAIL_AU["url"]])
    # audit 10: building number, corroborated by The Epoch Times (Oct 2022, reprint).
    add_source(p, THINKING_CONSERVATIVE)
    p["address"] = ("107 East Broadway, in the America ChangLe Association building (per The Epoch Times), "
                    "on a floor above a ramen restaurant, between Chinatown and the Lower East Side")
    # seeds B: the Daily Mail places it above a ramen shop on East Broadway, opened 15 February.
    add_source(p, DAILY_MAIL_AU)
    # seeds A: the Epoch Times Hai'an article captions a photo of the now-closed station inside the
    # America ChangLe Association building.
    add_source(p, EPOCH_HAIAN)
    # audit 5 and section 4: the DOJ release is not stored at justice.gov or the mirror; cite the
    # stored rewrite of its text next to the mirror.
    add_source(p, EXBULLETIN_DOJ)
    p["status_date"] = "2023-04-17"  # audit 5: DOJ statement that it closed in autumn 2022
    p["closed"] = "2022"  # "closed in the fall of 2022" (DOJ); a season has no partial-date form
    set_event(p, "FBI searches the station", add=[EXBULLETIN_DOJ["url"]], type="investigation",
              summary="The FBI searches the station, interviews Lu Jianwang and Chen Jinping and seizes their "
                      "phones; according to the DOJ the station closed in autumn 2022 after its operators learned "
                      "of the investigation.")
    # The April 2023 arrests and charges are two events of different types.
    old = drop_event(p, "DOJ charges Lu Jianwang")
    urls = [s["url"] for s in p["sources"] if s["id"] in old["sources"]] + [EXBULLETIN_DOJ["url"]]
    add_event(p, "2023-04-17", "arrest", "FBI agents arrest Lu Jianwang and Chen Jinping in New York.", urls)
    add_event(p, "2023-04-17", "charge",
              "The DOJ charges Lu and Chen with conspiring to act as agents of the PRC government and with "
              "obstruction of justice.", urls)
    p["notes"] = ("The floor is given as the third (Documented; World Affairs) or the fourth (National Review; an "
                  "RFA photo caption naming 'Royal East Plaza'). Opening: February 2022 per Patch (DOJ press "
                  "conference) and 'mid-February 2022' per NTD, while the Daily Mail gives 15 February; the month "
                  "is kept because the sources do not agree on the day. Closure: the DOJ says autumn 2022, and a "
                  "State Department spokesperson confirmed it to National Review in January 2023.")


@patch("us-newyork-wenzhou", "us-losangeles-wenzhou")
def us_wenzhou(p):
    # audit 9: RedState is not stored; NY Post-based copies replace it.
    drop_source(p, REDSTATE_URL)
    for s in (REPUBLICWORLD, DAILYGUARDIAN, NTD):
        add_source(p, s)
    place = "a second station in New York" if p["id"] == "us-newyork-wenzhou" else "a station in Los Angeles"
    add_event(p, "2022-12-05", "reported",
              f"Safeguard Defenders' Patrol and Persuade report lists {place}, set up by Wenzhou police in 2018.",
              [SD_PP["url"], "https://amac.us/2-more-secret-ccp-police-stations-discovered-in-la-new-york-report/"])
    add_event(p, "2023-04-18", "reported",
              "Safeguard Defenders tells the New York Post it counts at least four US stations listed by PRC "
              "police, this one among them.", [REPUBLICWORLD["url"], DAILYGUARDIAN["url"], NTD["url"]])
    if p["id"] == "us-newyork-wenzhou":
        p["address"] = None  # research: "undisclosed"; kept in notes
        p["notes"] = "Second New York station in Safeguard Defenders' December 2022 report; its address has not been disclosed."


OCSC = ("us-sanfrancisco-ocsc", "us-houston-ocsc", "us-nebraska-ocsc", "us-minnesota-ocsc")


@patch(*OCSC)
def us_ocsc(p):
    # audit 9: RedState (not stored) replaced by the NY Post-based copies.
    for s in (REPUBLICWORLD, DAILYGUARDIAN, NTD):
        add_source(p, s)
    drop_source(p, REDSTATE_URL)
    place = {"us-sanfrancisco-ocsc": "San Francisco", "us-houston-ocsc": "Houston",
             "us-nebraska-ocsc": "a city in Nebraska", "us-minnesota-ocsc": "a city in Minnesota"}[p["id"]]
    add_event(p, "2023-04-18", "reported",
              "Safeguard Defenders tells the New York Post of four overseas Chinese service centres in the US set "
              f"up by United Front networks, one of them in {place}.",
              [REPUBLICWORLD["url"], DAILYGUARDIAN["url"], NTD["url"]])
    p["reported_by"] = "Safeguard Defenders, via the New York Post (2023-04-18), as relayed by NTD Television"
    p["host_organization"] = "an overseas Chinese service centre (United Front network), per Safeguard Defenders"
    p["status_date"] = "2023-04-18"
    p["notes"] = ("Uncertain type: Safeguard Defenders counts this among four US 'overseas Chinese service centres' "
                  "set up by United Front Work Department networks, which it lists apart from the four stations "
                  "named by PRC police; it does not say this centre does police work.")
    if p["id"] in ("us-nebraska-ocsc", "us-minnesota-ocsc"):
        append_note(p, "No city is named; the point is a representative point in the state.")


@patch("us-unlocated-fourth")
def us_fourth(p):
    p["reported_by"] = "Safeguard Defenders (a count of four US stations), as reported by voz.us"


# --------------------------------------------------------------------------- United Kingdom
UK = ("gb-london-croydon", "gb-london-hendon", "gb-glasgow", "gb-belfast")


@patch(*UK)
def uk_statement(p):
    # audit 11 and sites-notes problems: journaltimes.co.uk is not stored; Reuters replaces it.
    replace_source(p, JOURNALTIMES_URL, REUTERS_UK)
    # fact-check: The Times (2023-06-06) names the four sites covered by the statement.
    add_source(p, TIMES_FOUR_SITES)
    set_event(p, "Security Minister Tugendhat", add=[TIMES_FOUR_SITES["url"]])
    if p["id"] != "gb-glasgow":
        p["closed"] = "2023-06-06"


@patch("gb-glasgow")
def glasgow(p):
    # audit 11: street number from The Times; consulate statement of March 2023 (Scottish Sun).
    add_source(p, TIMES_417)
    p["address"] = "417 Sauchiehall Street, the same address as the Loon Fung restaurant (per The Times)"
    add_source(p, SCOTTISH_SUN)
    # The stored copy is dated 2023-03-04 (the audit's 2023-03-05 is the Sunday print edition).
    add_event(p, "2023-03-04", "closed",
              "The Chinese Consulate-General in Edinburgh tells The Scottish Sun the site has closed, calling it a "
              "volunteer centre for licence renewals; Police Scotland says it has identified no crimes.",
              [SCOTTISH_SUN["url"]])
    p["closed"] = "2023-03-04"
    drop_event(p, "Police Scotland refuses an FOI")  # undated (n.d. source): moved to notes
    p["notes"] = ("Bylines Scotland reports that a Chinese-published list of station locations gives the address "
                  "of a well-known Sauchiehall Street restaurant; the restaurant denies any involvement. An undated "
                  "reprint of an Epoch Times report says Police Scotland refused an FOI request about incidents "
                  "at the premises.")


@patch("gb-belfast")
def belfast(p):
    # fact-check: The Times (2023-06-06) lists Belfast among the four sites the embassy was told to
    # close, and the embassy replied that all such stations had closed permanently.
    p["status"] = "closed"
    p["closed"] = "2023-06-06"
    p["reported_by"] = "Alicia Kearns MP in the House of Commons (2023-04), as reported by The Irish News"
    p["notes"] = ("Not on Safeguard Defenders' list; its location was never identified, so the point is the city "
                  "centre. 'Closed' rests on the UK statement of 6 June 2023, which The Times reports covered "
                  "Glasgow, Belfast, Croydon and Hendon.")


@patch("gb-london-croydon")
def croydon(p):
    p["notes"] = ("Safeguard Defenders' report does not name the Chinese bureau for this site in the sources seen. "
                  "Herald Scotland reports Safeguard Defenders saying the three UK stations are run by Fuzhou, "
                  "which is not recorded as the operator here because no source names the bureau for this site "
                  "specifically.")


# --------------------------------------------------------------------------- Ireland
@patch("ie-dublin-fuzhou")
def dublin(p):
    p["closed"] = "2022-10-26"
    old = drop_event(p, "Irish DFA tells the Chinese embassy")
    urls = [s["url"] for s in p["sources"] if s["id"] in old["sources"]]
    add_event(p, "2022-10-26", "closure_ordered",
              "Ireland's Department of Foreign Affairs tells the Chinese embassy that the Capel Street office must close.",
              urls)
    add_event(p, "2022-10-26", "closed", "The Chinese embassy replies that the office's activities have stopped.", urls)
    p["notes"] = "Named 'Fuzhou Police Overseas Service Station'; sources say it opened earlier in 2022."


# --------------------------------------------------------------------------- Netherlands
@patch("nl-amsterdam-lishui", "nl-rotterdam-fuzhou")
def netherlands(p):
    # audit 6: closure was ordered; whether the offices actually closed was not confirmed.
    add_source(p, NIEUWS_NL)
    set_event(p, "FM Hoekstra orders immediate closure", add=[NIEUWS_NL["url"]])
    p["closed"] = "2022-11-01"
    ftm = "https://www.ftm.eu/articles/china-illegal-police-stations-in-the-netherlands?utm_medium=social&utm_campaign=sharebuttonnietleden&utm_source=linkbutton"
    other = "Fuzhou" if p["id"] == "nl-amsterdam-lishui" else "Lishui"
    if p["id"] == "nl-amsterdam-lishui":
        who = ("The Irish Times, citing RTL Nieuws and Follow the Money, says Lishui police set up the Amsterdam "
               "office in June 2018, run by two former Chinese police officers who had emigrated")
    else:
        who = ("The Irish Times, citing RTL Nieuws and Follow the Money, says Fuzhou police set up the Rotterdam "
               "office in a residential flat in 2022, run by a former PLA soldier")
    p["notes"] = (f"{who}; DW (via Upward Post) gives the opposite attribution ({other}). The operator follows "
                  "the Irish Times. 'Closed' means closure was ordered on 31 October / 1 November 2022: Foreign "
                  "Minister Hoekstra said he did not know whether the offices had actually closed (ANP via nieuws.nl), "
                  "and no source confirms that they did.")
    if p["id"] == "nl-amsterdam-lishui":
        # audit section 5: Amsterdam police found no location (Mayor Halsema to D66, Feb 2023).
        add_source(p, PAROOL)
        add_source(p, NHNIEUWS)
        add_event(p, "2023-02", "statement",
                  "Answering D66 councillors, Mayor Halsema says Amsterdam police could not locate any physical "
                  "site and found no sign that a Chinese police office had operated since 2018.",
                  [PAROOL["url"], NHNIEUWS["url"]])
        p["status_date"] = "2023-02"
        append_note(p, "Follow the Money found it was not registered with the Chamber of Commerce.")
    else:
        append_note(p, "Dissident Wang Jingyu says he was contacted from the Rotterdam office.")
    assert ftm in {s["url"] for s in p["sources"]}


# --------------------------------------------------------------------------- Germany
@patch("de-second-unlocated")
def germany_second(p):
    p["reported_by"] = "German federal government (2022-12), as reported by Paderborner Blatt (citing Politico/dpa)"


# --------------------------------------------------------------------------- France
FR = ("fr-paris13-fuzhou", "fr-noisylegrand-fuzhou", "fr-aubervilliers-wenzhou", "fr-paris11",
      "fr-paris-saintlazare-shop")


@patch(*FR)
def france_dgsi(p):
    # audit 13: the Interior Ministry's written answer to MP Constance Le Grip (early July 2025;
    # Reinformation.tv gives 7 July). It does not say which sites it covers.
    add_source(p, EUROPE1)
    add_source(p, REINFORMATION)
    add_event(p, "2025-07", "statement",
              "In a written answer to MP Constance Le Grip, the Interior Ministry says the DGSI has identified "
              "nine Chinese 'police stations' in France, that their heads were summoned and told to stop, and "
              "that the system has since been paused; the answer does not say which sites it means.",
              [EUROPE1["url"], REINFORMATION["url"]])


@patch("fr-paris11")
def paris11(p):
    p["reported_by"] = "Safeguard Defenders, as reported by franceinfo (2024-05)"


@patch("fr-noisylegrand-fuzhou")
def noisy(p):
    p["notes"] = ("One outlet (Reinformation.tv) lists the DGSI's nine sites as Paris 13th, 19th and 20th, Lyon, "
                  "Marseille, Lille, Strasbourg, Bordeaux and Toulouse, which would not include Noisy-le-Grand; that "
                  "list is unconfirmed.")


@patch("fr-aubervilliers-wenzhou")
def aubervilliers(p):
    append_note(p, "Status 'active' rests on France 2's report of May 2024. In July 2025 the Interior Ministry said "
                   "the nine sites the DGSI identified had been told to stop and the system was paused, without "
                   "naming the sites; whether that covers Aubervilliers is not stated.")


# --------------------------------------------------------------------------- Spain
ES = ("es-madrid-usera", "es-madrid-qingtian", "es-madrid-3", "es-barcelona-fuzhou", "es-barcelona-linkchina",
      "es-manresa", "es-valencia-1", "es-valencia-2", "es-santiago")
ES_REPLY = ("In a written reply dated 16 January to MP Pablo Cambronero, the government says Spain has no agreement "
            "with China on joint police stations and that the state security forces are checking whether the "
            "published reports are true.")


@patch(*ES)
def spain(p):
    add_source(p, DIPLOMAT_ES)
    add_source(p, OBJECTIVE_ES)
    add_source(p, ELMUNDO_1029)
    if not any(e.get("_orig", "").startswith("El Mundo: Interior Ministry") for e in p["events"]):
        add_event(p, "2022-10-29", "investigation",
                  "El Mundo reports that the Interior Ministry is investigating the nine stations reported in Spain.",
                  [ELMUNDO_1029["url"]])
    # audit 1: the reply's "no evidence" wording was the MP's premise, not the government's answer.
    if any(e.get("_orig", "").startswith("Government reply to parliament") for e in p["events"]):
        set_event(p, "Government reply to parliament", cite=[DIPLOMAT_ES["url"], OBJECTIVE_ES["url"]],
                  type="investigation", summary=ES_REPLY)
    else:
        add_event(p, "2023-01-16", "investigation", ES_REPLY, [DIPLOMAT_ES["url"], OBJECTIVE_ES["url"]])
    # audit 2: an official probe was announced and no outcome reported.
    add_source(p, TELEMADRID)
    p["status"] = "under_investigation"
    p["status_date"] = "2023-01-16"
    append_note(p, "Status: El Mundo (2022-10-29) and Telemadrid (2022-11-07) reported the Interior Ministry's "
                   "probe, and the January 2023 reply says the security forces are checking the reports; no outcome "
                   "has been reported.")


@patch("es-manresa")
def manresa(p):
    # audit 3: Manresa was already in the first report (two in Barcelona, one in Manresa, per TV3 and
    # La Vanguardia, October 2022), not added by Patrol and Persuade.
    for s in (TOT_HOSPITALET, LARAZON):
        add_source(p, s)
    p["reported_by"] = "Safeguard Defenders, 110 Overseas (2022-09-12)"
    add_event(p, "2022-10", "reported",
              "TV3 and La Vanguardia report that the three Catalan stations in Safeguard Defenders' first report "
              "are two in Barcelona and one in Manresa.", [TOT_HOSPITALET["url"], LARAZON["url"]])
    add_event(p, "2022-12-05", "reported",
              "Safeguard Defenders' Patrol and Persuade again counts two stations in Barcelona and one in Manresa.",
              [SD_PP["url"], "https://revistarambla.com/en/barcelona-alberga-dos-comisarias-chinas-clandestinas-segun-safeguard-defeders"])
    p["notes"] = ("Safeguard Defenders' first report counted three stations in Catalonia: two in Barcelona and one "
                  "in Manresa (TV3 and La Vanguardia, via Tot Hospitalet and La Razón). Some outlets summarised "
                  "this as three in Barcelona.")


# --------------------------------------------------------------------------- Italy
# audit section 5: Safeguard Defenders counts 11 stations in Italy, but the sources seen place only
# eight (in seven cities). Spain, Ecuador, Germany and Brazil have country-only sites for stations
# without a place; Italy gets one too, written as a row of the research layout so that it goes
# through mapkit.sheet like every other site.
ADNKRONOS = "https://www.adnkronos.com/cina-in-italia-record-di-stazioni-non-ufficiali-di-polizia-pechino_5LPVc7rFG36lX9B3iygXm7"
ADDED_ROWS = [
    {
        "id": "it-unlocated", "city": "(not stated)", "country": "IT", "address_or_area": "",
        # a representative point in central Italy, away from the Rome site's point
        "latitude": "42.5", "longitude": "12.57", "location_precision": "country", "mode": "unknown",
        "operating_bureau": "", "host_organisation": "", "date_opened": "", "date_opened_precision": "",
        "status": "reported", "status_date": "2022-12-05",
        "events": ("2022-12-05: Safeguard Defenders' Patrol and Persuade counts 11 stations in Italy, more than the "
                   "sources seen place in named cities [1][2]"),
        "reported_by": "Safeguard Defenders, Patrol and Persuade (2022-12-05)",
        "sources": ("Safeguard Defenders|Patrol and Persuade - A follow up on 110 Overseas investigation|"
                    "https://safeguarddefenders.com/zh-hans/node/579|2022-12-05 ;; "
                    f"Adnkronos|Cina, in Italia record di stazioni non ufficiali di polizia di Pechino|{ADNKRONOS}|~2022-12-05"),
        "notes": ("A placeholder for the stations Safeguard Defenders counts in Italy (11) beyond the eight that the "
                  "sources seen place in Milan (two), Prato, Rome, Florence, Venice, Bolzano and Sicily; how many "
                  "stations it stands for, and where they are, is not known. The point is a representative point "
                  "in Italy, not a location."),
    },
]


@patch("it-sicily")
def sicily(p):
    add_event(p, "2022-12-05", "reported",
              "Safeguard Defenders' Patrol and Persuade counts 11 stations in Italy, one of them in Sicily.",
              [SD_PP["url"], "https://www.adnkronos.com/cina-in-italia-record-di-stazioni-non-ufficiali-di-polizia-pechino_5LPVc7rFG36lX9B3iygXm7"])
    p["notes"] = ("Italy has 11 stations per Safeguard Defenders; only seven cities are named in the sources seen "
                  "(some cities host more than one). No city is named here: the point is a representative point in Sicily.")


@patch("it-prato-fuzhou")
def prato(p):
    p["closed"] = "2022-12-07"
    p["notes"] = "'Closed' means the desk stopped offering services, per Italy's interior minister (7 December 2022)."


# --------------------------------------------------------------------------- Portugal
PT = ("pt-lisbon", "pt-porto", "pt-madeira-ribeirabrava")


@patch(*PT)
def portugal(p):
    # audit 4: the parliament exchange was on 29 September; Dahlin spoke to Renascença on 30
    # September. The DN article on police watching the embassy is not about the debate.
    add_source(p, DNOTICIAS)
    add_source(p, JN_PT)
    renascenca = ("https://rr.sapo.pt/noticia/pais/2022/09/30/safeguard-defenders-a-renascenca-no-porto-lisboa-e-"
                  "algures-na-madeira-ha-esquadras-chinesas-ilegais/301858/?utm_medium=rss")
    drop_event(p, "IL leader Cotrim Figueiredo")
    drop_source(p, DN_PT_URL)
    add_event(p, "2022-09-29", "statement",
              "Liberal Initiative leader Cotrim Figueiredo raises the three alleged stations in parliament, and "
              "Prime Minister Costa says he has no knowledge of them.", [DNOTICIAS["url"], JN_PT["url"]])
    add_event(p, "2022-09-30", "reported",
              "Safeguard Defenders' Peter Dahlin repeats the allegation of stations in Lisbon, Porto and Madeira "
              "to Renascença.", [renascenca])
    # Undated (SAPO tag page, n.d.): moved to notes.
    drop_event(p, "FM Cravinho says")
    append_note(p, "An undated SAPO 24 page reports Foreign Minister Cravinho saying Lisbon had received assurances "
                   "that China would not support such stations.")


# --------------------------------------------------------------------------- Czechia, Hungary
@patch("cz-prague-fuzhou", "cz-prague-qingtian")
def prague(p):
    p["closed"] = "2022-12-08"


@patch("hu-budapest-golgota-qingtian")
def budapest(p):
    p["closed"] = "2025-08-04"
    p["notes"] = ("'Closed' means the premises were in other use by 2025 (a Chinese Christian church, per HVG and "
                  "Die Presse); there was no official closure.")


# --------------------------------------------------------------------------- Austria
@patch("at-vienna")
def vienna(p):
    # audit 14: a later official statement (June 2024).
    add_source(p, DERSTANDARD)
    add_event(p, "2024-06", "investigation",
              "Answering Green MP Ewa Ernst-Dziedzic, the Interior Ministry says its inquiries have so far "
              "produced no findings.", [DERSTANDARD["url"]])
    p["status_date"] = "2024-06"
    # fact-check: a parliamentary question of 2022-11-09 cites the 110 Overseas report as placing a
    # Qingtian-run station in Vienna.
    add_source(p, AT_PARLIAMENT)
    p["operator"] = "qingtian-psb"
    p["reported_by"] = "Safeguard Defenders, 110 Overseas (2022-09-12)"
    p["notes"] = ("The Qingtian attribution is Safeguard Defenders' (110 Overseas), as cited in an Austrian "
                  "parliamentary question of 9 November 2022. No address has been published.")


# --------------------------------------------------------------------------- Serbia, Croatia
@patch("rs-belgrade-qingtian")
def belgrade(p):
    # audit 18: nothing contradicts these, but they could not be re-checked.
    p["notes"] = ("The Qingtian attribution and the 2018 'Xia' case come from Safeguard Defenders' case study "
                  "(15 September 2022); the stored copy of that page stops before the Belgrade section, so they "
                  "were not re-verified.")


@patch("hr-unlocated")
def croatia(p):
    p["notes"] = ("The station's location is not given in the sources seen; Zagreb is mentioned only in connection "
                  "with joint tourist-season patrols.")


# --------------------------------------------------------------------------- Japan
@patch("jp-tokyo-fuzhou")
def tokyo(p):
    # fact-check: Kyodo (Feb 2024) says the organisation left the building after the May 2023
    # search, without a date. The closed event carries the date of that report.
    add_event(p, "2024-02-21", "closed",
              "Kyodo reports that the organisation moved out of the building after the May 2023 search; no date "
              "of the move is given.", [KYODO_TOKYO_URL])
    p["status_date"] = "2024-02-21"
    p["notes"] = ("The ABC (October 2022) says Safeguard Defenders' September report covered Japan, and Japan's "
                  "foreign ministry named a Fuzhou police base in Tokyo. 'Opened 2018' is the year the owning "
                  "organisation was registered. The search found it handled Chinese driving-licence renewals. "
                  "No closure date is known: the 'closed' event is dated to the report that the organisation had left.")


@patch("jp-nantong-unlocated")
def japan_nantong(p):
    add_event(p, "2022-12-05", "reported",
              "Safeguard Defenders' Patrol and Persuade lists a Nantong police station in Japan without a location.",
              [SD_PP["url"]])
    add_event(p, "2022-12-19", "statement",
              "Japan's foreign ministry tells LDP lawmakers of the report's two Japanese bases and says the "
              "location of the Nantong one is unknown.", ["https://japannews.yomiuri.co.jp/world/asia-pacific/20221220-78562/"])
    p["notes"] = "Location unknown; the point is a representative point in Japan. jp-fukuoka-nantong may be the same station."


# --------------------------------------------------------------------------- South Korea
@patch("kr-seoul-dongbangmyeongju")
def seoul(p):
    # fact-check (second pass): JoongAng Ilbo (2024-02-02, via Daum) says Songpa police sent the case
    # to the Seoul Eastern District Prosecutors' Office in April 2023, not March, and that the
    # police-station allegation itself is not among the indictment's charges.
    joongang = _src("JoongAng Ilbo (via Daum)", "'중국 비밀경찰서 의혹' 동방명주 업주 부부, 식품법 위반 기소",
                    "https://v.daum.net/v/20240202190103845", "2024-02-02")
    add_source(p, joongang)
    set_event(p, "Songpa police refer Wang", date="2023-04", add=[joongang["url"]],
              summary="Songpa police refer Wang to prosecutors on food-hygiene and outdoor-advertising charges.")
    # audit 7: the verdict in detail (Korean originals).
    add_source(p, NEWSIS)
    add_source(p, NEWS1)
    set_event(p, "Wang receives a suspended sentence", add=[NEWSIS["url"], NEWS1["url"]], type="conviction",
              summary="A Seoul court gives Wang a suspended prison sentence for customs evasion and for lending his "
                      "card-merchant name, acquits him of the unreported-business and illegal-employment counts and "
                      "dismisses the outdoor-advertising count as time-barred; none of the charges concerned a police station.")
    # audit section 5: the indictment of Wang and his wife (2024-02-02).
    add_source(p, DAUM_INDICT)
    add_event(p, "2024-02-02", "charge",
              "Seoul prosecutors indict Wang and his wife, without detention, on food-hygiene and credit-card "
              "business charges, including running the restaurant without a valid business report.",
              [DAUM_INDICT["url"], "https://v.daum.net/v/20240202190103845"])
    p["reported_by"] = ("Korea JoongAng Daily and other Korean media (2022-12), following Safeguard Defenders' "
                        "Patrol and Persuade")
    p["host_organization"] = ("Overseas Chinese Service Center Seoul, run by restaurant owner Wang Haijun "
                              "(alleged by Korean media and the NIS; Wang denies it)")
    p["notes"] = ("Safeguard Defenders says Nantong police run at least one station in South Korea without giving a "
                  "location; the link to this restaurant comes from Korean media and the National Intelligence "
                  "Service, not from Safeguard Defenders. The operator follows that link.")


@patch("kr-seoul-gangnam-clinic")
def gangnam(p):
    p["reported_by"] = "Korean media, as summarised by the ryueyes11 blog (2022-12-28); original report not seen"


# --------------------------------------------------------------------------- Middle East, Russia
@patch("il-nantong-unlocated")
def israel(p):
    add_event(p, "2022-12-05", "reported",
              "Safeguard Defenders' Patrol and Persuade lists a Nantong police station in Israel without a location.",
              [SD_PP["url"], "https://www.timesofisrael.com/monitor-claims-china-running-secret-police-centers-around-globe-including-israel/"])
    p["notes"] = "Location unknown; the point is a representative point in Israel."


@patch("ae-nantong-unlocated", "ru-unlocated")
def uae_russia(p):
    country = "the United Arab Emirates" if p["id"].startswith("ae") else "Russia"
    add_event(p, "2022-12-05", "reported",
              f"The Times of Israel, summarising Safeguard Defenders' Patrol and Persuade, lists {country} among the "
              "countries newly found to host a station.",
              [SD_PP["url"], "https://www.timesofisrael.com/monitor-claims-china-running-secret-police-centers-around-globe-including-israel/"])
    p["notes"] = ("The Times of Israel lists this country among those newly reported, many tied to Nantong police, "
                  "but no source names the bureau for this country. Location unknown; the point is a representative "
                  "point in the country.")


# --------------------------------------------------------------------------- Africa
@patch("ls-maseru")
def maseru(p):
    add_event(p, "2022-10-18", "reported",
              "Ripples Nigeria, reporting Safeguard Defenders' list, names Lesotho among the countries hosting a station.",
              ["https://www.ripplesnigeria.com/china-establishes-police-stations-in-nigeria-lesotho-18-others-to-tackle-crimes/",
               "https://torizone.com/posts/2022/10/103517-china-opens-police-station-nigeria"])
    p["notes"] = "No address or bureau is given in the sources seen; the point is the city centre."


# --------------------------------------------------------------------------- Latin America
NEWSWEEK_LIST = "https://liveactioneating.com/2022/10/20/newsbreak-china-has-opened-up-secret-police-stations-in-these-countries/"
UOL = "https://noticias.uol.com.br/colunas/jamil-chade/2022/12/05/china-tem-tres-delegacias-clandestinas-no-brasil-denunciam-ativistas.htm"
GOA = "https://thegoaspotlight.com/2022/12/05/china-has-three-clandestine-police-stations-in-brazil-activists-denounce-05-12-2022/"
VISION = "https://es.visiontimes.com/2023/08/29/denuncian-operaciones-de-comisarias-ilegales-chinas-en-argentina.html"


@patch("br-saopaulo-fuzhou", "br-riodejaneiro-qingtian")
def brazil_cities(p):
    city = "São Paulo" if "saopaulo" in p["id"] else "Rio de Janeiro"
    add_event(p, "2022-10-20", "reported",
              f"Newsweek, summarising Safeguard Defenders' first report, lists {city} among the host cities.",
              [NEWSWEEK_LIST])
    bureau = "Fuzhou" if "saopaulo" in p["id"] else "Qingtian"
    add_event(p, "2022-12-05", "reported",
              f"UOL, citing Safeguard Defenders, reports three stations in Brazil, including a {bureau} police "
              f"station in {city}.", [UOL])


@patch("br-wenzhou-unlocated")
def brazil_wenzhou(p):
    add_event(p, "2022-12-05", "reported",
              "Safeguard Defenders' Patrol and Persuade adds a Wenzhou police station in Brazil without naming a city.",
              [SD_PP["url"], UOL])
    p["notes"] = "City not identified; the point is a representative point in Brazil."


@patch("ar-buenosaires-wenzhou")
def ba_wenzhou(p):
    add_event(p, "2022-12-05", "reported",
              "Safeguard Defenders' Patrol and Persuade lists a Wenzhou police station in Buenos Aires.", [SD_PP["url"]])
    add_event(p, "2023-02", "reported",
              "Newsweek Argentina reports two Chinese police bases in Buenos Aires, run by Wenzhou and Fuzhou police.",
              ["https://newsweek.com.ar/?p=42401"], inferred=True)


@patch("ar-buenosaires-fuzhou")
def ba_fuzhou(p):
    add_event(p, "2022-10-20", "reported",
              "Newsweek, summarising Safeguard Defenders' first report, lists Buenos Aires among the host cities.",
              [NEWSWEEK_LIST])
    add_event(p, "2023-02", "reported",
              "Newsweek Argentina reports two Chinese police bases in Buenos Aires, run by Wenzhou and Fuzhou police.",
              ["https://newsweek.com.ar/?p=42401"], inferred=True)


@patch("cl-vinadelmar-fuzhou")
def vina(p):
    # audit 12: the embassy's own account: a temporary centre that worked March–June 2022, stopped in
    # June and served one person; Tohá's statement was on Friday 28 October (Radio U. de Chile).
    for s in (UCHILE, ADNRADIO, VALPARAISOINFORMA):
        add_source(p, s)
    set_event(p, "Chinese embassy: a 'service centre'", date="2022-10-29", type="denial",
              cite=[UCHILE["url"], "https://latin-american.news/alleged-chinese-police-station-in-vina-del-mar-embassy-says-it-is-a-service-center/"],
              summary="The Chinese embassy rejects the claim of a secret police station and calls the site a service "
                      "centre for Chinese citizens abroad.")
    add_event(p, "2022-10-31", "closed",
              "In a statement, the embassy says Wang Yinle set up the centre in his office in March 2022 at the request "
              "of a Fuzhou overseas Chinese association, that it stopped working in June 2022 and that it served one "
              "person, for a licence renewal.", [ADNRADIO["url"], VALPARAISOINFORMA["url"]])
    set_event(p, "Interior Minister Carolina Tohá", date="2022-10-28", add=[UCHILE["url"]])
    p["status"] = "closed"
    p["closed"] = "2022-06"
    p["status_date"] = "2022-10-31"
    p["notes"] = ("'Opened' and 'closed' rest on the Chinese embassy's own account (March to June 2022); no Chilean "
                  "authority has confirmed them, and the outcome of the PDI investigation has not been reported.")


@patch("ec-quito")
def quito(p):
    p["closed"] = "2024-05"
    append_note(p, "'Closed' means the agency officially closed after it was exposed; later reporting (Infobae) "
                   "says the activity continued through other fronts.")


@patch("ec-guayaquil")
def guayaquil(p):
    add_event(p, "2022-10-20", "reported",
              "Newsweek, summarising Safeguard Defenders' first report, lists Guayaquil among the host cities.",
              [NEWSWEEK_LIST])
    add_event(p, "2022-12-04", "reported",
              "Infobae, reporting Safeguard Defenders' follow-up, again lists Guayaquil.",
              ["https://www.infobae.com/america/mundo/2022/12/04/china-opera-mas-de-100-estaciones-policiales-secretas-en-todo-el-mundo-para-vigilar-a-sus-ciudadanos-en-el-exilio/"])


@patch("ec-third-unlocated")
def ecuador_third(p):
    add_event(p, "2023-08-29", "reported",
              "Visión Times, citing Safeguard Defenders, counts three stations in Ecuador; only Quito and Guayaquil "
              "are named.", [VISION])
    p["reported_by"] = "Safeguard Defenders (a count of three in Ecuador), as reported by Visión Times"
    p["notes"] = "Only Quito and Guayaquil are named in the sources seen; the point is a representative point in Ecuador."


@patch("co-unlocated", "cu-unlocated", "pe-unlocated")
def latam_unlocated(p):
    country = {"co": "Colombia", "cu": "Cuba", "pe": "Peru"}[p["id"][:2]]
    add_event(p, "2022-12-05", "reported",
              f"UOL's summary of Safeguard Defenders' Patrol and Persuade (English translation by The Goa Spotlight) "
              f"lists {country} among the countries with a station.", [SD_PP["url"], GOA])
    add_event(p, "2023-08-29", "reported",
              f"Visión Times' tally of Safeguard Defenders' Latin American stations counts one in {country}.", [VISION])
    p["notes"] = f"Location unknown; the point is a representative point in {country}."


@patch("co-unlocated")
def colombia(p):
    # audit 15: one secondary source names Bogotá; kept in notes (low confidence).
    add_source(p, VOZ_EN)
    p["notes"] = ("voz.us (2023-06-26), summarising Safeguard Defenders, places the Colombian station in Bogotá; as "
                  "that is a single secondary source, the point stays a representative point in Colombia.")


@patch("pa-unlocated")
def panama(p):
    add_event(p, "2022-12-05", "reported",
              "UOL's summary of Safeguard Defenders' Patrol and Persuade (English translation by The Goa Spotlight) "
              "lists Panama among the countries with a station.", [SD_PP["url"], GOA])
    p["notes"] = ("Uncertain: Panama appears only in the translated UOL list and is absent from Visión Times' Latin "
                  "American tally. Location unknown; the point is a representative point in Panama.")


# --------------------------------------------------------------------------- Australia (seeds)
@patch("au-sydney-wenzhou")
def sydney(p):
    # seeds A and B, audit 16.
    for s in (ABC_ESTIMATES, EPOCH_HAIAN, EPOCH_HK, DAILY_MAIL_AU):
        add_source(p, s)
    unshackled = "https://unshackledminds.com/china-establishing-overseas-police-presence-in-australia-and-around-the-world/"
    politicom = "https://politicom.com.au/china-caught-running-covert-police-ops-in-australia"
    add_event(p, "2018", "opened",
              "Wenzhou police set up an official contact point in Sydney, according to the ABC.",
              [unshackled, ABC_ESTIMATES["url"], DAILY_MAIL_AU["url"], EPOCH_HK["url"]])
    set_event(p, "Launch announced at an official ceremony", type="statement",
              summary="The Sydney contact point is announced at an official ceremony in Wenzhou attended by police "
                      "chief Luo Jie, according to Politicom and the ABC.",
              add=[ABC_ESTIMATES["url"]])
    set_event(p, "ABC reveals the contact point", type="reported",
              summary="The ABC discloses the contact point; the Australia Wenzhou Chamber of Industry and Commerce "
                      "says it closed some time ago, while Wenzhou police say it should still be open.",
              add=[DAILY_MAIL_AU["url"]])
    set_event(p, "AFP Deputy Commissioner McCartney", type="statement",
              summary="At Senate estimates, AFP Deputy Commissioner Ian McCartney says he has no concerns about the "
                      "contact point because he does not believe it is active.",
              add=[EPOCH_HAIAN["url"]])
    add_event(p, "2023-05-25", "statement",
              "McCartney repeats that Australia does not have such a police presence, according to The Epoch Times.",
              [EPOCH_HAIAN["url"]])
    add_event(p, "2023-08-08", "statement",
              "An AFP spokesperson tells The Epoch Times the AFP has no concerns about the matter.", [EPOCH_HAIAN["url"]])
    add_event(p, "2023-08", "denial",
              "The Chinese embassy in Canberra denies that China runs police stations abroad, as reported by The "
              "Epoch Times (the date of the denial itself is not given).", [EPOCH_HAIAN["url"]])
    p["status_date"] = "2023-08-08"
    p["mode"] = "unknown"
    p["address"] = ("Not given; Wenzhou police referred enquirers to the Australia Wenzhou Chamber of Industry and "
                    "Commerce")
    p["host_organization"] = ("Australia Wenzhou Chamber of Industry and Commerce (named as the contact by Wenzhou "
                              "police's WeChat account, per the ABC)")
    p["notes"] = ("The sources disagree on whether it still operates: the host chamber told the ABC in October 2022 "
                  "that the contact point had closed, while Wenzhou police said it should still be open, and the AFP "
                  "said in 2022 and 2023 that it did not believe it was active. Status is therefore 'reported'. "
                  "Safeguard Defenders' December 2022 report also lists a Wenzhou station in Sydney (per SBS). The "
                  "Daily Mail (October 2022) adds that the Chinese embassy and consulate declined to comment. The "
                  "point is the city centre.")


@patch("au-rydalmere-nantong")
def rydalmere(p):
    # seeds A: the Hai'an police spokeswoman via the ABC, carried by The Epoch Times (EN and HK).
    add_source(p, EPOCH_HK)
    p["operator"] = "nantong-psb"
    p["address"] = None  # research: "address not given"; notes say so
    p["host_organization"] = "Australia Nantong Association (registered under it, per Hai'an police via the ABC)"
    p["opened"] = "2016"
    p["closed"] = None
    urls = [ABC_HAIAN["url"], EPOCH_HAIAN["url"], EPOCH_HK["url"]]
    add_event(p, "2016", "opened",
              "A physical contact point linked to the Nantong United Front Work Department is set up in Rydalmere, "
              "registered under the Australia Nantong Association (per Hai'an police, via the ABC).", urls)
    set_event(p, "Hai'an police spokeswoman tells ABC", type="reported", cite=urls,
              summary="A Hai'an police spokeswoman tells the ABC that there used to be a physical contact point in Rydalmere.")
    add_event(p, "2023-08-04", "closed",
              "The same spokeswoman says the Rydalmere point closed during the COVID-19 pandemic; no closure date is "
              "given, so this event carries the date of the report.", urls)
    p["notes"] = ("Closed 'during the COVID-19 pandemic' per Hai'an police (via the ABC and The Epoch Times); no month "
                  "or year is given, so 'closed' is left empty and the 'closed' event is dated to the report of "
                  "4 August 2023. The address was not published; the point is in the suburb. Its relationship to "
                  "the Eastwood site (au-eastwood-nantong) is not established.")


@patch("au-cloud-haian")
def haian(p):
    # seeds A: Epoch Times EN and HK; lead's brief: status_date 2023-08.
    add_source(p, EPOCH_HK)
    urls = [ABC_HAIAN["url"], EPOCH_HAIAN["url"], EPOCH_HK["url"]]
    add_event(p, "2022-05", "opened",
              "A contact point for Australia is set up with Hai'an police, run through Tencent's cloud meeting "
              "platform and WeChat with no fixed office, according to an internal document obtained by the ABC.", urls)
    set_event(p, "ABC reveals an internal document", type="confirmed", cite=urls,
              summary="The ABC reports the internal document, and a Hai'an police spokeswoman confirms to the ABC that "
                      "the cloud contact point is operational.")
    p["status_date"] = "2023-08"
    p["city"] = None
    p["address"] = "None: run online through Tencent's cloud meeting platform and WeChat"
    p["host_organization"] = ("Hai'an Federation of Returned Overseas Chinese, part of the United Front network "
                              "(per the document reported by the ABC)")
    p["notes"] = ("The point is a representative point in Australia; this contact point has no fixed address. The "
                  "document calls it a first for county-level overseas Chinese federations in Jiangsu and in China.")


@patch("au-eastwood-nantong")
def eastwood(p):
    p["notes"] = ("The Epoch Times found the Eastwood address in a contact listing; the stored excerpt does not "
                  "reproduce it. Its relationship to the Rydalmere point is not established. The point is in the suburb.")


# --------------------------------------------------------------------------- New Zealand
@patch("nz-auckland-epsom-nantong")
def auckland(p):
    # audit 17: a stored copy of Stuff's article was found; it carries no visible date, but it was
    # written after the December 2022 statements, so the year 2023 stands.
    stuff = "https://www.stuff.co.nz/national/politics/131117783/government-officials-unconcerned-after-probing-claims-of-chinese-police-station-in-nz"
    set_event(p, "DPMC says the review concluded", type="statement",
              summary="DPMC deputy chief executive Tony Lynch tells Stuff the review of Safeguard Defenders' claims has "
                      "concluded; the outcome will not be published, and officials appear unconcerned.",
              cite=[stuff])
    p["notes"] = ("It is unclear whether the centre still operates from the Great South Road address (Newsroom). The "
                  "2023 Stuff report on the end of the review shows no date in the stored copy, so its year is inferred.")


@patch("jp-fukuoka-nantong")
def fukuoka(p):
    # The research address cell holds a blogger's unverified deduction, not a reported address.
    p["address"] = None
    p["notes"] = ("May be the same station as Safeguard Defenders' Nantong entry for Japan (jp-nantong-unlocated), "
                  "whose location Japan's foreign ministry said was unknown; Yukan Fuji presents it as an additional "
                  "site. Bunshun also says the setting up of one Japanese facility was decided at a meeting attended "
                  "by Chinese embassy staff. A blogger places it at a company address in Itoshima linked to the "
                  "Japan Nantong hometown association; no outlet confirms that. The point is a hand-placed "
                  "representative point in Fukuoka Prefecture.")


# --------------------------------------------------------------------------- second pass: notes and
# facts found while reviewing the converted features (not in the audit)

HERALD_FUZHOU = _src("Herald Scotland", "Police Scotland visit restaurant accused of being secret Chinese government base",
                     "https://heraldscotland.com/news/23176593.police-scotland-visit-restaurant-accused-secret-chinese-government-base",
                     "2022-12", inferred=True, from_url=True)


@patch("gb-london-croydon", "gb-london-hendon", "gb-glasgow")
def uk_operator(p):
    # fact-check: Herald Scotland (December 2022) reports Safeguard Defenders saying the three UK
    # stations in its list (two in London, one in Glasgow) are run by Fuzhou.
    add_source(p, HERALD_FUZHOU)
    p["operator"] = "fuzhou-psb"
    text = ("The Fuzhou attribution is Safeguard Defenders', as reported by Herald Scotland for all three UK "
            "stations on its list; no source seen names the bureau for this site alone.")
    if p["id"] == "gb-london-croydon":
        p["notes"] = text
    else:
        append_note(p, text)


@patch("ca-markham-fuzhou-commercial")
def markham_notes(p):
    p["notes"] = ("The street address is from blogTO; CBC describes a single-storey commercial building. The point is "
                  "placed by hand in the business district, not at the unit. 'Closed' rests on the RCMP's June 2023 "
                  "statement that activity at the reported sites had stopped; no charges have been reported.")


@patch("ca-markham-fuzhou-residential", "ca-toronto-scarborough-fuzhou")
def gta_notes(p):
    first = ("The second Markham site in Safeguard Defenders' list (two in Markham, one in Scarborough). "
             if "residential" in p["id"] else "")
    p["notes"] = (first + "No address has been published. 'Closed' rests on the RCMP's June 2023 statement that "
                  "activity at the reported sites had stopped; no charges have been reported.")


@patch("de-frankfurt-qingtian")
def frankfurt_notes(p):
    p["notes"] = ("Safeguard Defenders named only Frankfurt; the federal government counts two stations in Germany "
                  "(see de-second-unlocated). No address has been published.")


@patch("cz-prague-qingtian")
def prague_notes(p):
    p["notes"] = ("Sinopsis attributes the two Prague stations to Fuzhou and Qingtian police; the opening date is "
                  "given for 'the Prague stations' together. See cz-prague-fuzhou.")


@patch("it-prato-fuzhou")
def prato_reported_by(p):
    p["reported_by"] = "Il Foglio (2022-09-04)"


@patch("ar-buenosaires-fuzhou")
def ba_fuzhou_host(p):
    p["host_organization"] = None
    p["notes"] = ("Visión Times names Fabian Yan (Yan Xiangxing), director of a Chinese help centre, and He Wen Qiang "
                  "in connection with the banner; no host organisation is named.")


@patch("ar-buenosaires-wenzhou")
def ba_wenzhou_date(p):
    p["status_date"] = "2023-02"  # Newsweek Argentina, the last report seen


@patch("us-newyork-wenzhou", "us-losangeles-wenzhou")
def us_wenzhou_status(p):
    p["status_date"] = "2023-04-18"


@patch("il-nantong-unlocated")
def israel_address(p):
    p["address"] = None
    p["notes"] = ("A 2020 Chinese report mentions an 'Israeli workstation' of Nantong's liaison network; no location "
                  "is known. The point is a representative point in Israel.")


@patch("ro-unlocated")
def romania(p):
    add_event(p, "2022-12-05", "reported",
              "Safeguard Defenders' Patrol and Persuade lists Romania among the countries with a station, without "
              "giving a location.", [SD_PP["url"]])
    p["notes"] = ("Safeguard Defenders names Romania among the pilot countries for joint patrols; the location is not "
                  "in the sources seen. The point is a representative point in Romania.")


JBPRESS_NOTE = ("JBpress reproduces Safeguard Defenders' master table as two images, 'Table 2 (Angola–Madagascar)' and "
                "'Table 3 (Mongolia–Zambia)'; only these labels could be read as text, so the city, the bureau and the "
                "number of stations here are unknown, as is the report edition. The point is a representative point "
                "in the country.")


@patch("ao-unlocated", "mg-unlocated", "mn-unlocated", "zm-unlocated")
def jbpress(p):
    p["reported_by"] = "Safeguard Defenders, Patrol and Persuade (2022-12-05), as reproduced by JBpress (~2024-05-25)"
    p["notes"] = JBPRESS_NOTE
    if p["id"] == "ao-unlocated":
        append_note(p, "This is not the Angolan police's own station for Luanda's Chinatown, announced by Angola's "
                       "interior minister in April 2022 (China Africa Project), which is a host-state facility. The "
                       "Epoch Times (Hong Kong edition) relays a Xinhua report of cloud contact points in several "
                       "countries, Angola among them; no source seen ties one to this entry.")
        add_source(p, EPOCH_HK)
    if p["id"] == "zm-unlocated":
        append_note(p, "Wikipedia (mirror) says Nantong police's 2016 pilot set up offices in six countries and "
                       "detained over 80 people in Myanmar, Cambodia and Zambia; whether this entry is a Nantong "
                       "station is not stated in the sources seen.")


@patch("us-unlocated-fourth")
def us_fourth_notes(p):
    p["notes"] = ("A placeholder for the fourth US station listed by PRC police that Safeguard Defenders counted by "
                  "April 2023 (New York Post). The stored voz.us sentence naming the US stations is cut off, so its "
                  "location is unknown; it may be one of the two stations added in Safeguard Defenders' revised report "
                  "of 13 December 2022 (not confirmed). It is not one of the four service centres (the us-*-ocsc "
                  "sites). The point is a representative point in the United States.")


@patch("kr-seoul-gangnam-clinic")
def gangnam_notes(p):
    p["notes"] = ("Uncertain: the only source is a partisan blog summarising Korean reporting; the underlying report "
                  "and the homepage were not seen. Linked to kr-seoul-dongbangmyeongju through Wang Haijun. The point "
                  "is the centre of Gangnam-gu.")


@patch("fr-paris-saintlazare-shop")
def saintlazare_notes(p):
    p["address"] = "Chinese-run shop where Ling Huazhan's passport was reportedly taken (place not given)"
    p["notes"] = ("Uncertain, possibly a duplicate of fr-aubervilliers-wenzhou, to which franceinfo ties Ling's "
                  "summons. The stored French text of Le Monde breaks off before naming the shop's place, so whether "
                  "it is in Paris (near Gare Saint-Lazare, per the English summaries by Publicist24 and Infos.fr) or "
                  "is the Aubervilliers post could not be checked. The point is the centre of Paris.")


@patch("jp-tokyo-fuzhou")
def tokyo_notes(p):
    p["notes"] = ("The ABC (October 2022) says Safeguard Defenders' September report covered Japan; Japan's foreign "
                  "ministry presented the report's finding of a Fuzhou police base in Tokyo to lawmakers (Yomiuri). "
                  "'Opened 2018' is the year the owning organisation was registered. Police sources say it handled "
                  "Chinese driving-licence renewals. No closure date is known: the 'closed' event is dated to the "
                  "report that the organisation had left.")


@patch("it-milan-wenzhou")
def milan_notes(p):
    p["notes"] = ("OrizzonteCina identifies a Wenzhou-affiliated Overseas Chinese Service Centre at via Bramante 8 "
                  "(first opened provisionally in via Lepetit in 2015) and argues it is not clandestine; its link to "
                  "the station Safeguard Defenders lists is not established.")


@patch("gr-athens-fuzhou")
def athens_notes(p):
    p["notes"] = ("Athens is on the first report's list according to Nigerian and other coverage (Information "
                  "Nigeria). The status rests on To Vima's report of a Hellenic Police investigation.")


# ============================================================================ event review
#
# Every event parsed from the research tables was reviewed by hand. REVIEW maps the start of its
# original summary to (type, summary in our own words; None keeps the research wording).
# sheet.classify_event's keyword guess is only a first draft: where it differs, the type here wins.
# TYPE_BY_ROW overrides the type for one row where the same event means different things.

REVIEW: list[tuple[str, str, str | None]] = [
    # Canada
    ("Fuzhou PSB announces its 'first batch'", "reported",
     "Fuzhou police announce a 'first batch' of overseas service stations; Safeguard Defenders later places the "
     "Toronto-area sites in that batch."),
    ("Chinese embassy in Canada says", "denial",
     "The Chinese embassy in Canada says the sites are run by volunteers who help with tasks such as licence "
     "renewals and are not police stations."),
    ("RCMP says it is investigating reports", "investigation",
     "The RCMP says it is investigating reports of criminal activity connected with the alleged police stations."),
    ("RCMP press release", "investigation",
     "The RCMP announces it is investigating possible foreign interference at undeclared police service stations "
     "in the Toronto area and asks people who were targeted to come forward."),
    ("RCMP Commissioner Lucki", "investigation",
     "RCMP Commissioner Lucki tells MPs the force is investigating three Toronto-area sites and one in Vancouver "
     "and has placed a visible uniformed presence at them."),
    ("Public Safety Minister Mendicino", "statement",
     "Public Safety Minister Mendicino tells the Commons procedure committee (PROC) that the RCMP acted to shut the "
     "alleged stations down."),
    ("Acting RCMP Commissioner Duheme", "closed",
     "Acting RCMP Commissioner Duheme tells PROC that the activities at the reported sites have been shut down and "
     "that investigations continue."),
    ("PRC MFA spokesperson Wang Wenbin (answering on Canada)", "denial",
     "PRC foreign ministry spokesperson Wang Wenbin, asked about Canada, denies that China has police stations "
     "abroad and says the service centres have closed."),
    ("Safeguard Defenders reports a Wenzhou PSB station in Vancouver", "reported",
     "Safeguard Defenders' Patrol and Persuade report lists a Wenzhou police station in Vancouver."),
    ("RCMP national security team (INSET)", "investigation",
     "RCMP national security investigators (INSET) visit the Wenzhou Friendship Society and its neighbours; a "
     "society director calls the alleged link untrue."),
    ("Protest held outside", "statement",
     "Richmond News reports a protest planned outside the society's building on Hazelbridge Way."),
    ("Nantong PSB says it set up China's first", "opened",
     "Nantong police say they set up China's first police and overseas Chinese liaison service centre, together "
     "with the Canadian Association of Nantong Merchants Abroad."),
    ("Nantong PSB online post lists a Richmond", "reported",
     "An online post by Nantong police lists a Richmond mall address among its overseas service centres."),
    ("Journal de Montréal reports RCMP probe", "investigation",
     "Le Journal de Montréal reports an RCMP probe, which the RCMP confirms the next day as an investigation by its "
     "national security team (INSET)."),
    ("The two Quebec organisations say", "statement",
     "The two Quebec organisations say they have received no request to close and are still operating."),
    ("RCMP confirms INSET investigation", "investigation",
     "The RCMP confirms that its national security team (INSET) is investigating."),
    ("Organisations say no closure request received", "statement",
     "The two organisations say they have received no request to close."),
    # United States
    ("Fuzhou PSB announces a 'first batch' of 30", "reported",
     "Fuzhou police announce a 'first batch' of 30 overseas stations in 25 cities and 21 countries; according to a "
     "letter from US House members, the US one is at the America ChangLe Association."),
    ("US House members write to Blinken", "statement",
     "Members of the US House of Representatives write to Secretary of State Blinken and Attorney General Garland "
     "about the station."),
    ("NYT reports the FBI search", "reported",
     "The New York Times reports the FBI search, and National Review reports Safeguard Defenders' evidence of four "
     "US stations."),
    ("State Department spokesperson tells National Review", "closed",
     "A State Department spokesperson tells National Review that the station has closed."),
    ("America Changle Association president denies", "denial",
     "The president of the America ChangLe Association denies that it ran a police station."),
    ("Chen Jinping pleads guilty", "conviction",
     "Chen Jinping pleads guilty to conspiring to act as an agent of the PRC government."),
    ("PRC MFA spokesperson Lin Jian", "denial",
     "PRC foreign ministry spokesperson Lin Jian says there are no so-called secret police stations."),
    ("FBI Houston declines to confirm or deny", "statement",
     "The FBI's Houston office neither confirms nor denies the report."),
    # United Kingdom, Ireland
    ("Daily Mail reports three UK addresses", "reported",
     "The Daily Mail reports three UK addresses that appear on a Chinese list of overseas service stations."),
    ("The Times reports SD's London stations", "reported",
     "The Times reports that Safeguard Defenders' two London stations are in Croydon and Hendon."),
    ("Croydon Central MP Sarah Jones", "statement",
     "Croydon Central MP Sarah Jones raises the site in the Commons, and Security Minister Tugendhat replies."),
    ("The Times links a Chinese businessperson", "investigation",
     "The Times links a Chinese businessperson who raised funds for the Conservatives to the Croydon site, and "
     "minister Chris Philp says a law-enforcement investigation is under way."),
    ("Security Minister Tugendhat", "closed",
     "Security Minister Tugendhat tells Parliament the Chinese embassy says all such UK stations have closed "
     "permanently, and that police found no illegal activity by the Chinese state at the sites."),
    ("The Times names Hendon", "reported",
     "The Times names Hendon as one of the two London sites in Safeguard Defenders' report."),
    ("The Times reports SD's allegation of a Glasgow", "reported",
     "The Times reports Safeguard Defenders' allegation of a Glasgow outpost, and the Home Office calls the claims "
     "very concerning."),
    ("First Minister Sturgeon", "statement",
     "First Minister Sturgeon says the reports are taken very seriously and that Police Scotland is aware of them."),
    ("Foreign Affairs Committee chair Alicia Kearns", "reported",
     "Foreign Affairs Committee chair Alicia Kearns tells the Commons there are four such stations in the UK, one "
     "of them in Belfast."),
    ("Activist Patrick Yu", "statement", "Activist Patrick Yu calls for the Belfast station to be shut."),
    ("Chinese embassy denies wrongdoing", "denial",
     "The Chinese embassy denies wrongdoing and says the office only helped with paperwork such as licence renewals."),
    # Netherlands
    ("RTL Nieuws and Follow the Money", "reported",
     "RTL Nieuws and Follow the Money publish their investigation into the two Dutch offices."),
    ("Dutch foreign ministry says it will investigate", "investigation",
     "The Dutch foreign ministry says it will investigate and calls such offices illegal; the Chinese embassy says "
     "it knows nothing of them."),
    ("PRC MFA spokesperson Wang Wenbin says they are", "denial",
     "PRC foreign ministry spokesperson Wang Wenbin says the sites are overseas Chinese service centres, not "
     "police stations."),
    ("FM Hoekstra orders immediate closure", "closure_ordered",
     "Foreign Minister Hoekstra orders the offices to close at once, telling the ambassador on 31 October and "
     "confirming it in writing on 1 November."),
    ("PRC MFA spokesperson Zhao Lijian", "denial",
     "PRC foreign ministry spokesperson Zhao Lijian rejects the allegations."),
    ("Lishui police deny", "denial", "Lishui police deny having any stations abroad."),
    ("Neighbours of the Rotterdam flat", "statement",
     "Neighbours of the Rotterdam flat say they know nothing of a police post."),
    # Germany
    ("t-online interviews", "reported",
     "t-online interviews a restaurateur in the Rhine-Main area who says he volunteers for the German post."),
    ("Hesse interior ministry says", "investigation",
     "The Hesse interior ministry says police and the state intelligence service (LfV) are checking whether a "
     "station exists in Frankfurt."),
    ("Hesse LKA says", "statement",
     "The Hesse criminal police office (LKA) says it has no criminal complaints about, or knowledge of, a police "
     "office in Frankfurt."),
    ("Federal government says two 'overseas police stations'", "statement",
     "The federal government says two 'overseas police stations' exist in Germany, organised around people, "
     "mobile and without a permanent office, and that the Foreign Office sent a protest note."),
    ("Federal government answer to a parliamentary question", "reported",
     "In an answer to a parliamentary question, the federal government counts two such stations in Germany and "
     "five 'area representatives', one of them in Berlin."),
    # France
    ("Le Monde: address appears on the Fuzhou police website", "reported",
     "Le Monde reports that the address appears on the Fuzhou police website as one of its two offices in France; "
     "the Interior Ministry says the DGSI monitors such activity."),
    ("Chinese embassy in France rejects", "denial",
     "The Chinese embassy in France rejects the reports, describing the sites as volunteer 'overseas service "
     "stations' with no police role."),
    ("Le Monde: listed on the Fuzhou police website", "reported",
     "Le Monde reports that the Fuzhou police website lists the site as its second office in France."),
    ("Ruian district (Wenzhou) proposes", "opened",
     "Ruian district police (Wenzhou) propose an overseas liaison post, and a 'Police en ligne' sign goes up some "
     "months later, according to a 2021 interview with Hu Renai."),
    ("Hu says he helped Chinese police", "statement",
     "Hu says he helped Chinese police persuade a long-time resident to return to China."),
    ("SD's Patrol and Persuade reports a coerced return", "reported",
     "Safeguard Defenders' Patrol and Persuade describes a coerced return arranged through a station in a Paris "
     "suburb (the suburb is not named in the excerpt seen)."),
    ("Libération reports the Aubervilliers post", "reported", "Libération reports the Aubervilliers post."),
    ("Attempted forced return of dissident Ling Huazhan", "statement",
     "An attempt is made to force dissident Ling Huazhan onto a flight to China at Roissy-CDG, after he was "
     "summoned to a site in Aubervilliers identified as a clandestine Chinese police post."),
    ("France 2 'Envoyé spécial'", "reported",
     "France 2's 'Envoyé spécial' reports that such activity went on in 2024 although Paris had asked China to stop "
     "in 2022."),
    # Spain
    ("El Confidencial visits", "reported",
     "El Confidencial visits the office; the people there describe volunteer help, and a neighbour says the word "
     "'police' was recently removed from its signs."),
    ("El Mundo: Interior Ministry investigating", "investigation",
     "El Mundo reports that the Interior Ministry is investigating the nine stations reported in Spain."),
    ("Suspect 'Liu' (wanted in Qingtian)", "statement",
     "According to Safeguard Defenders, a suspect called Liu, wanted in Qingtian, is persuaded through the Madrid "
     "service centre and a video meeting to return to China."),
    ("El Mundo: Barcelona consul general", "denial",
     "El Mundo reports that the Chinese consul general in Barcelona has posted that the so-called police stations "
     "are service stations for overseas Chinese."),
    ("Consul Zhu Jingyang visits LinkChina", "denial",
     "Consul Zhu Jingyang visits LinkChina, one of three Barcelona businesses accused; the firm denies running a "
     "station."),
    # Italy
    ("Opened by Wenzhou PSB", "opened",
     "Wenzhou police open the Milan station, which Safeguard Defenders calls their pilot station for Europe."),
    ("Piantedosi: only in Milan", "investigation",
     "Interior Minister Piantedosi says that only in Milan was an association (an 'Overseas Chinese Centre') found "
     "handling paperwork, and that checks continue."),
    ("Piantedosi says Chinese police will no longer", "statement",
     "Piantedosi says Chinese police will no longer take part in joint patrols in Italy."),
    ("Qingtian PSB sets up a pilot office in Milan", "opened", "Qingtian police set up a pilot office in Milan."),
    ("Interior Minister Piantedosi tells the Chamber", "statement",
     "Interior Minister Piantedosi tells the Chamber that no authorisation was given, that police and intelligence "
     "are monitoring, and that no centres like Prato's have been found so far in Rome, Florence, Venice or Bolzano."),
    ("Inaugurated as 'Fuzhou Police Overseas Service Station'", "opened",
     "The 'Fuzhou Police Overseas Service Station' is inaugurated, as announced on WeChat."),
    ("Il Foglio reports the station", "reported", "Il Foglio reports the station."),
    ("Association says volunteers only do admin", "denial",
     "The association says its volunteers only help with paperwork, and local officials seek to reassure residents."),
    ("Chinese police liaison officer meets", "denial",
     "A Chinese police liaison officer meets Italy's Public Security Department and backs the association's account."),
    ("Piantedosi: the desk no longer offers services", "closed",
     "Piantedosi says the desk no longer offers services after receiving only four requests, and that DIGOS has "
     "informed the judiciary."),
    ("Ceremonial opening of a 'station'", "opened",
     "A 'station' in Rome is opened at a ceremony attended by Italian police representatives, according to a "
     "summary of Safeguard Defenders' Patrol and Persuade."),
    # Portugal
    ("Liga dos Chineses em Portugal", "denial", "The League of Chinese in Portugal calls the allegation false."),
    ("Prosecutor-General confirms DCIAP", "investigation",
     "The Prosecutor-General's office confirms an investigation by the central investigation department (DCIAP)."),
    ("PJ counter-terrorism unit", "investigation",
     "The Judicial Police's counter-terrorism unit is reported to be investigating."),
    # Czechia, Slovakia, Hungary, Austria, Sweden, Greece, Romania, Serbia, Croatia
    ("Formal opening of the Prague stations", "opened",
     "The Prague stations are formally opened, according to their head, Chen Jinmei, as quoted by Sinopsis."),
    ("Deník N and Sinopsis report", "reported", "Deník N and Sinopsis report two stations in Prague."),
    ("FM Lipavský says", "closed",
     "Foreign Minister Lipavský says the Chinese ambassador assured him that the Czech stations have closed."),
    ("Slovak state bodies say", "statement",
     "Slovak state bodies say they are monitoring the matter but see no reason to intervene."),
    ("MP Márton Tompos finds", "reported",
     "MP Márton Tompos finds a 'Chinese police' sign that disappears after his enquiries; the heads of the office "
     "deny any police presence."),
    ("Interior Ministry says it has no knowledge of Chinese police presence; Tompos", "statement",
     "The Interior Ministry says it has no knowledge of a Chinese police presence; Tompos names a liaison figure, "
     "Wang Deqing."),
    ("Die Presse/HVG", "closed",
     "Die Presse and HVG report that the premises now house a Chinese Christian church and locals say the post "
     "has moved out."),
    ("Tompos visits; no sign", "reported",
     "Tompos visits the Kőbánya address and finds no sign, but many security cameras."),
    ("Interior Ministry says it has no knowledge of Chinese police presence", "statement",
     "The Interior Ministry says it has no knowledge of a Chinese police presence."),
    ("Interior Ministry spokesperson tells APA", "investigation",
     "An Interior Ministry spokesperson tells APA it is examining tips and will not tolerate foreign police activity."),
    ("PRC MFA denies overseas police stations", "denial",
     "The PRC foreign ministry denies having police stations abroad but acknowledges volunteer-run 'service stations'."),
    ("Qingtian police issue a three-year appointment", "statement",
     "Qingtian police issue a three-year appointment certificate to a head of the 'Stockholm Service Center', "
     "according to a document seen by TT whose authenticity is not verified."),
    ("Nordic Chinese Network reports establishment", "opened",
     "The Nordic Chinese Network reports the founding of the 'Qingtian Police Overseas Chinese Station and "
     "Stockholm Service Center' at a Christmas event attended by the ambassador."),
    ("TT reports SD's Stockholm listing", "reported",
     "TT reports Safeguard Defenders' Stockholm listing; staff at the hotel say they know nothing of it."),
    ("FM Tobias Billström", "statement",
     "Foreign Minister Tobias Billström says the information is taken seriously."),
    ("Directus/To Vima report", "investigation",
     "Directus and To Vima report an 'overseas police department' inside the building and say the Hellenic Police "
     "has a long-running investigation."),
    ("Romanian Interior Ministry says", "statement",
     "Romania's Interior Ministry says no agreement with China allows such entities."),
    ("Fraud suspect 'Xia' persuaded", "statement",
     "According to Safeguard Defenders, citing Chinese state media, a fraud suspect called Xia is persuaded through "
     "the overseas service station, with Qingtian police, to return to China."),
    ("Serbian Interior Ministry denies", "denial",
     "Serbia's Interior Ministry denies it and says six Chinese officers joined patrols only from 17 September to "
     "16 October 2019, without coercive powers."),
    ("Croatian Interior Ministry denies", "denial",
     "Croatia's Interior Ministry denies any Chinese police station and says Chinese officers came only for joint "
     "patrols in the tourist season."),
    # Japan, South Korea, Israel
    ("Japanese MOFA briefs LDP lawmakers", "statement",
     "Japan's foreign ministry briefs LDP lawmakers and says it has told China that infringing Japan's sovereignty "
     "is unacceptable."),
    ("Tokyo MPD Public Security Bureau searches", "investigation",
     "The Tokyo police Public Security Bureau searches the building."),
    ("Two Chinese women, former executives", "investigation",
     "Tokyo police refer two Chinese women, former executives of the organisation, to prosecutors over COVID-19 "
     "subsidy fraud."),
    ("SD says Nantong PSB runs at least one station in Korea", "reported",
     "Safeguard Defenders says Nantong police run at least one station in South Korea, and local media point to the "
     "restaurant."),
    ("Owner Wang Haijun denies", "denial",
     "Owner Wang Haijun denies the allegation at a press conference, and again on 31 December."),
    ("NIS says his explanation", "statement",
     "The National Intelligence Service says his explanation largely does not match the facts."),
    ("Chinese ambassador Xing Haiming", "statement",
     "Chinese ambassador Xing Haiming expresses sympathy for the restaurant."),
    ("Songpa police refer Wang", "investigation",
     "Songpa police refer Wang to prosecutors on food-hygiene and outdoor-advertising charges."),
    ("Lawmaker briefed by NIS", "statement",
     "A lawmaker briefed by the NIS says the restaurant in effect worked as a police station."),
    ("Restaurant dark and barricaded", "statement",
     "The restaurant is dark and barricaded, with a sign saying it is closed for renovation."),
    ("Seoul police carry out compulsory investigation", "investigation",
     "Seoul police carry out a compulsory investigation of Wang, including searches."),
    ("Chinese report of a Nantong police", "reported",
     "A Chinese report of a Nantong police and overseas Chinese liaison meeting mentions a participant from the "
     "'Israeli workstation'."),
    ("Prime Minister's Office sources", "statement",
     "Sources in the Prime Minister's Office say the matter is being looked into."),
    # Africa, Latin America
    ("Nigerian media report the SD listing", "reported",
     "Nigerian media report Safeguard Defenders' listing; no reaction from the Nigerian government is reported."),
    ("Chinese embassy in Tanzania", "denial",
     "The Chinese embassy in Tanzania calls BBC Swahili's report fabricated."),
    ("Visión Times publishes a Daily Mail image", "reported",
     "Visión Times publishes a Daily Mail photograph of a 'Fuzhou Police Overseas Service Station – Buenos Aires' "
     "banner with named individuals."),
    ("Interior Minister Carolina Tohá", "investigation",
     "Interior Minister Carolina Tohá says Chile is contributing to the investigation through the PDI, the "
     "investigative police."),
    ("Andywei Travel stops renting", "statement", "Andywei Travel stops renting its premises at the Hotel Quito."),
    ("Código Vidrio–Vistazo publish", "reported",
     "Código Vidrio and Vistazo publish the location and the name of the representative."),
    ("Agency officially closes after exposure", "closed",
     "The agency officially closes after the exposure; later reporting says the activity continues through other fronts."),
    # Australia, New Zealand
    ("SD P&P lists a Nantong station somewhere in Australia", "reported",
     "Safeguard Defenders' Patrol and Persuade lists a Nantong police station somewhere in Australia, location unconfirmed."),
    ("Epoch Times reports finding its address in Eastwood", "reported",
     "The Epoch Times reports finding its address in Eastwood."),
    ("Nantong PSB post on QQ lists a Great South Road", "reported",
     "A Nantong police post on QQ lists a Great South Road (Epsom) address among 29 overseas service centres."),
    ("Chinese embassy says the claimed stations are service centres", "denial",
     "The Chinese embassy says the alleged stations are service centres that have closed, though Stuff finds an "
     "Auckland service centre still open that day; Foreign Minister Mahuta calls the report concerning."),
    ("Newsroom reports the location and businessman link", "reported",
     "Newsroom reports the address and the link to a businessman, while a multi-agency government review is under way."),
    # sites-add.csv
    ("SD's master table (P&P) lists this country, as the first entry of the alphabetical", "reported",
     "Safeguard Defenders' master table in Patrol and Persuade lists this country, the first entry of its "
     "alphabetical country list as described by JBpress."),
    ("SD's master table (P&P) lists this country, as the last entry of the first half", "reported",
     "Safeguard Defenders' master table in Patrol and Persuade lists this country, the last entry of the first of "
     "its two parts as described by JBpress."),
    ("SD's master table (P&P) lists this country, as the first entry of the second half", "reported",
     "Safeguard Defenders' master table in Patrol and Persuade lists this country, the first entry of the second of "
     "its two parts as described by JBpress."),
    ("SD's master table (P&P) lists this country, as the last entry of the alphabetical", "reported",
     "Safeguard Defenders' master table in Patrol and Persuade lists this country, the last entry of its "
     "alphabetical country list as described by JBpress."),
    ("P&P adds two US stations", "reported",
     "The Epoch Times (Spanish edition) reports that Patrol and Persuade adds two US stations, in Los Angeles and a "
     "second one in New York, both set up by Wenzhou police in 2018."),
    ("Safeguard Defenders' Patrol and Persuade counts 11 stations in Italy", "reported",
     "Safeguard Defenders' Patrol and Persuade counts 11 stations in Italy, more than the sources seen place in "
     "named cities."),
    ("A Turkish summary of P&P", "reported", "A Turkish summary of Patrol and Persuade counts three stations in the US."),
    ("voz.us, citing SD", "reported",
     "voz.us, citing Safeguard Defenders, counts the New York station and three more in the US, 22 in the Americas "
     "in all."),
    ("The online newspaper of the CCP Jiangsu", "reported",
     "The online paper of the CCP's Jiangsu provincial committee reports on Nantong's joint police and overseas "
     "Chinese service, an article Yukan Fuji later prints beside a document naming a site in Fukuoka Prefecture."),
    ("Yukan Fuji (Sasaki Rui) reports", "reported",
     "Yukan Fuji (Sasaki Rui) reports a base in Fukuoka Prefecture in addition to the two Japanese sites in "
     "Safeguard Defenders' reports."),
    ("Bunshun Online", "reported",
     "Bunshun Online (reporting by Yasuda Minetoshi) says it has confirmed a Nantong police 'overseas police post' "
     "near a government-designated city in western Japan, whose registered representative is a former PLA soldier."),
    ("A blog summary of Korean reporting", "reported",
     "A blog summary of Korean reporting says the Korean address on the Chinese-language homepage of the 'overseas "
     "110 service station' leads to a Korean-medicine clinic in Gangnam-gu whose contact email matches that of Wang "
     "Haijun."),
    ("French border police stop seven people", "statement",
     "French border police stop seven people who were escorting dissident Ling Huazhan towards a flight at Roissy-CDG."),
    ("Le Monde reports that the head of the MSS station", "reported",
     "Le Monde reports that the head of the MSS station at the Chinese embassy in Paris and his deputy have been "
     "asked to leave France and that, according to the DGSI, the shop where Ling's passport was reportedly taken "
     "worked as a covert 'police station'."),
]

TYPE_BY_ROW: dict[tuple[str, str], str] = {
    # Duheme's statement is the closure evidence for the GTA and Richmond rows, but the two Quebec
    # organisations said they were still operating: for them it is only a statement.
    ("ca-montreal-sfcgm", "Acting RCMP Commissioner Duheme"): "statement",
    ("ca-brossard-csqrs", "Acting RCMP Commissioner Duheme"): "statement",
    # Piantedosi's monitoring is the investigation behind it-milan-qingtian's status.
    ("it-milan-qingtian", "Interior Minister Piantedosi tells the Chamber"): "investigation",
    # The German government's count is what made the second, unlocated station public.
    ("de-second-unlocated", "Federal government answer"): "reported",
}


def review_events(p: dict) -> None:
    for e in p["events"]:
        if e.pop("_reviewed", False):
            e.pop("_orig", None)
            continue
        original = e.pop("_orig")
        hits = [r for r in REVIEW if original.startswith(r[0])]
        # the longest matching prefix wins ("...presence; Tompos" before "...presence")
        hits.sort(key=lambda r: len(r[0]), reverse=True)
        if not hits:
            raise PatchError(f"{p['id']}: event not reviewed: {original!r}")
        prefix, type_, summary = hits[0]
        e["type"] = type_
        for (row_id, row_prefix), row_type in TYPE_BY_ROW.items():
            if row_id == p["id"] and original.startswith(row_prefix):
                e["type"] = row_type
        if summary:
            e["summary"] = summary


# ====================================================================== names and places

BUREAU_NAMES = {"fuzhou-psb": "Fuzhou", "qingtian-psb": "Qingtian", "lishui-psb": "Lishui",
                "wenzhou-psb": "Wenzhou", "nantong-psb": "Nantong", "haian-psb": "Hai'an"}

#: Cities whose research value is a description rather than a place: (city, place for the name).
CITY_FIXES = {
    "us-nebraska-ocsc": (None, "Nebraska"),
    "us-minnesota-ocsc": (None, "Minnesota"),
    "it-sicily": (None, "Sicily"),
    "hr-unlocated": (None, None),
    "au-cloud-haian": (None, None),
    "jp-fukuoka-nantong": (None, "Fukuoka Prefecture"),
}

NAMES = {
    "au-sydney-wenzhou": "Wenzhou police contact point, Sydney",
    "au-rydalmere-nantong": "Nantong police contact point, Rydalmere",
    "au-cloud-haian": "Hai'an police cloud contact point, Australia",
    "ca-montreal-sfcgm": "Community centre under RCMP investigation, Montreal",
    "ca-brossard-csqrs": "Community centre under RCMP investigation, Brossard",
    "kr-seoul-dongbangmyeongju": "Alleged Nantong police station at a restaurant, Seoul",
    "kr-seoul-gangnam-clinic": "Reported police service station address at a clinic, Seoul",
    "fr-paris-saintlazare-shop": "Shop said by the DGSI to work as a police station, Paris",
    "us-unlocated-fourth": "Reported police service station (place not stated), United States",
    "ca-markham-fuzhou-commercial": "Fuzhou police service station (commercial unit), Markham",
    "ca-markham-fuzhou-residential": "Fuzhou police service station (residential home), Markham",
    "es-madrid-3": "Reported police service station (third in Madrid), Madrid",
    "es-valencia-1": "Reported police service station (first of two), Valencia",
    "es-valencia-2": "Reported police service station (second of two), Valencia",
    "es-barcelona-linkchina": "Reported police service station (LinkChina premises), Barcelona",
}

#: Place shown in the name where the research city carries a district in brackets.
PLACES = {
    "ca-toronto-scarborough-fuzhou": "Scarborough, Toronto",
    "gb-london-croydon": "Croydon, London",
    "gb-london-hendon": "Hendon, London",
    "es-madrid-usera": "Usera, Madrid",
    "hu-budapest-golgota-qingtian": "Józsefváros, Budapest",
    "hu-budapest-kobanya": "Kőbánya, Budapest",
    "fr-paris11": "Paris 11th arrondissement",
    "fr-paris13-fuzhou": "Paris 13th arrondissement",
}

COUNTRY_NAMES = {"RU": "Russia"}


def name_for(p: dict, place: str | None) -> str:
    if p["id"] in NAMES:
        return NAMES[p["id"]]
    if p["id"].endswith("-ocsc"):
        return f"Reported overseas Chinese service centre, {place}"
    bureau = BUREAU_NAMES.get(p["operator"])
    if place is None:
        country = COUNTRY_NAMES.get(p["country"]) or sheet._country_name(p["country"])
        where = f" (place not stated), {country}"
    else:
        where = f", {place}"
    if bureau:
        return f"{bureau} police service station{where}"
    return f"Reported police service station{where}"


def place_of(p: dict) -> str | None:
    if p["id"] in PLACES:
        return PLACES[p["id"]]
    if p["id"] in CITY_FIXES:
        return CITY_FIXES[p["id"]][1]
    return sheet._short_city(p["city"])


# =============================================================================== operators

OPERATORS = [
    # (id, name, city, province, [lon, lat], sources, notes)
    ("fuzhou-psb", "Fuzhou Municipal Public Security Bureau", "Fuzhou", "Fujian", [119.296, 26.074],
     [_src("The Irish Times", "Chinese overseas police station in Dublin ordered to shut",
           "https://www.irishtimes.com/crime-law/2022/10/27/chinese-overseas-police-station-in-dublin-ordered-to-shut/",
           "2022-10-27"),
      _src("Newsweek (reprint via NewsBreak/liveactioneating)", "China has opened up secret police stations in these countries",
           NEWSWEEK_LIST, "2022-10-20")],
     "Safeguard Defenders' first report (September 2022) attributes its stations to the Fuzhou and Qingtian "
     "bureaus; Fuzhou announced a 'first batch' of 30 overseas stations in January 2022."),
    ("qingtian-psb", "Qingtian County Public Security Bureau", "Qingtian", "Zhejiang", [120.289, 28.139],
     [_src("Safeguard Defenders", "Chinese overseas police service stations tied to illegal policing in Madrid and Belgrade",
           "https://safeguarddefenders.com/en/blog/chinese-overseas-police-service-stations-tied-illegal-policing-madrid-and-belgrade",
           "2022-09-15"),
      _src("Newsweek (reprint via NewsBreak/liveactioneating)", "China has opened up secret police stations in these countries",
           NEWSWEEK_LIST, "2022-10-20")],
     "Qingtian is a county of Lishui prefecture; sources keep it apart from the Lishui bureau."),
    ("lishui-psb", "Lishui Municipal Public Security Bureau", "Lishui", "Zhejiang", [119.922, 28.452],
     [_src("The Irish Times", "Dutch ministry to investigate reports of China operating two illegal 'police stations' in country",
           "https://www.irishtimes.com/world/europe/2022/10/26/dutch-ministry-to-investigate-reports-of-china-operating-two-illegal-police-stations-in-country/",
           "2022-10-26")],
     "Named only for the Amsterdam office (The Irish Times, citing RTL Nieuws and Follow the Money); DW attributes "
     "Amsterdam to Fuzhou instead. Lishui police denied having stations abroad."),
    ("wenzhou-psb", "Wenzhou Municipal Public Security Bureau", "Wenzhou", "Zhejiang", [120.699, 27.994],
     [SD_PP,
      _src("ABC News (Australia)",
           "Australian Federal Police tells Senate estimates it does not believe China has an active police presence in Australia",
           "https://amp.abc.net.au/article/101627970", "2022-11-08")],
     "Added to Safeguard Defenders' list in its December 2022 follow-up; includes stations attributed to the "
     "Ruian district police of Wenzhou."),
    ("nantong-psb", "Nantong Municipal Public Security Bureau", "Nantong", "Jiangsu", [120.894, 31.980],
     [SD_PP,
      _src("Newsroom", "Chinese police centre in NZ tied to businessman",
           "https://newsroom.co.nz/2022/12/17/chinese-police-centre-in-nz-tied-to-businessman/", "2022-12-17")],
     "Added to Safeguard Defenders' list in its December 2022 follow-up; a 2020 Nantong police post listed 29 "
     "overseas service-centre addresses (Newsroom)."),
    ("haian-psb", "Hai'an Public Security Bureau", "Hai'an", "Jiangsu", [120.467, 32.533],
     [ABC_HAIAN, EPOCH_HAIAN],
     "Hai'an is a county-level city of Nantong. Its police run a cloud-based contact point for Australia (ABC, "
     "August 2023)."),
]


def operators_collection() -> dict:
    features = []
    for op_id, name, city, province, coords, sources, notes in OPERATORS:
        srcs = [{"id": f"s{i}", **s} for i, s in enumerate(sources, start=1)]
        features.append({
            "type": "Feature", "id": op_id,
            "geometry": {"type": "Point", "coordinates": coords},
            "properties": {"id": op_id, "name": name, "city": city, "province": province,
                           "sources": srcs, "notes": notes},
        })
    return {**OPERATORS_COLLECTION, "features": features}


# ================================================================================ building

PLACEHOLDER_WORDS = ("representative point", "centroid", "placeholder", "city centre", "in the suburb",
                     "point is in", "point is the", "hand-placed")


def read_rows(research: Path) -> list[dict]:
    rows = []
    for name in ("sites.csv", "sites-add.csv"):
        with open(research / name, newline="", encoding="utf-8") as fh:
            rows.extend(csv.DictReader(fh))
    return rows + ADDED_ROWS  # sites the audit found missing, in the same layout


def renumber(p: dict) -> None:
    """Sources s1..sn in their current order; events re-pointed and sorted by date."""
    mapping = {}
    for i, s in enumerate(p["sources"], start=1):
        mapping[s["id"]] = f"s{i}"
        s["id"] = f"s{i}"
    for e in p["events"]:
        e["sources"] = [mapping[x] for x in e["sources"]]
    p["events"] = sheet.sort_events(p["events"])


def build_feature(row: dict) -> dict:
    feature = sheet.row_to_feature(row, accessed=ACCESSED, allow_undated=True)
    p = feature["properties"]
    for e in p["events"]:
        e["_orig"] = e["summary"]
    if p["id"] in CITY_FIXES:
        p["city"] = CITY_FIXES[p["id"]][0]
    if (p["address"] or "").lower() in ("location unknown", "undisclosed"):
        p["address"] = None  # says there is no address; the notes and precision say so too
    for fn in PATCHES.get(p["id"], []):
        fn(p)
    if any(e["date"] is None for e in p["events"]):
        raise PatchError(f"{p['id']}: an undated event was not moved to notes")
    review_events(p)
    # reported_by must name a source: the Safeguard Defenders reports are added where named.
    if (p.get("reported_by") or "").startswith("Safeguard Defenders, 110 Overseas"):
        add_source(p, SD_110)
    if (p.get("reported_by") or "").startswith("Safeguard Defenders, Patrol and Persuade"):
        add_source(p, SD_PP)
    # The research notes abbreviate; spell the names out for readers of the map.
    if p.get("notes"):
        notes = re.sub(r"\bSD's\b", "Safeguard Defenders'", p["notes"])
        notes = re.sub(r"\bSD\b", "Safeguard Defenders", notes)
        p["notes"] = notes.replace("P&P", "Patrol and Persuade")
    p["name"] = name_for(p, place_of(p))
    if p["location_precision"] in ("country", "region") and not any(
            w in (p.get("notes") or "").lower() for w in PLACEHOLDER_WORDS):
        where = sheet._country_name(p["country"]) if p["location_precision"] == "country" else "the region"
        append_note(p, f"The point is a representative point in {where}, not a location.")
    renumber(p)
    return feature


def build(research: Path) -> tuple[dict, dict]:
    features = [build_feature(row) for row in read_rows(research)]
    unused = set(PATCHES) - {f["id"] for f in features}
    if unused:
        raise PatchError(f"patches for unknown rows: {sorted(unused)}")
    sites = canonical_collection({**COLLECTION, "features": features})
    # operators keep the operator field order (id, name, city, province, sources, notes)
    operators = operators_collection()
    operators["features"].sort(key=lambda f: f["id"])
    return sites, operators


# ================================================================================== checks


def check(sites: dict, operators: dict, countries_path: Path | None) -> list[str]:
    """Our own consistency checks (mapkit validate is the full set)."""
    problems = []
    op_ids = {f["id"] for f in operators["features"]}
    for f in sites["features"]:
        p = f["properties"]
        fid = f["id"]
        ids = [s["id"] for s in p["sources"]]
        urls = [s["url"] for s in p["sources"]]
        if len(urls) != len(set(urls)):
            problems.append(f"{fid}: a URL appears twice in sources")
        for e in p["events"]:
            if not e["sources"] or any(x not in ids for x in e["sources"]):
                problems.append(f"{fid}: event {e['date']} cites {e['sources']} (have {ids})")
            if e["type"] not in schema.EVENT_TYPES:
                problems.append(f"{fid}: bad event type {e['type']}")
        if p["operator"] and p["operator"] not in op_ids:
            problems.append(f"{fid}: operator {p['operator']} not in operators.geojson")
        if p["status"] == "closed" and not p["closed"] and not any(e["type"] == "closed" for e in p["events"]):
            problems.append(f"{fid}: closed without a closed date or closed event")
        rb = (p.get("reported_by") or "").casefold()
        names = set()
        for s in p["sources"]:
            head = s["publisher"].split(" (", 1)[0]
            names |= {s["publisher"], head, *[x.strip() for x in head.split("/")]}
        if rb and not any(n.casefold() in rb for n in names if len(n) >= 2):
            problems.append(f"{fid}: reported_by names no source: {p['reported_by']!r}")
        if f["id"] != p["id"] or not p["id"].startswith(p["country"].lower() + "-"):
            problems.append(f"{fid}: id mismatch")
    if countries_path and countries_path.exists():
        import json

        import shapely
        from shapely.geometry import shape

        outlines: dict[str, list] = {}
        for c in json.loads(countries_path.read_text("utf-8"))["features"]:
            outlines.setdefault(c["properties"]["iso_a2"], []).append(shape(c["geometry"]))
        for f in sites["features"]:
            if not f["geometry"]:
                continue
            lon, lat = f["geometry"]["coordinates"]
            code = f["properties"]["country"]
            pt = shapely.Point(lon, lat)
            if code not in outlines:
                problems.append(f"{f['id']}: no outline for {code}")
            elif not any(o.contains(pt) for o in outlines[code]):
                km = min(o.distance(pt) for o in outlines[code]) * 111  # degrees to km, roughly
                if km > 25:  # the outlines are 1:110m; coasts and islands need some slack
                    problems.append(f"{f['id']}: point {lon},{lat} is ~{km:.0f} km outside {code}'s outline")
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("research", nargs="?", type=Path, default=ROOT.parent / "shared" / "research",
                        help="folder holding sites.csv and sites-add.csv (default: ../shared/research)")
    parser.add_argument("--out", type=Path, default=ROOT / "geodata", help="output folder (default: geodata)")
    parser.add_argument("--check", action="store_true", help="build and check, but write nothing")
    args = parser.parse_args(argv)
    sites, operators = build(args.research)
    problems = check(sites, operators, ROOT / "geodata" / "countries.geojson")
    for problem in problems:
        print("check:", problem, file=sys.stderr)
    n_events = sum(len(f["properties"]["events"]) for f in sites["features"])
    n_sources = sum(len(f["properties"]["sources"]) for f in sites["features"])
    print(f"{len(sites['features'])} sites, {n_events} events, {n_sources} sources; "
          f"{len(operators['features'])} operators; {len(problems)} check problem(s)")
    if not args.check:
        args.out.mkdir(parents=True, exist_ok=True)
        # mapkit's canonical writer (atomic; features sorted by id, data-model key order). The sites
        # are already rounded to their precision, so loading and rewriting them changes nothing.
        write_geojson(sites, args.out / "contact_points.geojson")
        # operators keep the operator field order (schema.OPERATOR_ORDER), so they are written as
        # built rather than re-ordered with the sites' property order.
        write_geojson(operators, args.out / "operators.geojson", canonical=False)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
