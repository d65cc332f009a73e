"""Made-up listing pages in the formats of each era of the NSPCC's pages (see
data/reference/nspcc-listing-pages.csv, format_notes), and made-up pages that are not listing
pages, for the harvest tests' web archive and live site. Every review, child, place story and
recommendation here is invented; only the shapes imitate the real pages.
"""

from __future__ import annotations

MONTHLY = "https://learning.nspcc.org.uk/case-reviews/monthly-case-reviews-update"
RECENT = "https://learning.nspcc.org.uk/case-reviews/recently-published-case-reviews"
YEARLY_2014 = ("https://www.nspcc.org.uk/preventing-abuse/child-protection-system/"
               "case-reviews/2014/")
INFORM_2012 = ("http://www.nspcc.org.uk/Inform/resourcesforprofessionals/scrs/"
               "serious_case_reviews_2012_wda88142.html")
LIBRARY = "https://library.example.org/record/"  # report links: a made-up library catalogue


def _html(title: str, body: str) -> bytes:
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{title}</title></head>\n<body>\n<nav><a href=\"/\">Home</a> "
            f"<a href=\"/training\">Training</a></nav>\n<main>\n<h1>{title}</h1>\n{body}\n"
            "</main>\n<footer><p>Helpline 0808 800 5000</p></footer>\n</body></html>\n"
            ).encode()


def inform_2012() -> bytes:
    """NSPCC Inform, 2012: the year run into the place, no labels, keyword line with a stop."""
    return _html("Case reviews published in 2012", """
<p>2012Ceredigion &ndash; Child J</p>
<p>Child practice review into the neglect of a 6-year-old boy who often missed school and was
found living in a cold, damp flat. Makes recommendations to the education service on following up
absences and on home visits.</p>
<p>Neglect, school attendance.</p>
<p>2012Rutland &ndash; Baby W</p>
<p>Serious case review into the death of a 4-month-old girl who was placed to sleep on a sofa.
Makes recommendations to health visitors on safe sleep advice for both parents.</p>
<p>Sudden infant deaths, co-sleeping.</p>""")


def yearly_2014() -> bytes:
    """nspcc.org.uk, 2014: month headings, Background:/Learning:/Model:, report links."""
    return _html("Case reviews 2014", f"""
<h3>November 2014 &ndash; Torbay - Child M</h3>
<p>Serious injury of a 9-month-old boy with unexplained bruising.</p>
<p><strong>Background:</strong> the family had moved twice and the mother had asked for help.</p>
<p><strong>Learning:</strong> bruising in babies who cannot crawl; hearing the father's view.</p>
<p><strong>Model:</strong> SCIE Learning Together</p>
<p><strong>Keywords:</strong> physical abuse, infants, bruising</p>
<p><a href="{LIBRARY}C1001">Read the overview report</a></p>
<h3>October 2014NSPCC on behalf of unnamed LSCB - Child Z</h3>
<p>Death of a 14-year-old girl who had gone missing from a residential home.</p>
<p><strong>Learning:</strong> responding to missing episodes; placements far from home.</p>
<p><strong>Keywords:</strong> missing children, looked after children</p>
<p><a href="{LIBRARY}C1002.pdf">Read the executive summary</a></p>""")


def monthly(version: str) -> bytes:
    """The monthly 'Case reviews update' of 2025: v1; v2 adds a review; v2-corrected corrects
    the first review's summary."""
    first_summary = ("Death of a 2-month-old boy in May 2024 after an unexplained collapse."
                     if version != "v2-corrected" else
                     "Death of a 3-month-old boy in May 2024 after an unexplained collapse.")
    extra = f"""
<h3>2025 &ndash; Halton - Child Q</h3>
<p>Serious injury of a 13-year-old girl who was groomed online.</p>
<p><strong>Learning themes include:</strong> online safety advice for parents; sharing
concerns between schools.</p>
<p><strong>Recommendations to the partnership include:</strong> schools to review their filtering
arrangements.</p>
<p><strong>Keywords:</strong> online abuse, grooming, adolescents</p>
<p><a href="{LIBRARY}C3002">&gt; Read the overview report</a></p>""" if version != "v1" else ""
    return _html("Case reviews update", f"""
<p>Last updated: 4 March 2025</p>
<h3>2025 &ndash; Wokingham - Baby O</h3>
<p>{first_summary}</p>
<p><strong>Learning themes include:</strong> safe sleep; support for fathers.</p>
<p><strong>Recommendations to the partnership include:</strong> midwives to repeat safe sleep
advice at every visit.</p>
<p><strong>Keywords:</strong> infant deaths, safe sleep, fathers</p>
<p><a href="{LIBRARY}C3001">&gt; Read the executive summary</a></p>{extra}""")


def recent_2023_text() -> bytes:
    """learning.nspcc.org.uk 'recently published', 2023, as a plain-text capture."""
    return b"""Case reviews published in 2023
Last updated: 23 May 2023

2023 - Anonymous - Child K

Death of a 16-year-old boy who had been exploited by a county lines gang.

Learning includes: recognising criminal exploitation; transitions between schools.

Keywords: criminal exploitation, adolescents

> Read the overview report
"""


def recent_2024() -> bytes:
    return _html("Case reviews published in 2024", f"""
<p>Last updated: 7 June 2024</p>
<h3>2024 &ndash; Swindon - Children P and R</h3>
<p>Neglect of two brothers aged 4 and 6 whose home was without heating.</p>
<p><strong>Learning focuses on:</strong> home conditions; the voice of the child.</p>
<p><strong>Model:</strong> SILP</p>
<p><strong>Keywords:</strong> neglect, home conditions, siblings</p>
<p><a href="{LIBRARY}C2001">&gt; Read the overview report</a></p>""")


# --- not listing pages ----------------------------------------------------------------------
def error_page() -> bytes:
    return _html("Page not found", "<p>Sorry, we could not find that page.</p>")


def cookie_wall() -> bytes:
    return (b"<!DOCTYPE html><html><head><title>Before you continue</title></head><body>"
            b"<h1>We use cookies</h1><p>Choose whether to accept all cookies.</p>"
            b"<button>Accept all cookies</button></body></html>")


def home_page_refresh() -> bytes:
    return (b"<!DOCTYPE html><html><head><meta http-equiv=\"refresh\" content=\"0; url=/\">"
            b"<title>Moved</title></head><body><p>This page has moved.</p></body></html>")
