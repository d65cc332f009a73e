"""Controlled vocabularies: keyword folding through the reviewed mapping, the theme matcher,
review types, outcomes, report types and age bands."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import RDF, Literal, URIRef
from rdflib.namespace import SKOS

from reviewgraph import parser
from reviewgraph.concepts import (
    duration_days,
    load_vocabularies,
    read_keyword_mapping,
    slugify,
    suggest_keyword_variants,
)
from reviewgraph.errors import ReviewGraphError
from reviewgraph.paths import SOURCES_DIR, VOCABULARIES_DIR
from reviewgraph.terms import DEFAULT_BASE_IRI, RG

B = DEFAULT_BASE_IRI


@pytest.fixture(scope="module")
def vocabularies():
    return load_vocabularies()


@pytest.mark.parametrize(("text", "slug"), [
    ("Eli and Micah", "eli-and-micah"),
    ("WG S71 2023 (Child A)", "wg-s71-2023-child-a"),
    ("Children F, G and H", "children-f-g-and-h"),
    ("children’s social care", "childrens-social-care"),
    ("assessment [social work]", "assessment-social-work"),
    ("Ynys Môn", "ynys-mon"),
    ("Cambridgeshire and Peterborough", "cambridgeshire-and-peterborough"),
])
def test_slugify(text: str, slug: str) -> None:
    assert slugify(text) == slug


def test_keyword_wording_drift_folds_into_one_concept(vocabularies) -> None:
    keywords = vocabularies.keywords
    who_have = keywords.concept("parents who have a mental health problem")
    assert keywords.concept("parents with a mental health problem") == who_have
    assert keywords.concept("Parents with mental health problems.") == who_have
    assert keywords.concept("infant death") == keywords.concept("infant deaths")
    assert keywords.concept("sibling").iri == URIRef(B + "keyword/siblings")
    # Spelling that only differs in case, hyphens or a full stop needs no mapping row.
    assert keywords.concept("Cross-border working").iri == keywords.concept(
        "cross border working").iri


def test_keyword_concepts_have_pref_and_alt_labels(vocabularies) -> None:
    triples = set(vocabularies.keywords.triples(
        ["parents with a mental health problem", "domestic abuse", "infant death"]))
    concept = URIRef(B + "keyword/parents-who-have-a-mental-health-problem")
    scheme = URIRef(B + "scheme/keywords")
    assert (concept, RDF.type, RG.Keyword) in triples
    assert (concept, RDF.type, SKOS.Concept) in triples
    assert (concept, SKOS.inScheme, scheme) in triples
    assert (concept, SKOS.prefLabel, Literal("parents who have a mental health problem",
                                             lang="en")) in triples
    assert (concept, SKOS.altLabel, Literal("parents with a mental health problem",
                                            lang="en")) in triples
    deaths = URIRef(B + "keyword/infant-deaths")
    assert (deaths, SKOS.prefLabel, Literal("infant deaths", lang="en")) in triples
    assert (deaths, SKOS.altLabel, Literal("infant death", lang="en")) in triples
    pref_labels = [t for t in triples if t[1] == SKOS.prefLabel]
    assert len(pref_labels) == 3


def test_every_sample_keyword_becomes_a_concept(vocabularies) -> None:
    result = parser.parse_file(SOURCES_DIR / "nspcc-new-in-the-collection-2025.txt")
    keywords = {k for record in result.records for k in record.keywords}
    triples = vocabularies.keywords.triples(keywords)
    concepts = {s for s, p, o in triples if p == SKOS.prefLabel}
    assert len(concepts) == len({vocabularies.keywords.concept(k).iri for k in keywords})
    assert len(concepts) == 42


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "keyword-mapping.csv"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("text", "message"), [
    ("from,to\na,b\n", ":1: the header must be 'variant,concept'"),
    ("variant,concept\nsibling\n", ":2: expected two values"),
    ("variant,concept\ninfant,infants\nbaby,infant\n", ":2: 'infant' is itself a concept"),
    ("variant,concept\ninfant,infants\nbaby,infants\ninfant,babies\n",
     ":4: 'infant' is mapped to both"),
])
def test_bad_keyword_mapping_names_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(ReviewGraphError, match=message.replace("(", r"\(")) as error:
        read_keyword_mapping(path)
    assert str(path) in str(error.value)


def test_project_keyword_mapping_reads(vocabularies) -> None:
    mapping = read_keyword_mapping(VOCABULARIES_DIR / "keyword-mapping.csv")
    assert mapping["parents with a mental health problem"] == (
        "parents who have a mental health problem")
    assert all(variant == variant.lower() for variant in mapping)


def test_suggestions_propose_drift_the_mapping_misses() -> None:
    keywords = ["carers", "carer", "parents with a drink problem",
                "parents who have a drink problem", "neglect"]
    assert suggest_keyword_variants(keywords, {}) == [
        ("carers", "carer"),
        ("parents with a drink problem", "parents who have a drink problem"),
    ]
    assert suggest_keyword_variants(keywords, {"carer": "carers"}) == [
        ("parents with a drink problem", "parents who have a drink problem")]


# Learning points of the sample page and the themes the matcher must find among its matches.
THEME_CASES = [
    ("safe sleep advice", {"safe-sleep"}),
    ("safe sleeping", {"safe-sleep"}),
    ("engagement with fathers", {"engaging-fathers"}),
    ("the role of fathers", {"engaging-fathers"}),
    ("understanding the child’s voice and lived experience", {"voice-of-the-child"}),
    ("the voice of the child, including non-verbal children", {"voice-of-the-child"}),
    ("professional difference and escalation", {"escalation"}),
    ("multi-agency working and information sharing",
     {"multi-agency-working", "information-sharing"}),
    ("professional curiosity", {"professional-curiosity"}),
    ("school attendance", {"school-attendance"}),
    ("the significance of medical and educational neglect", {"neglect", "school-attendance"}),
    ("maternal mental health concerns", {"parental-mental-health"}),
    ("impact of cannabis", {"substance-misuse"}),
    ("cross-border communication", {"cross-border-working", "information-sharing"}),
    ("multi-agency working with families that move across boundaries",
     {"multi-agency-working", "cross-border-working"}),
    ("barriers to practitioners’ response to suspected domestic violence", {"domestic-abuse"}),
    ("consistency of multi-agency responses to safeguarding children from risk outside the home",
     {"multi-agency-working", "extra-familial-harm"}),
    ("psychiatric evaluation of self-harming behaviour", {"self-harm-and-suicide"}),
    ("harmful social media use and content", {"online-harm"}),
    ("providing early help services to families", {"early-help"}),
    ("private fostering guidance and regulations", {"private-fostering-and-family-courts"}),
    ("pre and post COVID-19 and the impact on practice", set()),
]


@pytest.mark.parametrize(("text", "themes"), THEME_CASES)
def test_theme_matcher(vocabularies, text: str, themes: set[str]) -> None:
    found = {str(theme).rsplit("/", 1)[-1] for theme in vocabularies.themes.themes(text)}
    assert found == themes


def test_theme_matches_say_which_pattern_matched(vocabularies) -> None:
    matches = vocabularies.themes.matches("Learning includes safer sleeping arrangements.")
    assert [(str(m.theme).rsplit("/", 1)[-1], m.matched) for m in matches] == [
        ("safe-sleep", "safer sleep"), ("safe-sleep", "sleeping arrangement")]


def test_theme_patterns_match_only_at_word_start(vocabularies) -> None:
    assert vocabularies.themes.themes("grandfathers") == []
    assert vocabularies.themes.themes("a SEND assessment")  # acronym, any case


def test_every_theme_has_label_definition_and_patterns(vocabularies) -> None:
    graph = vocabularies.graph
    themes = set(graph.subjects(RDF.type, RG.LearningTheme))
    assert len(themes) >= 20
    for theme in themes:
        assert graph.value(theme, SKOS.prefLabel) is not None
        assert graph.value(theme, SKOS.definition) is not None
        assert graph.value(theme, RG.matchPattern) is not None
        assert (theme, SKOS.inScheme, URIRef(B + "scheme/learning-themes")) in graph


def test_bad_theme_pattern_is_a_clear_error(tmp_path: Path) -> None:
    for path in VOCABULARIES_DIR.iterdir():
        (tmp_path / path.name).write_bytes(path.read_bytes())
    themes = tmp_path / "themes.ttl"
    themes.write_text(themes.read_text(encoding="utf-8").replace(
        '"safer? sleep"', '"safer? (sleep"'), encoding="utf-8")
    with pytest.raises(ReviewGraphError, match=r"pattern 'safer\? \(sleep'.*not a valid"):
        load_vocabularies(directory=tmp_path)


@pytest.mark.parametrize(("label", "concept"), [
    ("child safeguarding practice review", "child-safeguarding-practice-review"),
    ("Local Child Safeguarding Practice Review", "child-safeguarding-practice-review"),
    ("SCR", "serious-case-review"),
    ("thematic review", "thematic-review"),
    ("child practice review (Wales)", "child-practice-review"),
    ("domestic homicide review", "domestic-homicide-review"),
])
def test_review_types(vocabularies, label: str, concept: str) -> None:
    found = vocabularies.review_types.find(label)
    assert found is not None and found.iri == URIRef(B + "review-type/" + concept)


def test_every_label_the_parser_emits_is_in_a_vocabulary(vocabularies) -> None:
    for label, _ in parser.REVIEW_TYPES:
        assert vocabularies.review_types.find(label), f"review type {label!r}"
    for label, _ in parser.OUTCOMES:
        assert vocabularies.outcomes.find(label), f"outcome {label!r}"
    for label in ("overview report", "executive summary"):
        assert vocabularies.report_types.find(label), f"report type {label!r}"


@pytest.mark.parametrize(("label", "concept"), [
    ("death", "death"), ("Death by suicide", "suicide"), ("suicide", "suicide"),
    ("serious injury", "serious-injury"), ("sexual abuse", "sexual-abuse"),
    ("neglect", "neglect"), ("serious-injury", "serious-injury"),
])
def test_outcomes(vocabularies, label: str, concept: str) -> None:
    found = vocabularies.outcomes.find(label)
    assert found is not None and found.iri == URIRef(B + "outcome/" + concept)


def test_unknown_labels_are_not_guessed(vocabularies) -> None:
    assert vocabularies.outcomes.find("bruised feelings") is None
    assert vocabularies.review_types.find("annual report") is None
    assert vocabularies.report_types.find("press release") is None


@pytest.mark.parametrize(("age", "band"), [
    ("P8D", "under-1"), ("P3M", "under-1"), ("P11M", "under-1"), ("P1Y", "1-4"),
    ("P2Y", "1-4"), ("P4Y11M", "1-4"), ("P10Y", "10-14"), ("P15Y", "15-17"),
    ("P16Y", "15-17"), ("P17Y", "15-17"), ("P18Y", "18-and-over"), ("P2W", "under-1"),
])
def test_age_bands(vocabularies, age: str, band: str) -> None:
    assert vocabularies.age_band(age) == URIRef(B + "age-band/" + band)


@pytest.mark.parametrize("age", ["P", "8 days", "P1.5Y", "PT3H", ""])
def test_not_a_duration(vocabularies, age: str) -> None:
    assert duration_days(age) is None
    assert vocabularies.age_band(age) is None


def test_vocabularies_follow_the_base_iri() -> None:
    base = "http://example.test/cases/"
    vocabularies = load_vocabularies(base)
    subjects = {str(s) for s in vocabularies.graph.subjects()}
    assert subjects and all(s.startswith(base) for s in subjects)
    assert vocabularies.outcomes.find("death").iri == URIRef(base + "outcome/death")
    assert vocabularies.keywords.concept("neglect").iri == URIRef(base + "keyword/neglect")


# --- fast paths give what the one-pattern-at-a-time matching gives ---------------------------
MATCHING_TEXTS = [
    "Information-sharing between agencies; the father's voice was not heard.",
    "xfathers and fathers, co-sleeping and safer sleep; -neglect then neglect.",
    "The SEND team and the send-off; self-harm, suicidal thoughts, online abuse.",
    "Nothing here names a theme at all.",
    "",
    # Patterns that begin with a group, an optional group or an alternation.
    "Parental mental ill-health; MATERNAL MENTAL HEALTH; exclusions and school exclusion.",
    "Moving across boundaries; moved to another area; the child’s voice; childs voice.",
    # Non-ASCII text: case-insensitive matching can pair a non-ASCII letter with an ASCII one
    # (the long s with "s", the Kelvin sign with "k").
    "ſelf-harm and \u212anife crime, Cannabis – alcohol…",
    "Ｔraining but not training? Training. “Escalation” and ESCALATE.",
]


@pytest.mark.parametrize("text", MATCHING_TEXTS)
def test_themes_are_the_themes_of_the_single_patterns(text: str) -> None:
    from reviewgraph.concepts import load_vocabularies

    matcher = load_vocabularies().themes
    one_by_one = sorted({theme for theme, _, compiled in matcher._patterns
                         if compiled.search(text)})
    assert matcher.themes(text) == one_by_one == sorted({m.theme for m in matcher.matches(text)})


def test_themes_of_every_line_of_the_pages_are_the_themes_of_the_single_patterns() -> None:
    from reviewgraph.concepts import load_vocabularies

    matcher = load_vocabularies().themes
    texts = [line for path in sorted(SOURCES_DIR.glob("*.txt"))
             for line in path.read_text(encoding="utf-8").splitlines()]
    for text in texts:
        assert matcher.themes(text) == sorted({theme for theme, _, compiled in matcher._patterns
                                               if compiled.search(text)}), text


def test_theme_pattern_beginnings() -> None:
    from reviewgraph.concepts import _beginnings

    assert _beginnings("professional curiosity") == {"professional curiosity"}
    assert _beginnings("fathers?\\b") == {"father"}
    assert _beginnings("(parental|maternal) mental") == {"parental", "maternal"}
    assert _beginnings("(school )?exclusions?") == {"school ", "exclusion"}
    assert _beginnings("Child(’|')?s voice") == {"child"}
    assert _beginnings("[a-z]+ing") is None  # can begin with any letter
    assert _beginnings("a|b*") is None  # can match nothing, anywhere
    assert _beginnings("(") is None  # not a pattern


def test_places_and_agencies_found_by_first_word_as_by_one_pattern() -> None:
    from reviewgraph.agencies import _normalise, default_matcher

    known = parser.load_known_places()
    agencies = default_matcher()
    texts = [line for path in sorted(SOURCES_DIR.glob("*.txt"))
             for line in path.read_text(encoding="utf-8").splitlines()]
    names = sorted(known)[:200]
    texts += [" ".join(names), "-".join(names), ", ".join(n.upper() for n in names)]
    labels = [label for agency in agencies.agencies.values() for label in agency.labels]
    texts += [f"the {label} and {label.upper()} & {label.lower()}x, {label}" for label in labels]
    for text in texts:
        assert list(parser._place_names(text, known)) == \
            [m.group(0) for m in parser._place_pattern(known).finditer(text)]
        normal = _normalise(text)
        assert [m.group(0) for m in agencies._mentions(normal)] == \
            [m.group(0) for m in agencies._pattern.finditer(normal)]


# Hard cases of the labelled set (tests/fixtures/themes/): names of meetings, negations, and
# "assessment" (or "supervision", "trauma") as a word rather than as the theme.
HARD_THEME_CASES = [
    ("the effectiveness of multi-agency public protection arrangements (MAPPA) and "
     "multi-agency risk assessment conference process (MARAC)",
     {"multi-agency-working", "domestic-abuse"}),
    ("no referral was made to the multi-agency risk assessment conference",
     {"multi-agency-working", "domestic-abuse"}),
    ("there was no evidence of domestic abuse; the learning concerns neglect", {"neglect"}),
    ("substance misuse was not a feature in this family", set()),
    ("although alcohol was ruled out as a factor, the mother's depression went unrecognised",
     {"parental-mental-health"}),
    ("no safe sleep advice was recorded at the new birth visit", {"safe-sleep"}),
    ("missing episodes were not linked to possible sexual exploitation",
     {"extra-familial-harm"}),
    ("an autism assessment was delayed for two years", {"special-educational-needs"}),
    ("an assessment was completed but not shared with partner agencies",
     {"information-sharing"}),
    ("the quality of assessments of risk to an unborn baby", {"assessment"}),
    ("lack of supervision of the toddler near water", set()),
    ("abusive head trauma in infants", {"physical-abuse"}),
    ("a parent with a learning disability", set()),
    ("support from the third sector", set()),
]


@pytest.mark.parametrize(("text", "themes"), HARD_THEME_CASES)
def test_theme_matcher_hard_cases(vocabularies, text: str, themes: set[str]) -> None:
    found = {str(theme).rsplit("/", 1)[-1] for theme in vocabularies.themes.themes(text)}
    assert found == themes


def test_assignments_say_which_words_matched(vocabularies) -> None:
    text = "no evidence of domestic abuse, but domestic violence towards a previous partner"
    (assignment,) = vocabularies.themes.assignments(text)
    # The first match is negated: the reason given is the one that is not.
    assert (str(assignment.theme).rsplit("/", 1)[-1], assignment.matched,
            assignment.pattern) == ("domestic-abuse", "domestic violence",
                                    "domestic (abuse|violence|incidents?)")


def test_labelled_theme_set_is_well_formed(vocabularies) -> None:
    import csv

    path = Path(__file__).parent / "fixtures" / "themes" / "labelled.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    themes = {str(t).rsplit("/", 1)[-1] for t, _ in vocabularies.themes._by_theme}
    made_up = [row for row in rows if row["id"].startswith("m")]
    assert len(made_up) >= 150 and len(rows) - len(made_up) == 55
    assert {row["split"] for row in rows} == {"tune", "held-out"}
    assert len({row["id"] for row in rows}) == len(rows)
    for row in rows:
        assert {t for t in row["themes"].split(";") if t} <= themes, row["id"]
