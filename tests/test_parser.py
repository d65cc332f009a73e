"""The parser: the real sample page pinned field by field, the heading and list grammar, and
one test per made-up page format (tests/fixtures/pages/, all text invented)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reviewgraph.errors import ReviewGraphError
from reviewgraph.parser import (
    EntryCache,
    Heading,
    child_pseudonyms,
    classify_label,
    load_known_places,
    looks_like_keywords,
    make_recommendations,
    parse_file,
    parse_heading,
    parse_lines,
    split_items,
    split_keywords,
)
from reviewgraph.paths import SOURCES_DIR
from reviewgraph.sources import NumberedLine

SAMPLE = SOURCES_DIR / "nspcc-new-in-the-collection-2025.txt"
PAGES = Path(__file__).parent / "fixtures" / "pages"
# A small stand-in for the UK local authority list (data/reference/), with decoys.
PLACES = frozenset({
    "Birmingham", "Bristol", "Haringey", "Hertfordshire", "Kent", "Oxfordshire", "Warrington",
    "Croydon", "Northamptonshire", "Luton", "Blackpool", "Ceredigion", "Wrexham", "Norfolk",
    "Cambridgeshire", "Peterborough", "Cambridgeshire and Peterborough", "Somerset",
    "North Yorkshire", "Devon", "Torbay", "Brighton and Hove", "Stockton-on-Tees", "Reading",
})

SAMPLE_EXPECTED = [{'title': 'Baby A',
  'year': 2025,
  'month': None,
  'locality': 'Birmingham',
  'publisher_note': None,
  'report_type': 'overview report',
  'review_type': None,
  'keywords': ['domestic abuse',
               'infant deaths',
               'neonatal intensive care units',
               'newborn babies',
               'prison and prisoners',
               'probation service'],
  'learning': ['the effectiveness of multi-agency public protection arrangements (MAPPA) and '
               'multi-agency risk assessment conference process (MARAC), and their interface in '
               'reducing risk and safeguarding vulnerable adults and children',
               'barriers to practitioners’ response to suspected domestic violence where there '
               'is evidence of abuse but absence of disclosure by the victim'],
  'outcome': ['death'],
  'incident_date': '2021-09',
  # not prison or probation: only the keyword line says "prison and prisoners, probation"
  'agencies': ['hospitals', 'mappa', 'marac'],
  'places_mentioned': [],
  'recommendations': [(['the partnership'],
                       'share findings with the chair of MARAC governance to provide assurance '
                       'that the learning informs the continued development of MARAC '
                       'arrangements'),
                      (['the partnership'],
                       'evaluate the multi-agency safeguarding training which incorporates the '
                       'outcomes, impact and quality of the professional curiosity and domestic '
                       'abuse modules'),
                      (['the partnership'],
                       'undertake an audit of children’s case files involving domestic abuse to '
                       'evaluate the quality and impact of multi-agency intervention aimed at '
                       'reducing the risk to children living in violent households'),
                      (['the partnership'],
                       'oversee the effective dissemination of learning to front-line '
                       'practitioners, supervisors, and managers within the children’s '
                       'workforce, including hosting a webinar, publishing a learning lessons '
                       'briefing note and a training resource pack')],
  'children': (1, [('Baby A', 'P8D', 'female', None)]),
  'lines': (4, 9)},
 {'title': 'Serious youth violence',
  'year': 2025,
  'month': None,
  'locality': 'Bristol',
  'publisher_note': None,
  'report_type': 'executive summary',
  'review_type': 'thematic review',
  'keywords': ['serious youth violence',
               'extrafamilial harm',
               'adolescent boys',
               'school attendance',
               'interagency cooperation',
               'child criminal exploitation'],
  'learning': ['consistency of multi-agency responses to safeguarding children from risk outside '
               'the home',
               'alignment and accountability across the city and cross-border',
               'improving educational attendance and inclusion correlating to harm outside the '
               'home, and reducing preventable school exclusions and managed moves',
               'support for children with SEN',
               'co-ordinating and managing multi-agency preventative activity',
               'assuring an evidence-informed prevention programme for serious youth violence'],
  'outcome': ['death', 'serious injury'],
  'incident_date': '2024-02',
  'agencies': ['mace', 'schools'],
  'places_mentioned': [],
  'recommendations': [(['the partnership'],
                       'develop a whole partnership strategy for responding to extra-familial '
                       'harm'),
                      (['the partnership'],
                       'review and revise all strategic, operational and direct practice panels '
                       'and boards in relation to all forms of extra-familial harm'),
                      (['the partnership'],
                       'adopt multi-agency practice principles for responding to child '
                       'exploitation and extra-familial harm as a whole-partnership model of '
                       'working'),
                      (['the partnership'],
                       'adopt a whole partnership approach to integrating multi-agency data and '
                       'intelligence in relation to extra-familial harm'),
                      (['the partnership'],
                       'implement a single multi agency child exploitation (MACE) model across '
                       'all agencies (including education) as the overarching process for '
                       'supporting children at risk'),
                      (['the partnership'],
                       'establish a prevention MACE model or equivalent nested within the wider '
                       'new MACE structure')],
  'children': (10, []),
  'lines': (10, 15)},
 {'title': 'Nic',
  'year': 2025,
  'month': None,
  'locality': 'Haringey',
  'publisher_note': None,
  'report_type': 'executive summary',
  'review_type': None,
  'keywords': ['adolescents',
               'body image',
               'child deaths',
               'self harm',
               'social media',
               'suicide'],
  'learning': ['understanding the child’s voice and lived experience',
               'assessing parents’ support needs',
               'psychiatric evaluation of self-harming behaviour',
               'education provision',
               'multi-agency working and information sharing',
               'professional curiosity',
               'the role of fathers',
               'harmful social media use and content',
               'providing early help services to families'],
  'outcome': ['death', 'suicide'],
  'incident_date': '2024-09',
  'agencies': ['camhs',
               'childrens-social-care',
               'early-help',
               'general-practitioners',
               'health-services',
               'schools'],
  'places_mentioned': [],
  'recommendations': [(['the partners involved'],
                       'take a whole-family approach when children are not attending school for '
                       'health reasons'),
                      (['the partners involved'],
                       'ensure a lack of engagement in team around the family meetings is '
                       'highlighted and escalated'),
                      (['the partners involved'],
                       'review, with feedback from families, family non-engagement in early help '
                       'services'),
                      (['the partners involved'],
                       'audit social care decision-making in cases where child mental health was '
                       'a risk factor'),
                      (['the partners involved'],
                       'ensure high quality referrals and information sharing between agencies'),
                      (['the partners involved'],
                       'train all general practitioners in suicide risk assessment'),
                      (['the partners involved'],
                       'ensure clinical risk is considered for all children on assessment '
                       'waiting lists'),
                      (['the partners involved'],
                       'identify a lead professional in complex cases'),
                      (['the partners involved'],
                       'reinforce proactive engagement between healthcare services'),
                      (['the partners involved'],
                       'ensure safety planning incorporates historical risk factors'),
                      (['the partners involved'],
                       'offer appropriate interpreter support to families whose first language '
                       'is not English')],
  'children': (1, [('Nic', 'P16Y', None, None)]),
  'lines': (16, 21)},
 {'title': 'Ivy',
  'year': 2025,
  'month': None,
  'locality': 'Hertfordshire',
  'publisher_note': None,
  'report_type': 'overview report',
  'review_type': None,
  'keywords': ['filicide',
               'domestic abuse',
               'court proceedings',
               'physical punishment',
               'intersectionality',
               'language'],
  'learning': ['understanding private law proceedings',
               'the impact of domestic abuse on children and on parental mental health',
               'physical chastisement',
               'the voice of the child, including non-verbal children',
               'multi-agency working with families that move across boundaries',
               'intersectionality in the context of risk assessment and support for domestic '
               'abuse victims'],
  'outcome': ['death'],
  'incident_date': '2024-04',
  # not "local authority": "moving across local authority boundaries" names a place
  'agencies': ['adcs', 'cafcass', 'courts', 'emergency-services'],
  'places_mentioned': ['Northamptonshire'],
  'recommendations': [(['the partnership'],
                       'the partnership to work with partner organisations to ensure that '
                       'learning around risks to children relating to domestic abuse and the '
                       'multi-agency response to physical abuse is included in the joint '
                       'targeted area inspection'),
                      (['the partnership'],
                       "the partnership to ensure that the policy 'Children and families moving "
                       "across local authority boundaries' is updated to give practitioners "
                       'guidance if they are considering case closure when the family have moved '
                       'to another borough'),
                      (['CAFCASS'],
                       'CAFCASS to provide training to both partnerships (Hertfordshire and '
                       'Northamptonshire) to improve practitioner knowledge of private law '
                       'proceedings'),
                      (['both partnerships'],
                       'both partnerships to promote the use of a framework to assess the impact '
                       "of a family's intersecting needs"),
                      (['both partnerships'],
                       'both partnerships to ensure that language used to describe physical '
                       'abuse, domestic abuse and sexual violence is commensurate with language '
                       'in statutory guidance'),
                      (['CAFCASS', 'ADCS'],
                       'CAFCASS and ADCS to review policy on who takes responsibility for '
                       'reporting to court under s7 of the Children Act 1989, in circumstances '
                       'where statutory involvement occurs during private proceedings')],
  'children': (1, [('Ivy', 'P2Y', 'female', None)]),
  'lines': (22, 27)},
 {'title': 'Eli and Micah',
  'year': 2025,
  'month': None,
  'locality': 'Kent',
  'publisher_note': None,
  'report_type': 'executive summary',
  'review_type': None,
  'keywords': ['infants',
               'non-accidental head injuries',
               'risk assessment',
               'cross border working',
               'substance misuse',
               'parents who have a mental health problem'],
  'learning': ['safe sleep advice',
               'domestic abuse',
               'parental adverse childhood experiences',
               "family known to integrated children's services (ICS)",
               'maternal mental health concerns',
               'missed opportunities for referral',
               'impact of cannabis',
               'role of the wider family',
               'young parents',
               'paternal mental health',
               'sibling subject to a special guardianship order',
               'cross-border communication',
               'support from the third sector'],
  # brain injuries (both), Eli's death, Micah's significant harm; the one date is Eli's
  'outcome': ['serious injury', 'death', 'serious harm'],
  'incident_date': None,
  'agencies': ['front-door-service', 'ics', 'third-sector'],
  'places_mentioned': ['Croydon'],
  'recommendations': [(['organisational safeguarding leads'],
                       'organisational safeguarding leads to review how observing safe sleep '
                       'environments with families can be routinely incorporated into practice'),
                      (['partners'],
                       'partners to remind staff that information requested as part of '
                       'assessment of risk and need by ICS is provided when requested and is '
                       'proportionate to the context of concerns'),
                      (['the ICS'],
                       'the ICS should ensure information requests contain accurate family '
                       'details, and there is recorded evidence of follow up/escalation when '
                       'information is not received'),
                      (['the partnership'],
                       'the partnership to support work towards developing a substance misuse '
                       'strategy, with a focus on cannabis use'),
                      (['the partnership'],
                       'the partnership to commission a video for professionals in relation to '
                       'parental mental health and children not being considered protective '
                       'factors'),
                      (['the ICS'],
                       'the ICS to consider including in its audit schedule a review of '
                       'information sharing at the point of case closures'),
                      (['Croydon’s front door service'],
                       'Croydon’s front door service to consider dip-sampling information '
                       'provided to other local authority areas for the purposes of assessment '
                       'and enquiry'),
                      (['partners'],
                       'partners to consider ways to improve engagement with third sector '
                       'organisations')],
  'children': (2, [('Eli', None, None, 'death'), ('Micah', None, None, 'serious harm')]),
  'lines': (28, 33)},
 {'title': 'Alice',
  'year': 2025,
  'month': None,
  'locality': 'Oxfordshire',
  'publisher_note': None,
  'report_type': 'executive summary',
  'review_type': None,
  'keywords': ['assessment [social work]',
               'child deaths',
               'child neglect',
               'interagency cooperation',
               'parenting capacity',
               'siblings'],
  'learning': ['the significance of medical and educational neglect',
               'the role of professional reflective practice in cases involving neglect',
               'the use of assessment tools to understand parenting capacity and parental '
               'motivation to change',
               'understanding the standard of care across a sibling group',
               'siblings with caring responsibilities',
               'professional difference and escalation'],
  'outcome': ['death'],
  'incident_date': '2024-07',
  'agencies': ['schools'],
  'places_mentioned': [],
  'recommendations': [(['the partnership'], 'review and refresh the local neglect strategy'),
                      (['the partnership'], 'create a suite of multiagency assessment tools'),
                      (['the partnership'],
                       'review and refresh the thresholds of needs document, ensuring a clear '
                       'focus on neurodiverse children, intersectionality, and sibling groups'),
                      (['the partnership'],
                       'improve the accessibility of and promote practitioner confidence in the '
                       'escalation and professional disagreements policy'),
                      (['the partnership'],
                       'include a named role in all multi-agency plans for the escalation of '
                       'issues including incomplete actions'),
                      (['the partnership'],
                       'provide multi-agency reflective group supervision to professionals '
                       'working with neglect'),
                      (['the partnership'],
                       'develop a schedule of scrutiny for the revised neglect strategy')],
  'children': (1, [('Alice', 'P10Y', 'female', None)]),
  'lines': (34, 39)},
 {'title': 'Daniel',
  'year': 2025,
  'month': None,
  'locality': 'Warrington',
  'publisher_note': None,
  'report_type': 'executive summary',
  'review_type': None,
  'keywords': ['alcohol misuse',
               'domestic abuse',
               'infant deaths',
               'injuries',
               'sleeping behaviour',
               'unknown men'],
  'learning': ['professional curiosity around potential injuries, including rashes',
               'children’s social care responses to notifications from police of vulnerable '
               'persons assessments',
               'the management of child in need meetings',
               'recording and sharing family history',
               'engagement with fathers',
               'safe sleeping',
               'information sharing with and from probation services'],
  'outcome': ['death'],
  'incident_date': '2023',
  'agencies': ['childrens-social-care',
               'general-practitioners',
               'health-visitors',
               'midwives',
               'police',
               'probation-service'],
  'places_mentioned': [],
  'recommendations': [(['the partnership'],
                       'embed in practice processes for midwives when parents do not attend '
                       'appointments'),
                      (['the partnership'],
                       'ensure robust information sharing between health visitors, general '
                       'practitioners and midwives'),
                      (['the partnership'],
                       'ensure shared multi-agency understanding about the processes and '
                       'requirements for child protection medical assessments'),
                      (['the partnership'],
                       'ensure same-day home visits if parents do not attend a child protection '
                       'conference or child in need meeting'),
                      (['the partnership'],
                       'audit multi-agency involvement in children in need meetings'),
                      (['the partnership'], 'review and share good practice around genograms'),
                      (['the partnership'],
                       'explore opportunities to strengthen practice around GP records, '
                       'particularly for parents where a child has previously been removed'),
                      (['the partnership'], 'develop a plan to better engage fathers'),
                      (['the partnership'],
                       'review safer sleeping risk assessments and safety planning')],
  'children': (1, [('Daniel', 'P3M', 'male', None)]),
  'lines': (40, 45)},
 {'title': 'WG S71 2023 (Child A)',
  'year': 2025,
  'month': None,
  'locality': 'West Glamorgan',
  'publisher_note': None,
  'report_type': 'executive summary',
  'review_type': None,
  'keywords': ['child sexual abuse',
               'foster children',
               'foster parents',
               'private foster care',
               'professional curiosity',
               'assessment [social work]'],
  'learning': ['home conditions and presentation of children',
               'school attendance',
               'consent and engagement',
               'private fostering guidance and regulations',
               'professional curiosity, evidence based practice, analysing observations and '
               'professional challenge',
               'pre and post COVID-19 and the impact on practice'],
  'outcome': ['sexual abuse'],
  'incident_date': '2023',
  'agencies': ['childrens-social-care', 'police', 'schools'],
  'places_mentioned': [],
  'recommendations': [(['the partnership'],
                       'seek assurance that practitioners, relevant partners and the wider '
                       'public have the relevant understanding of what private fostering '
                       'regulations are'),
                      (['the partnership'],
                       'seek assurance that practitioners are confident in assessing suitability '
                       'and triangulating information through assessment prior to approving a '
                       'private fostering arrangement, including previous referrals/assessments '
                       'with other local authorities'),
                      (['the partnership', 'all agencies'],
                       'all agencies to record that practitioners are documenting valid consent, '
                       'evidenced as voluntary and informed in line with displayed behaviour'),
                      (['the partnership'],
                       "ensure that practitioners record their 'respectful uncertainty' as part "
                       'of their rationale and defensible decision making'),
                      (['the partnership'],
                       'develop guidance for practitioners for completing assessments for '
                       'private fostering arrangements, with a parallel plan of reunification or '
                       'rebuilding relationships with family in place')],
  'children': (1, [('Child A', None, 'female', None)]),
  'lines': (46, 51)}]


@pytest.fixture(scope="module")
def sample():
    return parse_file(SAMPLE, PLACES)


def test_sample_has_eight_reviews_and_no_warnings(sample):
    assert [r.title for r in sample.records] == [e["title"] for e in SAMPLE_EXPECTED]
    assert sample.problems == []


@pytest.mark.parametrize("index", range(8), ids=[e["title"] for e in SAMPLE_EXPECTED])
def test_sample_review_fields(sample, index):
    record, expected = sample.records[index], SAMPLE_EXPECTED[index]
    for name in ("title", "year", "month", "locality", "publisher_note", "report_type",
                 "review_type", "keywords", "learning", "outcome", "incident_date", "agencies",
                 "places_mentioned"):
        assert getattr(record, name) == expected[name], name
    assert [(r.addressees, r.text) for r in record.recommendations] == expected["recommendations"]
    assert (
        record.children.count,
        [(c.pseudonym, c.age, c.sex, c.outcome) for c in record.children.children],
    ) == expected["children"]
    assert (record.source.first_line, record.source.last_line) == expected["lines"]
    assert record.source.file == str(SAMPLE)
    assert record.background is None and record.model is None
    # the summary is the line after the heading, word for word
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    assert record.summary == lines[record.source.first_line].strip()


def test_each_named_child_gets_the_outcome_and_date_their_clause_states(sample):
    eli_and_micah = sample.records[4]
    assert [(c.pseudonym, c.outcome, c.date) for c in eli_and_micah.children.children] == [
        ("Eli", "death", "2022"), ("Micah", "serious harm", None)]
    assert eli_and_micah.incident_date is None  # no date covers both children


def test_learning_specific_to_children_stays_with_them(sample):
    eli_and_micah = sample.records[4]
    assert eli_and_micah.learning_about == [[]] * 7 + [["Eli", "Micah"]] * 6
    assert all(record.learning_about == [] for record in sample.records[:4])


def test_significant_harm_is_serious_harm_and_injury_needs_the_word():
    lines = _lines(
        "2024 - Kent - Child P",
        "Child P, a 3-year-old girl, suffered significant harm in 2023.",
        "Keywords: neglect",
        "2024 - Kent - Child R",
        "Serious injury to a 5-month-old boy in May 2023.",
        "Keywords: injuries",
    )
    p, r = parse_lines(lines, "made-up.txt", PLACES).records
    assert (p.outcome, p.incident_date) == (["serious harm"], "2023")
    assert (r.outcome, r.incident_date) == (["serious injury"], "2023-05")


def test_sample_counts(sample):
    by_title = {r.title: r for r in sample.records}
    assert len(by_title["Eli and Micah"].learning) == 13  # both of Kent's learning lists
    assert [len(r.learning) for r in sample.records] == [2, 6, 9, 6, 13, 6, 7, 6]
    assert [len(r.recommendations) for r in sample.records] == [4, 6, 11, 6, 8, 7, 9, 5]
    assert all(len(r.keywords) == 6 for r in sample.records)


ALLOWED_LEFTOVER = {
    # label words, connectives and the link line: the only words not copied into a field
    "and", "Learning", "themes", "include", "includes", "Recommendations", "to", "the",
    "partnership", "partners", "involved", "Keywords", "Read", "overview", "report",
    "executive", "summary", "specific", "Eli", "Micah",
}


def test_no_text_of_the_sample_is_left_unassigned(sample):
    lines = SAMPLE.read_text(encoding="utf-8").splitlines()
    covered: set[int] = set()
    for record in sample.records:
        first, last = record.source.first_line, record.source.last_line
        covered.update(range(first, last + 1))
        values = [record.title, record.locality or "", record.summary or "", *record.learning,
                  *record.keywords, *(r.text for r in record.recommendations)]
        for number in range(first, last + 1):
            remainder = lines[number - 1]
            for value in sorted(values, key=len, reverse=True):
                if value:
                    remainder = remainder.replace(value, " ")
            leftover = set(re.findall(r"[A-Za-z]+", remainder)) - ALLOWED_LEFTOVER
            assert not leftover, (number, leftover, remainder)
    # Lines 1-3 are the page's title, introduction and helpline notice; every other line is
    # inside an entry.
    assert covered == set(range(4, len(lines) + 1))


# --- heading grammar ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025 – Kent - Eli and Micah", Heading(2025, None, "Kent", "Eli and Micah")),
        ("2025 - Kent - Eli and Micah", Heading(2025, None, "Kent", "Eli and Micah")),
        ("December 2014 – Blackpool - Child BR", Heading(2014, 12, "Blackpool", "Child BR")),
        ("2012Ceredigion – Child J", Heading(2012, None, "Ceredigion", "Child J")),
        ("2016 - Anonymous – Child N", Heading(2016, None, None, "Child N")),
        ("2019 – Cambridgeshire and Peterborough - Child W",
         Heading(2019, None, "Cambridgeshire and Peterborough", "Child W")),
        ("2025 - West Glamorgan - WG S71 2023 (Child A)",
         Heading(2025, None, "West Glamorgan", "WG S71 2023 (Child A)")),
        ("2020 – Stockton-on-Tees - Child P", Heading(2020, None, "Stockton-on-Tees", "Child P")),
        ("2025 – Bristol - Serious youth violence",
         Heading(2025, None, "Bristol", "Serious youth violence")),
        ("Sept 2019 — Devon — Baby Q", Heading(2019, 9, "Devon", "Baby Q")),
    ],
)
def test_heading_grammar(text, expected):
    assert parse_heading(text) == expected


def test_heading_without_year_takes_the_section_year():
    assert parse_heading("Anonymous- Children F, G and H", section_year=2013) == Heading(
        2013, None, None, "Children F, G and H"
    )
    assert parse_heading("Anonymous- Children F, G and H") is None
    assert parse_heading("Devon - Child Q", PLACES, 2014) == Heading(2014, None, "Devon", "Child Q")


@pytest.mark.parametrize(
    "text",
    [
        "Death of an 8-day-old baby girl in September 2021 whilst in the neonatal unit.",
        "Keywords: domestic abuse, infant deaths",
        "> Read the overview report",
        "New in the collection",
        "Learning includes: a; b; and c.",
        "Death of a 3-month-old boy in early 2023 - cause unknown.",
    ],
)
def test_lines_that_are_not_headings(text):
    assert parse_heading(text) is None


# --- lists, labels, addressees --------------------------------------------------------------
def test_split_items_as_a_reader_would():
    assert split_items("a; b; and c") == ["a", "b", "c"]
    assert split_items("one, with a comma; two, and more; and three.") == [
        "one, with a comma", "two, and more", "three"
    ]
    assert split_items("first point. Second point.") == ["first point", "Second point"]
    assert split_items("checking e.g. records; and more") == ["checking e.g. records", "more"]
    # a learning list without semicolons splits on commas only when every part is short
    assert split_items("recognising exploitation, responding to missing episodes and "
                       "listening to the child.", comma_lists=True) == [
        "recognising exploitation", "responding to missing episodes", "listening to the child"
    ]
    long = "professionals did not share what they knew about the father, who had a history"
    assert split_items(long, comma_lists=True) == [long]


def test_keywords_trimmed_without_trailing_full_stop():
    assert split_keywords(" neglect, siblings , assessment [social work]. ") == [
        "neglect", "siblings", "assessment [social work]"
    ]
    assert looks_like_keywords("neglect, alcohol misuse, early years, parenting")
    assert not looks_like_keywords("Ivy's parents were separated, and there were concerns, x")
    assert not looks_like_keywords("domestic abuse, neglect")


@pytest.mark.parametrize(
    ("label", "kind"),
    [
        ("Learning", "learning"), ("Learning includes", "learning"),
        ("Learning themes include", "learning"), ("Learning focuses on", "learning"),
        ("Learning themes specific to Eli and Micah include", "learning"),
        ("Key issues", "learning"), ("Issues identified include", "learning"),
        ("Recommendations", "recommendations"), ("Recommendations include", "recommendations"),
        ("Recommendations to the partnership include", "recommendations"),
        ("Makes recommendations to the LSCB on", "recommendations"),
        ("Keywords", "keywords"), ("Background", "background"), ("Model", "model"),
        ("Summary", "summary"), ("Review type", "review_type"),
        ("The children were subject to a range of vulnerabilities including", None),
        ("LA1 partnership", None),
    ],
)
def test_label_classes(label, kind):
    assert classify_label(label) == kind


def test_addressees_from_label_sub_label_and_subject():
    items = ["LA1 partnership: audit strategy discussions", "review guidance",
             "both partnerships: agree a protocol", "CAFCASS and ADCS to review policy",
             "develop a plan to better engage fathers", "all agencies to record consent",
             "Croydon’s front door service to consider dip-sampling"]
    result = make_recommendations(items, None)
    assert [(r.addressees, r.text) for r in result] == [
        (["LA1 partnership"], "audit strategy discussions"),
        (["LA1 partnership"], "review guidance"),
        (["both partnerships"], "agree a protocol"),
        (["both partnerships", "CAFCASS", "ADCS"], "CAFCASS and ADCS to review policy"),
        (["both partnerships"], "develop a plan to better engage fathers"),
        (["both partnerships", "all agencies"], "all agencies to record consent"),
        (["both partnerships", "Croydon’s front door service"],
         "Croydon’s front door service to consider dip-sampling"),
    ]
    assert [r.addressees for r in make_recommendations(
        ["develop a plan to better engage fathers", "the ICS should ensure x"], "the partnership"
    )] == [["the partnership"], ["the partnership", "the ICS"]]


def test_child_pseudonyms_from_titles():
    assert child_pseudonyms("Baby A") == ["Baby A"]
    assert child_pseudonyms("Eli and Micah") == ["Eli", "Micah"]
    assert child_pseudonyms("Children F, G and H") == ["Child F", "Child G", "Child H"]
    assert child_pseudonyms("WG S71 2023 (Child A)") == ["Child A"]
    assert child_pseudonyms("Serious youth violence") == []
    assert child_pseudonyms("Ms R") == []
    assert child_pseudonyms("Family M") == []


def test_places_come_from_the_given_list_only():
    kent = parse_file(SAMPLE, frozenset({"Croydon"})).records[4]
    assert kent.places_mentioned == ["Croydon"]
    assert parse_file(SAMPLE, frozenset()).records[4].places_mentioned == []
    # the entry's own locality is not "another" place
    assert parse_file(SAMPLE, frozenset({"Kent"})).records[4].places_mentioned == []


def test_load_known_places_reads_the_mysociety_columns(tmp_path):
    csv_file = tmp_path / "las.csv"
    csv_file.write_text(
        "local-authority-code,official-name,nice-name,alt-names\n"
        'CRY,London Borough of Croydon,Croydon,"Croydon,croydon,london borough of croydon"\n'
        "NTH,Northamptonshire County Council,Northamptonshire,Northamptonshire\n",
        encoding="utf-8",
    )
    assert load_known_places(csv_file) == {
        "Croydon", "London Borough of Croydon", "Northamptonshire",
        "Northamptonshire County Council",
    }
    assert load_known_places(tmp_path / "missing.csv") == frozenset()


# --- made-up page formats, one test each ----------------------------------------------------
def _parse(name):
    return parse_file(PAGES / name, PLACES)


def test_page_with_month_headings_blank_lines_and_nested_sub_labels():
    result = _parse("older-month-headings.txt")
    assert result.problems == []
    br, q = result.records
    assert (br.year, br.month, br.locality, br.title) == (2014, 12, "Blackpool", "Child BR")
    assert br.review_type == "serious case review"
    assert br.report_type == "overview report"  # link line without ">"
    assert br.learning == [
        "professionals relied on the mother's account without checking it",
        "the health visitor was not told about an earlier injury to a sibling",
        "the GP was not invited to the strategy discussion",
    ]
    assert [(r.addressees, r.text) for r in br.recommendations] == [
        (["LA1 partnership"], "audit the quality of strategy discussions"),
        (["LA1 partnership"], "review the guidance on bruising in non-mobile babies"),
        (["both partnerships"], "agree a shared protocol for families who move between areas"),
        (["both partnerships"], "publish a short briefing on the learning"),
    ]
    assert br.keywords == ["physical abuse", "infants", "fathers", "fractures",
                           "information sharing"]
    assert [(c.pseudonym, c.age, c.sex) for c in br.children.children] == [
        ("Child BR", "P7W", "male")]
    assert (br.outcome, br.incident_date) == (["serious injury"], "2014-03")
    assert br.agencies == ["general-practitioners", "health-visitors", "hospitals"]
    assert (br.source.first_line, br.source.last_line) == (8, 18)
    assert (q.month, q.locality) == (11, "Cambridgeshire and Peterborough")
    assert q.learning == ["recognising exploitation", "responding to missing episodes",
                          "listening to the child"]
    assert [r.addressees for r in q.recommendations] == [["the LSCB"], ["the police"]]
    assert (q.outcome, q.incident_date, q.places_mentioned) == (["death"], "2013-08", ["Luton"])
    assert q.report_type == "executive summary"


def test_page_with_run_in_years_welsh_reviews_and_unlabelled_keywords():
    result = _parse("run-in-year-wales.txt")
    assert result.problems == []
    j, k = result.records
    assert (j.year, j.locality, j.title) == (2012, "Ceredigion", "Child J")
    assert j.review_type == "child practice review"
    assert j.report_type is None  # no link line
    assert len(j.learning) == 3 and j.learning[1] == "recognising cumulative harm"
    assert [(r.addressees, r.text) for r in j.recommendations] == [
        (["the Regional Safeguarding Children Board"], "training for early years staff on neglect"),
        (["the Regional Safeguarding Children Board"],
         "a review of the referral pathway between health and social services"),
        (["the Regional Safeguarding Children Board"],
         "audits of cases closed after a single assessment"),
    ]
    assert j.keywords == ["neglect", "alcohol misuse", "early years", "parenting", "referrals"]
    assert [(c.pseudonym, c.age, c.sex) for c in j.children.children] == [
        ("Child J", "P4Y", "female")]
    assert (j.outcome, j.incident_date) == (["neglect"], "2011")
    assert j.agencies == ["childrens-social-care", "schools"]
    assert (k.year, k.locality, k.review_type) == (2011, "Wrexham", "child practice review")
    assert k.report_type == "overview report"  # "Read the full report"
    assert [r.addressees for r in k.recommendations] == [["the health board"], ["the police"]]
    assert (k.outcome, k.incident_date) == (["death", "serious injury"], "2011-05")


def test_page_with_anonymous_entries_section_years_and_a_domestic_homicide_review():
    result = _parse("anonymous-dhr.txt")
    assert result.problems == []
    n, fgh, r = result.records
    assert (n.year, n.locality, n.title) == (2016, None, "Child N")
    assert n.publisher_note == "NSPCC on behalf of unnamed LSCB"
    assert n.learning == [
        "safe storage of substitute medication",
        "the drug service did not ask who else lived in the home",
        "professionals did not see the child at home",
    ]
    assert [r.addressees for r in n.recommendations] == [
        ["the drug and alcohol service"], ["pharmacists"]]
    assert n.agencies == ["substance-misuse-services"]
    assert (fgh.year, fgh.locality, fgh.title) == (2013, None, "Children F, G and H")
    assert fgh.children.count == 3
    assert [c.pseudonym for c in fgh.children.children] == ["Child F", "Child G", "Child H"]
    assert (fgh.outcome, fgh.incident_date) == (["neglect"], "2012-10")
    assert fgh.keywords[-1] == "malnutrition"  # trailing full stop dropped
    assert len(fgh.learning) == 3
    assert r.review_type == "domestic homicide review"
    assert (r.outcome, r.incident_date) == (["death"], "2017-06")
    assert r.children.children == []  # the 34-year-old woman is not a child
    assert r.agencies == ["marac", "police"]


def test_page_with_one_paragraph_entries():
    result = _parse("one-paragraph.txt")
    assert result.problems == []
    z, y = result.records
    assert z.summary.startswith("Death of a 14-year-old boy") and z.summary.endswith(
        "mental health assessment.")
    assert len(z.learning) == 3 and len(z.recommendations) == 2
    assert [r.addressees for r in z.recommendations] == [["schools"], ["CAMHS"]]
    assert z.keywords == ["suicide", "school exclusion", "adolescents", "mental health"]
    assert z.report_type == "executive summary"
    assert z.outcome == ["death", "suicide"]
    assert y.learning == ["safe sleep advice should be repeated at every contact",
                          "professionals should ask both parents about alcohol use"]
    assert [r.text for r in y.recommendations] == [
        "refresh the safe sleep campaign",
        "add alcohol screening to the health visitor new birth visit",
    ]
    assert y.keywords == ["infants", "co-sleeping", "alcohol", "safe sleep", "fathers"]
    assert y.report_type is None
    assert [(c.pseudonym, c.age, c.sex) for c in y.children.children] == [
        ("Baby Y", "P6W", "female")]


def test_page_with_background_model_and_bullets():
    result = _parse("background-model-bullets.txt")
    assert result.problems == []
    p, w = result.records
    assert p.summary.startswith("Serious injury to a 5-month-old girl")
    assert p.background.startswith("The mother had recently left a refuge")
    assert p.model == "SILP"
    assert p.learning == [
        "managing the transfer of child protection cases between local authorities",
        "the invisibility of new partners in the household",
        "the use of interpreters with parents whose first language is not English",
    ]
    assert [(r.addressees, r.text) for r in p.recommendations] == [
        (["The partnership"],
         "The partnership should ensure that transfer-in conferences are held within 15 "
         "working days"),
        (["Housing providers"],
         "Housing providers to share information about new adults moving into a household"),
        ([], "Review the interpreter booking policy"),
    ]
    assert (p.outcome, p.incident_date) == (["serious injury"], "2018-04")
    assert "emergency-services" in p.agencies and "housing" in p.agencies
    assert w.model == "Significant incident learning process (SILP)"
    assert w.summary.startswith("Sexual abuse of Child W")
    assert [(c.pseudonym, c.age, c.sex) for c in w.children.children] == [
        ("Child W", "P12Y", "male")]
    assert (w.outcome, w.incident_date) == (["sexual abuse"], "2016")
    assert [r.addressees for r in w.recommendations] == [["the safeguarding partnership"]] * 2
    assert w.source.last_line == 36  # "Last updated" is furniture, not part of the entry


def test_html_page():
    result = _parse("collection-page.html")
    assert result.problems == []
    e, s = result.records
    html = (PAGES / "collection-page.html").read_text(encoding="utf-8").splitlines()
    assert "Norfolk - Baby E" in html[e.source.first_line - 1]  # the h3's line in the HTML
    assert (e.year, e.locality, e.title) == (2023, "Norfolk", "Baby E")
    assert e.summary.startswith("Death of a 10-week-old baby boy in February 2022")
    assert e.learning == [
        "support for parents who are care leavers",
        "the voice of fathers in antenatal care",
        "information sharing between midwives and children’s social care",
    ]
    assert [r.addressees for r in e.recommendations] == [["the ICB"], ["children’s social care"]]
    assert e.keywords == ["infant deaths", "care leavers", "young parents", "fathers"]
    assert e.report_type == "overview report"
    assert e.incident_date == "2022-02"
    assert (s.locality, s.title, s.report_type) == (None, "Child S", "executive summary")
    assert s.learning == ["supervision of young children", "the condition of the home",
                          "follow-up after missed nursery sessions"]


# --- warnings and bad input -----------------------------------------------------------------
def _lines(*texts):
    return [NumberedLine(number, text) for number, text in enumerate(texts, start=1)]


def test_truncated_entry_and_missing_keywords_are_warnings_with_lines():
    result = parse_file(PAGES / "bad" / "truncated-entry.txt", PLACES)
    assert len(result.records) == 2
    messages = [(p.line, p.message) for p in result.problems]
    assert (8, "entry has no keywords") in messages
    assert any(line == 8 and "truncated" in message for line, message in messages)
    result = parse_file(PAGES / "bad" / "no-keywords.txt", PLACES)
    assert [(p.file, p.line, p.message) for p in result.problems] == [
        (str(PAGES / "bad" / "no-keywords.txt"), 5, "entry has no keywords")]


def test_page_without_entries_is_an_error():
    with pytest.raises(ReviewGraphError, match="no case-review entries found"):
        parse_file(PAGES / "bad" / "no-entries.txt")


def test_entry_without_heading_is_a_warning():
    result = parse_lines(_lines(
        "Some introduction.",
        "Death of a child in 2020.",
        "Learning includes: a; b.",
        "Keywords: x, y",
        "2021 – Devon - Child Q",
        "Death of a 2-year-old girl in 2020.",
        "Keywords: neglect, toddlers",
    ), "page.txt")
    assert [(p.line, p.message.split(" (")[0]) for p in result.problems] == [
        (3, "entry text without a heading")]
    assert len(result.records) == 1


def test_text_after_the_link_line_and_unknown_labels_are_warnings():
    result = parse_lines(_lines(
        "2021 – Devon - Child Q",
        "Outcome: unknown.",
        "Death of a 2-year-old girl in 2020.",
        "Keywords: neglect, toddlers",
        "> Read the overview report",
        "An orphan paragraph that belongs to nothing.",
    ), "page.txt")
    messages = [(p.line, p.message) for p in result.problems]
    assert messages[0][0] == 2 and "unknown field label 'Outcome:'" in messages[0][1]
    assert messages[1][0] == 6 and "belongs to no field" in messages[1][1]
    assert all(p.file == "page.txt" and p.entity == "2021 – Devon - Child Q"
               for p in result.problems)


def test_text_after_a_list_is_a_warning_not_a_learning_point():
    result = parse_lines(_lines(
        "2021 – Devon - Child Q",
        "Death of a 2-year-old girl in 2020.",
        "Learning includes: a; b.",
        "A stray paragraph with no label at all.",
        "Keywords: neglect, toddlers",
    ), "page.txt")
    assert result.records[0].learning == ["a", "b"]
    assert [(p.line, "belongs to no field" in p.message) for p in result.problems] == [(4, True)]


def test_heading_with_no_text_is_a_warning():
    result = parse_lines(_lines("2021 – Devon - Child Q", "2021 – Devon - Child R",
                                "Death in 2020.", "Keywords: a, b"), "page.txt")
    assert [(p.line, p.message) for p in result.problems] == [
        (1, "entry has no text under its heading (truncated?)")]


def test_fields_after_the_keywords_are_flagged():
    result = parse_lines(_lines(
        "2021 – Devon - Child Q",
        "Death of a 2-year-old girl in 2020.",
        "Keywords: neglect, toddlers",
        "Death of another child.",
        "Learning includes: a; b.",
    ), "page.txt")
    assert [p.line for p in result.problems] == [4, 5]
    assert "after the entry's keywords" in result.problems[1].message


# --- the fast forms of patterns and tests agree with the plain forms they stand for ----------
def _odd_texts(count: int = 3000) -> list[str]:
    """Random texts made of what sentence, list and keyword splitting turn on."""
    import random

    pieces = [". ", "! ", "? ", ".", "\u2019 ", "\u201d ", "' ", '" ', ") ", "(", "\u2018", ">",
              " ", "  ", "\t", "\n", "\x00", "e.g. ", "i.e.", "etc. ", "Mr. ", "No.", "A", "Bb",
              "cat", "dog", "and", " and", " or", "; ", ", ", ":", "Keywords", "help line",
              "HELPLINE", "helpl\u0131ne", "0808 800 5000", "\u00a0", "\u2003"]
    rng = random.Random(11)
    return ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 14)))
            for _ in range(count)]


def test_sentence_boundaries_end_where_their_look_behind_forms_do():
    from reviewgraph.parser import KEYWORD_BOUNDARY, SENTENCE_BOUNDARY

    sentence = re.compile(r"(?<=[.!?\u2019\u201d'\")])\s+(?=[A-Z>])")
    keyword = re.compile(r"(?<=[.!?])\s+(?=\S)")
    for text in _odd_texts():
        assert [m.end() for m in SENTENCE_BOUNDARY.finditer(text)] == \
            [m.end() for m in sentence.finditer(text)], text
        for start in range(len(text) + 1):
            assert [m.end() for m in KEYWORD_BOUNDARY.finditer(text, max(start - 1, 0))] == \
                [m.end() for m in keyword.finditer(text, start)], (text, start)


def test_sentence_split_as_the_look_behind_split_with_abbreviations_protected():
    from reviewgraph.parser import ABBREVIATIONS, _split_sentences

    split = re.compile(r"(?<=[.!?])[\u2019\u201d'\")]?\s+(?=[A-Z\u2018'\"(>])")
    for text in _odd_texts():
        protected = text
        for abbreviation in ABBREVIATIONS:
            protected = protected.replace(abbreviation, abbreviation.replace(".", "\x00"))
        expected = [part.replace("\x00", ".") for part in split.split(protected)]
        assert _split_sentences(text) == expected, text


def test_only_the_text_after_the_last_sentence_end_can_be_a_keyword_list():
    from reviewgraph.parser import KEYWORD_BOUNDARY

    texts = _odd_texts() + ["Training. infants, alcohol, bruising", "a. b, c, d. e, f, g"]
    for text in texts:
        boundaries = list(KEYWORD_BOUNDARY.finditer(text))
        assert not any(looks_like_keywords(text[m.end():]) for m in boundaries[:-1]), text


def test_furniture_and_item_cleaning_as_their_plain_forms():
    from reviewgraph.parser import FURNITURE, HELPLINE, _clean_item, is_furniture

    def plain_furniture(text: str) -> bool:
        if HELPLINE.search(text) and len(text) < 400:
            return True
        return len(text) <= 80 and any(pattern.search(text) for pattern in FURNITURE)

    def plain_clean(item: str) -> str:
        item = re.sub(r"^(?:and|or|also)\s+", "", item.strip())
        item = re.sub(r"[\s;,]+(?:and|or)$", "", item)
        return item.strip().rstrip(";,").rstrip(".").strip()

    texts = _odd_texts() + ["Skip to main content", "Call our helpline", "Cookies", "Yes",
                            "Contact the NSPCC helpline on 0808 800 5000", "Page 2 of 3"]
    for text in texts:
        assert is_furniture(text) == plain_furniture(text), text
        assert _clean_item(text) == plain_clean(text), text


# --- shapes real harvested pages have (made-up text) ----------------------------------------
def test_a_two_term_keyword_line_ending_an_entry_is_its_keywords() -> None:
    result = parse_file(PAGES / "harvested-shapes.txt")
    child_m, baby_n, _ = result.records
    assert child_m.keywords == ["Suicide", "self-harm"]
    assert baby_n.keywords == ["Infants", "fractures"]
    assert "Suicide" not in (child_m.summary or "")
    assert not [p for p in result.problems if "belongs to no field" in p.message]


def test_a_heading_running_a_date_into_a_publisher_has_no_locality() -> None:
    record = parse_file(PAGES / "harvested-shapes.txt").records[2]
    assert (record.title, record.year, record.month) == ("Child C", 2014, 12)
    assert record.locality is None
    assert record.publisher_note == "NSPCC on behalf of unnamed LSCB"


def test_a_two_term_line_is_keywords_only_where_it_ends_an_entry() -> None:
    page = ("2012 – Powys - Child M\nSuicide, self-harm.\n"
            "Child M took his own life in 2011; agencies knew of his low mood.\n"
            "Keywords: suicide, bullying\n")
    record = parse_lines(_lines(*page.splitlines()), "page.txt").records[0]
    assert record.keywords == ["suicide", "bullying"]
    assert "self-harm" in (record.summary or "")


def test_html_report_links_give_the_report_document_address(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        "<html><body><h3>2025 – Kent - Child Q</h3><p>Death of a baby in 2024.</p>"
        "<p><strong>Keywords:</strong> infants, safe sleep</p>"
        '<p><a href="https://library.example.org/record/9">Read the overview report</a></p>'
        "<h3>2025 – Kent - Child R</h3><p>Serious injury of a boy in 2024.</p>"
        "<p><strong>Keywords:</strong> injuries, schools</p>"
        '<p><a href="/reports/r.pdf">Read the executive summary</a></p></body></html>',
        encoding="utf-8")
    child_q, child_r = parse_file(page).records
    assert (child_q.report_type, child_q.report_url) == ("overview report",
                                                          "https://library.example.org/record/9")
    # a relative link with no known page address is not a report address
    assert (child_r.report_type, child_r.report_url) == ("executive summary", None)


def test_text_pages_have_no_report_link() -> None:
    record = parse_file(PAGES / "harvested-shapes.txt").records[2]
    assert record.report_type == "overview report" and record.report_url is None


# --- the entry cache (many captures of one page) ---------------------------------------------
def test_entries_read_again_from_the_cache_give_what_reading_them_gives(tmp_path):
    """Each made-up page of PAGES parsed twice through one cache, the second time moved down
    and under another file name (as a later capture of a listing holds its entries), gives
    the records and warnings each page gives parsed on its own; the cache read the repeated
    entries once."""
    cache = EntryCache()
    names = sorted(path.name for path in PAGES.glob("*.txt")) + ["bad/truncated-entry.txt",
                                                                  "bad/no-keywords.txt"]
    for name in names:
        text = (PAGES / name).read_text(encoding="utf-8")
        moved = tmp_path / f"later-{Path(name).name}"
        moved.write_text("Case reviews update\n\n\n" + text, encoding="utf-8")
        for path in (PAGES / name, moved, PAGES / name):
            cached, alone = parse_file(path, PLACES, cache=cache), parse_file(path, PLACES)
            assert [r.to_json() for r in cached.records] == \
                [r.to_json() for r in alone.records], path
            assert cached.problems == alone.problems, path
    entries = sum(len(parse_file(PAGES / name, PLACES).records) for name in names)
    assert cache.hits == 2 * entries  # every entry read once, then found twice


def test_an_entry_differing_in_one_line_is_read_again():
    first = _lines("2021 – Devon - Child Q", "A boy died.", "Keywords: neglect")
    changed = _lines("2021 – Devon - Child Q", "A boy died in 2020.", "Keywords: neglect")
    spaced = [first[0], first[1], NumberedLine(5, first[2].text)]
    cache = EntryCache()
    for lines in (first, changed, spaced):
        assert parse_lines(lines, "p.txt", PLACES, cache=cache).records == \
            parse_lines(lines, "p.txt", PLACES).records
    assert cache.hits == 0
