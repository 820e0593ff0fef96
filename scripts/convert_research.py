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
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from mapkit import schema, sheet  # noqa: E402
from mapkit.io import canonical_collection, dumps  # noqa: E402

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
                     "2022-10", inferred=True)
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
CMMEDIA = _src("CMM (Castilla-La Mancha Media)",
               "Hay nueve comisarías ilegales chinas en España, denuncia la ONG Safeguard Defenders",
               "https://cmmedia.es/noticias/espana/hay-nueve-comisarias-ilegales-chinas-espana-denuncia-ong-safeguard-defenders.amp.html",
               None, from_url=True)
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
