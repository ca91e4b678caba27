#!/usr/bin/env python3
"""Writes the change-detection corpus: NN-slug/before.html, after.html and manifest.json.

Four made-up sites render articles the way their real counterparts do (navigation, cookie
banners, ad slots between paragraphs, share counters, comment counts, "updated" stamps,
related links, most-read lists, footers). Each pair is one page fetched twice: either the
article itself was edited (material: True) or only the page around it moved (material: False).
The HTML files are committed; run this again only to change the corpus on purpose:
``python tests/annotations/corpus/textchange/build.py``.
"""

from __future__ import annotations

import copy
import html
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

# --- articles ------------------------------------------------------------------------------
# A block is a paragraph string, ("h2", text), ("ul", [items]), ("table", [rows]) or
# ("quote", text).

JOBLESS = {
    "title": "Labour market overview, UK: March 2024",
    "kicker": "Statistical bulletin",
    "byline": "Labour Market Statistics team",
    "date": "12 March 2024",
    "blocks": [
        ("h2", "Main points"),
        (
            "ul",
            [
                "The UK unemployment rate was estimated at 12% in November 2023 to January "
                "2024, above estimates for the previous quarter.",
                "The number of people economically inactive because of long-term sickness "
                "rose to 9.4 million, the highest level since comparable records began in 1993.",
                "Annual growth in regular pay (excluding bonuses) was 6.1% in November 2023 to "
                "January 2024.",
                "The number of payrolled employees fell by 0.2% between December 2023 and "
                "January 2024.",
            ],
        ),
        ("h2", "Unemployment"),
        "The unemployment rate for people aged 16 years and over increased by 0.3 percentage "
        "points on the quarter. The increase was driven by people unemployed for up to six "
        "months.",
        "The rise in inactivity was largest among people aged 50 to 64 years, and most of it "
        "was reported as long-term sickness rather than early retirement.",
        ("h2", "Vacancies"),
        "The estimated number of vacancies fell by 43,000 on the quarter to 908,000 in "
        "December 2023 to February 2024. Vacancies fell on the quarter for the 20th "
        "consecutive period.",
        (
            "table",
            [
                ["Measure", "Nov 2023 to Jan 2024", "Change on quarter"],
                ["Employment rate (16 to 64 years)", "74.9%", "-0.2"],
                ["Unemployment rate (16+ years)", "12%", "+0.3"],
                ["Economic inactivity rate (16 to 64 years)", "21.8%", "+0.1"],
                ["Vacancies (thousands)", "908", "-43"],
            ],
        ),
        ("h2", "Data sources and quality"),
        "Estimates from the Labour Force Survey are based on a sample of households and are "
        "subject to sampling variability. Response rates have fallen in recent years and "
        "estimates should be treated with caution.",
    ],
}

BUDGET = {
    "title": "City council approves $3.5bn budget with cuts to library hours",
    "kicker": "Local politics",
    "byline": "By Maria Delgado",
    "date": "March 3, 2024",
    "blocks": [
        "The Riverton city council on Tuesday approved a $3.5bn budget for the coming fiscal "
        "year, closing a projected shortfall of $210m by cutting library hours and delaying "
        "two road projects.",
        "The vote was 7 to 2. Councilmembers Ana Ruiz and Tom Becker voted against the plan, "
        "saying the library cuts would fall hardest on neighborhoods without other public "
        "spaces.",
        "Under the plan, branch libraries will close on Sundays and Mondays starting July 1, "
        "2024. The central library on Grant Street will keep its current hours.",
        '"Nobody on this council wanted to cut library hours," said Mayor Linda Chow, who '
        'proposed the budget in January. "But we were not going to raise property taxes in '
        'the middle of a housing crisis."',
        "The budget sets aside $48m for the police department's overtime, up from $41m last "
        "year, and adds twelve positions to the city's housing inspection office.",
        "Riverton's finance director, Paul Okafor, told the council the city's reserves stood "
        "at 8.5% of general fund spending, below the 10% level recommended by the Government "
        "Finance Officers Association.",
        "The two delayed projects, the widening of Mill Road and a new bridge over Cedar "
        "Creek, will be reconsidered next year if state transportation grants come through.",
        "Residents who spoke during the four-hour public hearing were mostly critical of the "
        "library cuts. Several parents said their children used the branches for homework "
        "help after school.",
    ],
}

FLOOD = {
    "title": "Flood defences in Yorkshire town did not fail, inquiry finds",
    "kicker": "UK news",
    "byline": "By Sarah Whitfield, North of England correspondent",
    "date": "5 February 2024",
    "blocks": [
        "An independent inquiry into the flooding of Hebden Vale in December has found that "
        "the town's flood defences did not fail, but were overwhelmed by the highest river "
        "levels ever recorded on the Calder.",
        "The report, published on Monday by the Environment Agency, said the river peaked at "
        "4.2 metres, 60cm above the previous record set in 2015.",
        "More than 300 homes and 120 businesses were flooded. No one was killed, but two "
        "people were taken to hospital with hypothermia after being rescued from their cars.",
        "The inquiry's chair, Professor Helen Marsh of the University of Leeds, said the "
        "defences had been built to withstand a one-in-100-year flood and had performed as "
        "designed.",
        '"The walls held," she said. "What we saw was simply more water than they were ever '
        'meant to keep out."',
        "Residents had accused the agency of failing to maintain the defences. The report "
        "found no evidence of poor maintenance, but criticised the agency for issuing its "
        "severe flood warning only 40 minutes before the river overtopped the walls.",
        "The agency said it accepted all 14 of the report's recommendations and would spend "
        "£12m on raising the walls by a further 50cm by 2026.",
        "Local MP James Holroyd said the findings were a relief but that families were still "
        "out of their homes two months on.",
    ],
}

VACCINE = {
    "title": "Study finds no link between vaccine and heart problems in children",
    "kicker": "Health",
    "byline": "By Dr. Priya Raman, health reporter",
    "date": "2024-01-18",
    "blocks": [
        "A large study of more than 1.2m children in Denmark and Sweden has found no increase "
        "in heart inflammation among those who received the updated measles vaccine.",
        "The researchers, led by Dr. Anders Lund at the Karolinska Institute in Stockholm, "
        "followed children aged one to five for two years after vaccination.",
        "They recorded 31 cases of myocarditis among vaccinated children, a rate of 2.6 per "
        "100,000, compared with 2.8 per 100,000 among unvaccinated children of the same age.",
        "The difference was not statistically significant, the authors wrote in the Journal "
        "of Paediatric Medicine.",
        "The study was funded by the Nordic Health Research Council. None of the authors "
        "reported links to vaccine manufacturers.",
        "Dr. Lund said parents should continue to follow national vaccination schedules. "
        '"Our data give no reason to delay vaccination," he said.',
        "Experts not involved in the study said it was reassuring but noted that myocarditis "
        "in young children is rare, which makes small differences hard to detect even in a "
        "study of this size.",
    ],
}

WAGES = {
    "title": "Minimum wage rise to take effect in April, government confirms",
    "kicker": "Business",
    "byline": "By Oliver Grant, economics editor",
    "date": "Published 14 November 2023",
    "blocks": [
        "The national minimum wage for workers aged 21 and over will rise to £11.44 an hour "
        "from 1 April 2024, the Treasury confirmed on Wednesday.",
        "The increase of 9.8% is the largest in cash terms since the minimum wage was "
        "introduced in 1999. It will benefit about 2.7 million workers, according to the Low "
        "Pay Commission.",
        "Chancellor Rachel Hughes said the rise showed the government was on the side of "
        "working people. Business groups warned it would add to costs at a difficult time.",
        "The Federation of Small Businesses said a third of its members expected to cut "
        "hours or delay hiring as a result. Its chair, Martin Reeve, said many firms had "
        "no room left to absorb higher costs.",
        "Trade unions welcomed the increase but said it did not go far enough. The TUC has "
        "called for a minimum wage of £15 an hour.",
        "The rate for 18 to 20-year-olds will rise by 14.8% to £8.60 an hour, and the "
        "apprentice rate will increase by 21.2% to £6.40.",
    ],
}

TRAIN = {
    "title": "Rail operator fined after derailment near Castleford",
    "kicker": "Transport",
    "byline": "By Kevin Nash",
    "date": "Updated 9 October 2023",
    "blocks": [
        "A rail operator has been fined £4.1m after a freight train derailed near Castleford "
        "in West Yorkshire in 2021, blocking the line for eleven days.",
        "Leeds Crown Court heard that Northline Freight had known about a worn section of "
        "track for at least six months before the derailment but had never scheduled a "
        "repair.",
        "Nobody was injured, but 22 wagons left the rails and about 40 tonnes of diesel "
        "leaked into a nearby field.",
        'Judge Carol Amis said the company had put profit before safety. "This was not an '
        'unforeseeable accident," she said.',
        "Northline Freight pleaded guilty to two breaches of health and safety law in "
        "August. In a statement, the company said it had since replaced its track "
        "inspection system and apologised to people living near the line.",
        "The Office of Rail and Road, which brought the prosecution, said the fine should "
        "send a message to the whole industry.",
    ],
}

CPI = {
    "title": "Euro area annual inflation down to 2,4%",
    "kicker": "Euro indicators",
    "byline": "Statistical news release",
    "date": "1 March 2024",
    "blocks": [
        "Euro area annual inflation is expected to be 2,4% in February 2024, down from 2,8% "
        "in January according to a flash estimate from the statistical office of the "
        "European Union.",
        "Looking at the main components of euro area inflation, food, alcohol and tobacco "
        "is expected to have the highest annual rate in February (4,0%, compared with 5,6% "
        "in January), followed by services (3,9%, compared with 4,0% in January).",
        "Non-energy industrial goods are expected to reach 1,6% (compared with 2,0% in "
        "January) and energy -3,7% (compared with -6,1% in January).",
        (
            "table",
            [
                ["Euro area", "Weights (‰) 2024", "Feb 2023", "Jan 2024", "Feb 2024"],
                ["All-items HICP", "1000,0", "8,5", "2,8", "2,4"],
                ["Services", "456,9", "4,8", "4,0", "3,9"],
                ["Non-energy industrial goods", "256,8", "6,8", "2,0", "1,6"],
                ["Food, alcohol & tobacco", "193,0", "15,0", "5,6", "4,0"],
                ["Energy", "93,3", "13,7", "-6,1", "-3,7"],
            ],
        ),
        "Among the member states, the highest annual rates are expected in Croatia (4,8%), "
        "Estonia (4,2%) and Austria (4,2%). The lowest are expected in Latvia (0,6%) and "
        "Finland (1,1%).",
        "The next release of the flash estimate, for March 2024, is scheduled for 3 April 2024.",
    ],
}

HOUSING = {
    "title": "House building in England falls to lowest level in a decade",
    "kicker": "Housing",
    "byline": "By Fiona Mackay, property correspondent",
    "date": "28 February 2024",
    "blocks": [
        "The number of new homes started in England fell by 21% last year to 132,000, the "
        "lowest total since 2013, according to figures from the Department for Levelling Up.",
        "Builders blamed high interest rates and the end of the Help to Buy scheme, which "
        "had supported about a third of new-build sales in its final years.",
        "Completions, a measure of homes finished, fell by 6% to 183,000. The government's "
        "target is 300,000 new homes a year by the middle of the decade.",
        "Housing minister Lee Rowley said the government remained committed to the target. "
        '"We are not giving up on 300,000 homes," he said.',
        "Labour's shadow housing secretary, Angela Rayner, said the figures showed the "
        "target had been abandoned in all but name.",
        "The Home Builders Federation said planning delays were adding months to projects "
        "and called for more planning officers in local councils.",
        "London saw the steepest fall, with starts down 44% on the year, while the North "
        "East was the only region where starts rose.",
    ],
}

SCHOOLS = {
    "title": "Pupil absence remains above pre-pandemic levels",
    "kicker": "Education statistics",
    "byline": "Department for Education",
    "date": "21 March 2024",
    "blocks": [
        ("h2", "Headline facts and figures"),
        "The overall absence rate in state schools in England was 7.4% in the autumn term "
        "2023, down from 7.5% in the autumn term 2022 but above the 4.9% recorded in "
        "autumn 2019.",
        "The persistent absence rate, the share of pupils missing 10% or more of sessions, "
        "was 21.2%. Around 1.6 million pupils were persistently absent.",
        "Illness remained the most common reason for absence, accounting for 3.9% of "
        "possible sessions, followed by unauthorised absence at 1.8%.",
        (
            "table",
            [
                ["School type", "Overall absence", "Persistent absence"],
                ["State-funded primary", "6.0%", "16.4%"],
                ["State-funded secondary", "9.0%", "26.5%"],
                ["Special", "11.2%", "38.0%"],
            ],
        ),
        "Absence rates were highest among pupils eligible for free school meals, at 10.7%, "
        "compared with 6.5% among other pupils.",
        "These statistics are not directly comparable with the figures published in 2020 "
        "and 2021, when schools were closed to most pupils for part of the year.",
    ],
}

ARTICLES = {
    "jobless": JOBLESS,
    "budget": BUDGET,
    "flood": FLOOD,
    "vaccine": VACCINE,
    "wages": WAGES,
    "train": TRAIN,
    "cpi": CPI,
    "housing": HOUSING,
    "schools": SCHOOLS,
}

# --- page furniture ------------------------------------------------------------------------


@dataclass
class Chrome:
    site: str
    nav: list[str] = field(default_factory=list)
    ads: list[str] = field(default_factory=list)
    related: list[str] = field(default_factory=list)
    most_read: list[str] = field(default_factory=list)
    shares: int = 1240
    comments: int = 318
    updated: str = "Updated 3 minutes ago"
    cookie: bool = True
    cookie_text: str = (
        "We use cookies to improve your experience and to show you personalised "
        "advertising. By clicking Accept all you agree to our use of cookies."
    )
    newsletter: str = "Sign up to the Morning Briefing: the day's top stories, at 7am."
    footer_year: int = 2024
    tags: list[str] = field(default_factory=list)
    reformatted: bool = False  # same content, other markup (a CMS template update)
    read_more: str = ""  # an inline "Read more:" link inside the article body
    wide_ad_every: int = 3
    # A WordPress-style theme: byline, stamps, counters and ad labels are paragraphs inside
    # the article body, where extractors keep them.
    inbody_meta: bool = False


NEWS_NAV = ["Home", "UK", "World", "Politics", "Business", "Health", "Science", "Sport"]
STATS_NAV = ["Home", "Economy", "Employment and labour market", "People and population"]
ADS = [
    "Save 20% on broadband this spring. Switch today with no setup fee.",
    "Holiday deals to Portugal from £199 per person. Book by Friday.",
    "New SUV hybrid: 0% APR representative for 36 months. Terms apply.",
    "Learn Spanish in 15 minutes a day. Try your first lesson free.",
    "Mortgage rates from 4.19%. Compare deals in two minutes.",
]
RELATED = [
    "Council tax to rise by 4.99% in most of England",
    "Why are so many people out of work?",
    "Interest rates held at 5.25% for fourth time",
    "Record number of people waiting for hospital treatment",
    "Energy bills to fall by £238 from April",
    "Train strikes: what you need to know this week",
]
MOST_READ = [
    "Man rescued after 12 hours trapped in lift",
    "Five things we learned from the budget",
    "Heatwave warning issued for south-east",
    "Footballer banned for six matches after red card",
    "Airport queues stretch for 2 miles",
]


def e(text: str) -> str:
    return html.escape(text, quote=False)


def block_html(block: Any, chrome: Chrome) -> str:
    if isinstance(block, str):
        if chrome.reformatted:
            # The CMS now wraps lines in the source and uses curly quotes and real dashes.
            words = e(block).replace('"', "\u201c", 1)
            words = " ".join(words.split())
            wrapped = "\n      ".join(words[i : i + 70] for i in range(0, len(words), 70))
            return f'<p class="body-text">\n      {_rewrap(wrapped)}\n    </p>'
        return f"<p>{e(block)}</p>"
    kind, body = block
    if kind == "h2":
        return (
            f"<h2>{e(body)}</h2>" if not chrome.reformatted else f'<h2 class="sub">{e(body)}</h2>'
        )
    if kind == "ul":
        items = "".join(f"<li>{e(i)}</li>" for i in body)
        return f"<ul>{items}</ul>"
    if kind == "quote":
        return f"<blockquote><p>{e(body)}</p></blockquote>"
    if kind == "table":
        head, *rows = body
        th = "".join(f'<th scope="col">{e(c)}</th>' for c in head)
        trs = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in rows)
        return f'<table class="data"><thead><tr>{th}</tr></thead><tbody>{trs}</tbody></table>'
    raise ValueError(kind)


def _rewrap(text: str) -> str:
    # Fixed-width slices can cut words; a real CMS wraps at spaces. Undo cuts: rejoin and wrap.
    flat = text.replace("\n      ", "")
    out, line = [], ""
    for word in flat.split(" "):
        if len(line) + len(word) > 72:
            out.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    out.append(line)
    return "\n      ".join(out)


def news_page(article: dict[str, Any], c: Chrome) -> str:
    nav = "".join(f'<li><a href="/{n.lower()}">{e(n)}</a></li>' for n in c.nav)
    cookie = (
        f'<div id="cookie-consent" class="cmp-banner" role="dialog" aria-label="Cookies">'
        f"<p>{e(c.cookie_text)}</p><button>Accept all</button><button>Manage choices</button></div>"
        if c.cookie
        else ""
    )
    body = []
    if c.inbody_meta:
        body.append(
            f'<p class="entry-meta">{e(article["byline"])} | {e(article["date"])} | '
            f"{e(c.updated)}</p>"
        )
        body.append(
            f'<p class="entry-share">Share {c.shares:,} · <a href="#comments">{c.comments:,} '
            "comments</a></p>"
        )
    for k, block in enumerate(article["blocks"]):
        body.append(block_html(block, c))
        if c.ads and c.inbody_meta and k % c.wide_ad_every == c.wide_ad_every - 1:
            ad = c.ads[(k // c.wide_ad_every) % len(c.ads)]
            body.append(
                '<p class="ad-label"><em>Story continues below advertisement</em></p>'
                f'<div class="ad"><a href="https://ads.example/c?id={k}">{e(ad)}</a></div>'
            )
        elif c.ads and k % c.wide_ad_every == c.wide_ad_every - 1:
            ad = c.ads[(k // c.wide_ad_every) % len(c.ads)]
            body.append(
                f'<div class="ad-slot ad-inline" data-slot="mpu-{k}"><span class="ad-label">'
                f'Advertisement</span><a href="https://ads.example/c?id={k}" rel="sponsored">'
                f"{e(ad)}</a></div>"
            )
        if c.read_more and k == 1:
            body.append(
                f'<p class="read-more"><strong>Read more:</strong> <a href="/news/1">'
                f"{e(c.read_more)}</a></p>"
            )
    related = "".join(f'<li><a href="/news/{i}">{e(r)}</a></li>' for i, r in enumerate(c.related))
    most = "".join(f"<li><span>{i + 1}</span> {e(m)}</li>" for i, m in enumerate(c.most_read))
    tags = "".join(f'<a class="tag" href="/topic/{t.lower()}">{e(t)}</a>' for t in c.tags)
    article_open = (
        '<article class="story" itemscope itemtype="https://schema.org/NewsArticle">'
        if not c.reformatted
        else '<article class="story story--v2" data-cms="arc">'
    )
    return f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<title>{e(article["title"])} | {e(c.site)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/site.css">
<script type="application/ld+json">{{"@type": "NewsArticle", "headline": {json.dumps(article["title"])}}}</script>
<script>window.dataLayer = window.dataLayer || []; dataLayer.push({{"section": "{e(article["kicker"])}"}});</script>
</head>
<body>
{cookie}
<header class="masthead">
  <a class="logo" href="/">{e(c.site)}</a>
  <nav aria-label="Sections"><ul>{nav}</ul></nav>
  <form class="search" action="/search"><input name="q" placeholder="Search"></form>
</header>
<div class="ad-slot ad-leaderboard"><span class="ad-label">Advertisement</span>
<a href="https://ads.example/lb" rel="sponsored">{e(c.ads[0] if c.ads else "")}</a></div>
<main id="main-content">
{article_open}
  <p class="kicker">{e(article["kicker"])}</p>
  <h1>{e(article["title"])}</h1>
  <div class="byline"><span class="author">{e(article["byline"])}</span>
    <time datetime="2024-03-12T09:30:00Z">{e(article["date"])}</time>
    <span class="updated">{e(c.updated)}</span></div>
  <div class="share-bar"><a class="share fb">Share {c.shares:,}</a>
    <a class="share x">Post</a><a class="comments-link" href="#comments">{c.comments:,} comments</a></div>
  <div class="story-body">
    {chr(10).join("    " + b for b in body)}
  </div>
  <div class="tags">{tags}</div>
</article>
<section class="newsletter"><h3>Newsletter</h3><p>{e(c.newsletter)}</p>
<form><input type="email" placeholder="Your email"><button>Sign up</button></form></section>
<section id="comments" class="comments"><h3>Comments ({c.comments:,})</h3>
<p>Comments on this story are premoderated. Read our <a href="/rules">community rules</a>.</p></section>
</main>
<aside class="related" aria-label="Related stories"><h3>Related stories</h3><ul>{related}</ul></aside>
<aside class="most-read"><h3>Most read</h3><ol>{most}</ol></aside>
<footer class="site-footer"><p>&copy; {c.footer_year} {e(c.site)}. All rights reserved.</p>
<ul><li><a href="/terms">Terms</a></li><li><a href="/privacy">Privacy policy</a></li>
<li><a href="/cookies">Cookie settings</a></li></ul></footer>
<script src="/static/ads.js" async></script>
</body>
</html>
"""


def stats_page(article: dict[str, Any], c: Chrome) -> str:
    nav = "".join(f'<li><a href="/{n.lower().replace(" ", "")}">{e(n)}</a></li>' for n in c.nav)
    cookie = (
        '<div class="cookies-banner" id="global-cookie-message"><h2>Cookies on this site</h2>'
        f"<p>{e(c.cookie_text)}</p><button>Accept additional cookies</button>"
        "<button>Reject additional cookies</button></div>"
        if c.cookie
        else ""
    )
    body = "\n".join("    " + block_html(b, c) for b in article["blocks"])
    related = "".join(
        f'<li><a href="/releases/{i}">{e(r)}</a></li>' for i, r in enumerate(c.related)
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{e(article["title"])} - {e(c.site)}</title>
<link rel="stylesheet" href="/css/main.css"></head>
<body class="js-enabled">
{cookie}
<a href="#main" class="skiplink">Skip to main content</a>
<header role="banner"><div class="logo">{e(c.site)}</div>
<nav role="navigation"><ul class="primary-nav">{nav}</ul></nav></header>
<nav aria-label="Breadcrumb" class="breadcrumb"><ol><li><a href="/">Home</a></li>
<li><a href="/economy">{e(c.nav[1] if len(c.nav) > 1 else "Economy")}</a></li></ol></nav>
<main id="main" role="main">
  <div class="page-intro"><span class="page-intro__type">{e(article["kicker"])}</span>
  <h1>{e(article["title"])}</h1></div>
  <dl class="release-meta"><dt>Release date:</dt><dd>{e(article["date"])}</dd>
  <dt>Contact:</dt><dd><a href="mailto:stats@example.gov">{e(article["byline"])}</a></dd>
  <dt>Next release:</dt><dd>{e(c.updated)}</dd></dl>
  <div class="downloads"><a href="/file.pdf">Download this bulletin (PDF, {c.shares / 1000:.1f} MB)</a></div>
  <div class="section__content">
{body}
  </div>
</main>
<aside class="related-links"><h2>Related publications</h2><ul>{related}</ul></aside>
<div class="feedback"><p>Is this page useful? <a href="/yes">Yes</a> <a href="/no">No</a></p>
<p>{c.comments} people found this page useful.</p></div>
<footer role="contentinfo"><p>Page last updated: {e(c.updated)}</p>
<p>&copy; Crown copyright {c.footer_year}</p></footer>
</body></html>
"""


def news(site: str, **kw: Any) -> Chrome:
    defaults: dict[str, Any] = {
        "nav": NEWS_NAV,
        "ads": ADS[:3],
        "related": RELATED[:3],
        "most_read": MOST_READ[:4],
        "tags": ["Politics", "Economy"],
    }
    defaults.update(kw)
    return Chrome(site=site, **defaults)


def stats(site: str, **kw: Any) -> Chrome:
    defaults: dict[str, Any] = {
        "nav": STATS_NAV,
        "ads": [],
        "related": RELATED[1:3],
        "updated": "9 April 2024",
        "comments": 1804,
        "shares": 1200,
    }
    defaults.update(kw)
    return Chrome(site=site, **defaults)


# --- the pairs -----------------------------------------------------------------------------


def edit(article: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    """The article with one piece of text replaced (exactly once, wherever it is)."""
    out = copy.deepcopy(article)
    hits = 0

    def sub(value: Any) -> Any:
        nonlocal hits
        if isinstance(value, str):
            if old in value:
                hits += value.count(old)
                return value.replace(old, new)
            return value
        if isinstance(value, tuple):
            return tuple(sub(v) for v in value)
        if isinstance(value, list):
            return [sub(v) for v in value]
        return value

    out["blocks"] = sub(out["blocks"])
    if hits != 1:
        raise ValueError(f"{old!r} found {hits} times")
    return out


def add_block(article: dict[str, Any], at: int, block: Any) -> dict[str, Any]:
    out = copy.deepcopy(article)
    out["blocks"].insert(at if at >= 0 else len(out["blocks"]) + 1 + at, block)
    return out


def drop_block(article: dict[str, Any], at: int) -> dict[str, Any]:
    out = copy.deepcopy(article)
    del out["blocks"][at]
    return out


def move_block(article: dict[str, Any], src: int, dst: int) -> dict[str, Any]:
    out = copy.deepcopy(article)
    out["blocks"].insert(dst, out["blocks"].pop(src))
    return out


@dataclass
class Pair:
    slug: str
    material: bool
    kinds: list[str]
    note: str
    render: Callable[[dict[str, Any], Chrome], str]
    before: tuple[dict[str, Any], Chrome]
    after: tuple[dict[str, Any], Chrome]


LEDGER = "The Northern Ledger"
COURIER = "Riverton Daily Courier"
NSO = "National Statistics Office"
EUSTAT = "European Statistical Bulletin"
DFE = "Explore education statistics"


def pairs() -> list[Pair]:
    P = []

    def material(slug, kinds, note, render, art_b, art_a, chrome_b, chrome_a=None):
        P.append(
            Pair(slug, True, kinds, note, render, (art_b, chrome_b), (art_a, chrome_a or chrome_b))
        )

    def furniture(slug, kinds, note, render, art, chrome_b, chrome_a, art_a=None):
        P.append(Pair(slug, False, kinds, note, render, (art, chrome_b), (art_a or art, chrome_a)))

    ns = stats(NSO)
    # The example: two figures revised and the key sentence rewritten.
    jobless_rev = edit(
        edit(
            JOBLESS,
            "The UK unemployment rate was estimated at 12% in November 2023 to January "
            "2024, above estimates for the previous quarter.",
            "The UK unemployment rate was estimated at 24% in November 2023 to January "
            "2024, following a reweighting of the survey to new population estimates.",
        ),
        "rose to 9.4 million, the highest level since comparable records began in 1993.",
        "rose to 10.9 million, though the series has been revised and is not comparable "
        "with earlier years.",
    )
    jobless_rev["blocks"][7][1][2][1] = "24%"
    material(
        "01-jobless-revised-figures",
        ["number", "text_rewritten"],
        "12% -> 24% and 9.4 -> 10.9 million, key sentences rewritten, table cell revised",
        stats_page,
        JOBLESS,
        jobless_rev,
        ns,
        stats(NSO, updated="10 April 2024"),
    )

    c = news(COURIER, ads=ADS[1:4])
    material(
        "02-budget-money",
        ["number"],
        "$3.5bn -> $3.7bn in the first paragraph",
        news_page,
        BUDGET,
        edit(BUDGET, "approved a $3.5bn budget", "approved a $3.7bn budget"),
        c,
        news(COURIER, ads=ADS[2:5], shares=1302, comments=341, updated="Updated 1 hour ago"),
    )
    material(
        "03-budget-written-number",
        ["number"],
        "twelve positions -> fourteen positions",
        news_page,
        BUDGET,
        edit(BUDGET, "adds twelve positions", "adds fourteen positions"),
        c,
    )
    material(
        "04-cpi-european-decimal",
        ["number"],
        "Croatia 4,8% -> 5,1% (comma decimals)",
        stats_page,
        CPI,
        edit(CPI, "Croatia (4,8%)", "Croatia (5,1%)"),
        stats(EUSTAT, footer_year=2024),
    )
    material(
        "05-schools-table-cell",
        ["number"],
        "a table cell: special schools 38.0% -> 36.0%",
        stats_page,
        SCHOOLS,
        _table_edit(SCHOOLS, 3, 2, "36.0%"),
        stats(DFE),
    )
    material(
        "06-wages-fraction",
        ["number"],
        "a third -> a quarter of members",
        news_page,
        WAGES,
        edit(WAGES, "said a third of its members", "said a quarter of its members"),
        news(LEDGER),
    )
    material(
        "07-flood-date",
        ["date"],
        "published on Monday -> on Tuesday",
        news_page,
        FLOOD,
        edit(FLOOD, "published on Monday", "published on Tuesday"),
        news(LEDGER),
    )
    material(
        "08-budget-date",
        ["date"],
        "July 1, 2024 -> August 1, 2024",
        news_page,
        BUDGET,
        edit(BUDGET, "starting July 1, 2024", "starting August 1, 2024"),
        c,
        news(COURIER, ads=ADS[1:4], updated="Updated 12 minutes ago"),
    )
    material(
        "09-cpi-next-release-date",
        ["date"],
        "next release 3 April 2024 -> 4 April 2024 (in the text)",
        stats_page,
        CPI,
        edit(CPI, "scheduled for 3 April", "scheduled for 4 April"),
        stats(EUSTAT),
    )
    material(
        "10-flood-negation",
        ["negation"],
        "defences did not fail -> defences failed (body)",
        news_page,
        FLOOD,
        edit(
            FLOOD,
            "found that the town's flood defences did not fail, but were overwhelmed",
            "found that the town's flood defences failed and were overwhelmed",
        ),
        news(LEDGER),
        news(LEDGER, shares=2210, comments=702),
    )
    material(
        "11-vaccine-negation",
        ["negation"],
        "The difference was not statistically significant -> was statistically significant",
        news_page,
        VACCINE,
        edit(
            VACCINE,
            "The difference was not statistically significant",
            "The difference was statistically significant",
        ),
        news(LEDGER),
    )
    material(
        "12-train-negation-contraction",
        ["negation"],
        "had never scheduled -> had scheduled",
        news_page,
        TRAIN,
        edit(TRAIN, "but had never scheduled a repair", "but had scheduled a repair"),
        news(COURIER),
    )
    material(
        "13-flood-name",
        ["name"],
        "University of Leeds -> University of York",
        news_page,
        FLOOD,
        edit(FLOOD, "University of Leeds", "University of York"),
        news(LEDGER),
    )
    material(
        "14-budget-name",
        ["name"],
        "Councilmembers Ana Ruiz -> Councilmembers Ana Ortiz",
        news_page,
        BUDGET,
        edit(BUDGET, "Councilmembers Ana Ruiz", "Councilmembers Ana Ortiz"),
        c,
    )
    material(
        "15-vaccine-place",
        ["name"],
        "Denmark and Sweden -> Denmark and Norway",
        news_page,
        VACCINE,
        edit(VACCINE, "Denmark and Sweden", "Denmark and Norway"),
        news(COURIER),
    )
    material(
        "16-housing-paragraph-added",
        ["paragraph_added"],
        "a new paragraph quoting a builder",
        news_page,
        HOUSING,
        add_block(
            HOUSING,
            6,
            "A spokesperson for one of the largest builders said the company "
            "had paused work on several sites while it waited for demand to recover.",
        ),
        news(LEDGER),
        news(LEDGER, updated="Updated 2 hours ago"),
    )
    material(
        "17-train-paragraph-removed",
        ["paragraph_removed"],
        "the paragraph with the company's statement is gone",
        news_page,
        TRAIN,
        drop_block(TRAIN, 4),
        news(COURIER),
    )
    material(
        "18-schools-paragraph-removed",
        ["paragraph_removed"],
        "the comparability caveat is removed",
        stats_page,
        SCHOOLS,
        drop_block(SCHOOLS, 6),
        stats(DFE),
    )
    material(
        "19-wages-correction",
        ["correction_note", "number"],
        "apprentice rate 21.2% -> 21.0% and a correction note at the end",
        news_page,
        WAGES,
        add_block(
            edit(WAGES, "increase by 21.2% to", "increase by 21.0% to"),
            -1,
            "Correction: An earlier version of this article said the apprentice rate "
            "would rise by 21.2%. The correct figure is 21.0%.",
        ),
        news(LEDGER),
        news(LEDGER, updated="Updated 1 day ago"),
    )
    material(
        "20-vaccine-editors-note",
        ["correction_note"],
        "an editor's note added, nothing else",
        news_page,
        VACCINE,
        add_block(
            VACCINE,
            -1,
            "Editor's note: This article has been updated to clarify that the "
            "study was observational and cannot prove the absence of a risk.",
        ),
        news(LEDGER),
    )
    material(
        "21-housing-rewritten",
        ["text_rewritten"],
        "the minister's position reversed in a rewritten sentence",
        news_page,
        HOUSING,
        edit(
            HOUSING,
            "said the government remained committed to the target.",
            "conceded that the target would be reviewed later this year.",
        ),
        news(LEDGER),
    )
    material(
        "22-flood-rewritten",
        ["text_rewritten"],
        "the maintenance finding rewritten",
        news_page,
        FLOOD,
        edit(
            FLOOD,
            "The report found no evidence of poor maintenance, but criticised",
            "The report found that maintenance had lapsed in places and also criticised",
        ),
        news(LEDGER),
    )
    material(
        "23-jobless-decimal-and-stamp",
        ["number"],
        "pay growth 6.1% -> 6.2% while the stamps change too",
        stats_page,
        JOBLESS,
        edit(JOBLESS, "was 6.1% in November", "was 6.2% in November"),
        ns,
        stats(NSO, updated="16 April 2024", comments=1911),
    )

    # --- only the page around the article changed ---
    furniture(
        "31-budget-ads-rotated",
        ["ads"],
        "different ads in every slot",
        news_page,
        BUDGET,
        c,
        news(COURIER, ads=ADS[3:5] + ADS[:1]),
    )
    furniture(
        "32-flood-nav-changed",
        ["nav"],
        "navigation gained sections",
        news_page,
        FLOOD,
        news(LEDGER),
        news(LEDGER, nav=NEWS_NAV + ["Climate", "Culture", "Podcasts"]),
    )
    furniture(
        "33-train-related-links",
        ["related"],
        "related stories and most-read list changed",
        news_page,
        TRAIN,
        news(COURIER),
        news(COURIER, related=RELATED[3:6], most_read=MOST_READ[1:5]),
    )
    furniture(
        "34-vaccine-counters",
        ["counters"],
        "share and comment counters went up",
        news_page,
        VACCINE,
        news(LEDGER),
        news(LEDGER, shares=15_870, comments=2_313),
    )
    furniture(
        "35-housing-updated-stamp",
        ["stamp"],
        "'Updated 3 minutes ago' -> 'Updated 5 hours ago'",
        news_page,
        HOUSING,
        news(LEDGER),
        news(LEDGER, updated="Updated 5 hours ago"),
    )
    furniture(
        "36-wages-cookie-banner",
        ["cookie_banner"],
        "cookie banner gone after consent",
        news_page,
        WAGES,
        news(LEDGER),
        news(LEDGER, cookie=False),
    )
    furniture(
        "37-flood-markup",
        ["markup"],
        "CMS template update: wrapped source lines, classes, curly quotes",
        news_page,
        FLOOD,
        news(LEDGER),
        news(LEDGER, reformatted=True),
    )
    furniture(
        "38-budget-paragraph-moved",
        ["reordered"],
        "two paragraphs swapped, no words changed (decided: not material)",
        news_page,
        BUDGET,
        c,
        c,
        art_a=move_block(BUDGET, 6, 2),
    )
    furniture(
        "39-jobless-next-release",
        ["stamp", "downloads"],
        "next-release date, PDF size and feedback count",
        stats_page,
        JOBLESS,
        ns,
        stats(NSO, updated="14 May 2024", shares=1300, comments=2011),
    )
    furniture(
        "40-cpi-footer-cookie",
        ["footer", "cookie_banner"],
        "copyright year and cookie banner",
        stats_page,
        CPI,
        stats(EUSTAT),
        stats(EUSTAT, footer_year=2025, cookie=False),
    )
    furniture(
        "41-schools-related-nav",
        ["related", "nav"],
        "related publications and navigation",
        stats_page,
        SCHOOLS,
        stats(DFE),
        stats(DFE, related=RELATED[3:6], nav=STATS_NAV + ["Business, industry and trade"]),
    )
    furniture(
        "42-train-read-more",
        ["related"],
        "the inline 'Read more' link points to another story",
        news_page,
        TRAIN,
        news(COURIER, read_more="Rail fares to rise by 4.9% in March"),
        news(COURIER, read_more="Ten years on: the Castleford line reopens"),
    )
    furniture(
        "43-housing-newsletter-tags",
        ["newsletter", "tags"],
        "newsletter promo and topic tags",
        news_page,
        HOUSING,
        news(LEDGER),
        news(LEDGER, newsletter="Get our Property newsletter every Thursday.", tags=["Housing"]),
    )
    furniture(
        "44-vaccine-everything",
        ["ads", "counters", "stamp", "related", "cookie_banner"],
        "a day later: ads, counters, stamp, related and most-read all changed",
        news_page,
        VACCINE,
        news(LEDGER),
        news(
            LEDGER,
            ads=ADS[2:5],
            shares=40_118,
            comments=5_002,
            updated="Updated 1 day ago",
            related=RELATED[2:5],
            most_read=MOST_READ[:3],
            cookie=False,
        ),
    )
    furniture(
        "45-wages-markup-counters",
        ["markup", "counters"],
        "template update and counters",
        news_page,
        WAGES,
        news(LEDGER),
        news(LEDGER, reformatted=True, shares=2001, comments=45),
    )
    furniture(
        "46-cpi-markup",
        ["markup"],
        "statistics page template update",
        stats_page,
        CPI,
        stats(EUSTAT),
        stats(EUSTAT, reformatted=True),
    )
    furniture(
        "47-budget-ad-density",
        ["ads"],
        "more ad slots between paragraphs",
        news_page,
        BUDGET,
        c,
        news(COURIER, ads=ADS, wide_ad_every=2),
    )
    furniture(
        "48-schools-paragraph-moved",
        ["reordered"],
        "the free-school-meals paragraph moved up",
        stats_page,
        SCHOOLS,
        stats(DFE),
        stats(DFE),
        art_a=move_block(SCHOOLS, 5, 2),
    )
    wp = news(COURIER, inbody_meta=True)
    furniture(
        "49-flood-inbody-stamp",
        ["stamp"],
        "the in-body 'Updated' stamp moved on",
        news_page,
        FLOOD,
        wp,
        news(COURIER, inbody_meta=True, updated="Updated 2 hours ago"),
    )
    furniture(
        "50-vaccine-inbody-counters",
        ["counters"],
        "in-body share and comment counts",
        news_page,
        VACCINE,
        wp,
        news(COURIER, inbody_meta=True, shares=9_870, comments=1_002),
    )
    furniture(
        "51-train-inbody-ads",
        ["ads"],
        "in-body ads rotated behind 'continues below' labels",
        news_page,
        TRAIN,
        wp,
        news(COURIER, inbody_meta=True, ads=ADS[3:5]),
    )
    furniture(
        "52-housing-inbody-everything",
        ["stamp", "counters", "ads", "markup"],
        "in-body stamp, counters, ads and a template update together",
        news_page,
        HOUSING,
        wp,
        news(
            COURIER,
            inbody_meta=True,
            updated="Updated yesterday",
            shares=12_004,
            comments=77,
            ads=ADS[::2],
            reformatted=True,
        ),
    )
    furniture(
        "53-flood-cookie-text",
        ["cookie_banner", "nav"],
        "new consent text and menu",
        news_page,
        FLOOD,
        news(LEDGER),
        news(
            LEDGER,
            nav=NEWS_NAV[:5] + ["Newsletters"],
            cookie_text="We and our 812 "
            "partners store and access information on your device. Accept or manage.",
        ),
    )
    material(
        "54-budget-inbody-number",
        ["number"],
        "police overtime $48m -> $52m on the in-body theme",
        news_page,
        BUDGET,
        edit(BUDGET, "$48m for the police", "$52m for the police"),
        wp,
        news(COURIER, inbody_meta=True, updated="Updated 5 minutes ago", comments=402),
    )
    return P


def _table_edit(article: dict[str, Any], row: int, col: int, value: str) -> dict[str, Any]:
    out = copy.deepcopy(article)
    for k, block in enumerate(out["blocks"]):
        if isinstance(block, tuple) and block[0] == "table":
            rows = [list(r) for r in block[1]]
            rows[row][col] = value
            out["blocks"][k] = ("table", rows)
            return out
    raise ValueError("no table")


def main() -> None:
    manifest = []
    for p in pairs():
        d = HERE / p.slug
        d.mkdir(exist_ok=True)
        (d / "before.html").write_text(p.render(*p.before), encoding="utf-8")
        (d / "after.html").write_text(p.render(*p.after), encoding="utf-8")
        manifest.append({"pair": p.slug, "material": p.material, "kinds": p.kinds, "note": p.note})
    (HERE / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    print(f"{len(manifest)} pairs, {sum(m['material'] for m in manifest)} material")


if __name__ == "__main__":
    main()
