"""The agency vocabulary (SKOS + ORG, relative IRIs) and the matcher that finds agencies."""

from __future__ import annotations

import random
import re

import pytest
from rdflib import RDF, Graph, URIRef
from rdflib.namespace import SKOS

from reviewgraph.agencies import (
    AGENCIES_FILE,
    ALL_PARTNERSHIPS,
    ARRANGEMENT,
    FOLDS_INTO_ASCII,
    GROUP,
    KIND,
    ORGANISATION,
    OWN_PARTNERSHIP,
    Agency,
    AgencyMatcher,
    _normalise,
    default_matcher,
    is_acronym,
    load_agencies,
    partnership_reference,
    word_alternation,
)
from reviewgraph.errors import ReviewGraphError
from reviewgraph.terms import ORG

RG_AGENCY = URIRef("https://reviewgraph.example/def/Agency")


def test_vocabulary_resolves_against_the_configured_base():
    base = "http://example.org/kg/"
    graph = Graph().parse(AGENCIES_FILE, format="turtle", publicID=base)
    scheme = URIRef(base + "agency/")
    assert (scheme, RDF.type, SKOS.ConceptScheme) in graph
    concepts = set(graph.subjects(SKOS.inScheme, scheme))
    # Kinds of service are the scheme's concepts; organisations are not concepts.
    assert URIRef(base + "agency/police") in concepts
    assert URIRef(base + "agency/cafcass") not in concepts
    for concept in concepts:
        assert (concept, RDF.type, SKOS.Concept) in graph
        assert (concept, RDF.type, RG_AGENCY) in graph
        assert (concept, RDF.type, ORG.Organization) not in graph
    for agency in graph.subjects(RDF.type, RG_AGENCY):
        assert graph.value(agency, SKOS.prefLabel) is not None
        assert graph.value(agency, SKOS.definition) is not None
    ids = [agency.id for agency in load_agencies(base=base)]
    assert ids == sorted(ids) and "cafcass" in ids and "police" in ids


def test_kinds_organisations_arrangements_and_groups_are_apart():
    sorts = {agency.id: agency.sort for agency in load_agencies()}
    assert {sorts[i] for i in ("police", "health-visitors", "general-practitioners",
                               "childrens-social-care")} == {KIND}
    assert {sorts[i] for i in ("cafcass", "cafcass-cymru", "hmpps", "ofsted",
                               "care-inspectorate-wales")} == {ORGANISATION}
    assert {sorts[i] for i in ("marac", "mappa", "mace")} == {ARRANGEMENT}
    assert {sorts[i] for i in ("all-agencies", "partner-agencies")} == {GROUP}
    matcher = default_matcher()
    # Wales's bodies are their own, not aliases of England's.
    assert matcher.find("Cafcass Cymru and Care Inspectorate Wales") == [
        "cafcass-cymru", "care-inspectorate-wales"]
    assert matcher.find("HMPPS") == ["hmpps"]


def test_a_file_mixing_sorts_is_an_error(tmp_path):
    text = AGENCIES_FILE.read_text(encoding="utf-8").replace(
        "<agency/ofsted> a rg:Agency, org:Organization ;",
        "<agency/ofsted> a rg:Agency, org:Organization, skos:Concept ;")
    path = tmp_path / "agencies.ttl"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ReviewGraphError, match="agency/ofsted must be an rg:Agency and exactly"):
        load_agencies(path)


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("Children and families moving across local authority boundaries", []),
        ("information provided to other local authority areas", []),
        ("child protection plans in a neighbouring local authority", []),
        ("the family moved to another local authority", []),
        ("the local authority should review its policy", ["local-authority"]),
        ("a referral to the council", ["local-authority"]),
    ],
)
def test_a_council_named_as_a_place_is_not_an_agency(text, ids):
    assert default_matcher().find(text) == ids


@pytest.mark.parametrize(
    ("addressee", "ids"),
    [
        ("all agencies", ["all-agencies"]),
        ("All agencies", ["all-agencies"]),
        ("partners", ["partner-agencies"]),
        ("the partners", ["partner-agencies"]),
        ("the partners involved", ["partner-agencies"]),
        ("the partnership's member agencies", ["partner-agencies"]),
        ("organisational safeguarding leads", ["safeguarding-leads"]),
        ("CAFCASS", ["cafcass"]),
        ("the ICS", ["ics"]),
        ("health visitors", ["health-visitors"]),
        ("the review panel", []),
    ],
)
def test_addressees_resolve_to_a_group_or_agencies(addressee, ids):
    assert default_matcher().addressee(addressee) == ids


def test_groups_are_never_found_in_running_text():
    matcher = default_matcher()
    assert matcher.find("all agencies and partners should share information") == []
    assert "all-agencies" not in matcher.agencies and "all-agencies" in matcher.groups


@pytest.mark.parametrize(
    ("addressee", "reference"),
    [
        ("the partnership", OWN_PARTNERSHIP),
        ("The partnership", OWN_PARTNERSHIP),
        ("the LSCB", OWN_PARTNERSHIP),
        ("the safeguarding partnership", OWN_PARTNERSHIP),
        ("the Regional Safeguarding Children Board", OWN_PARTNERSHIP),
        ("both partnerships", ALL_PARTNERSHIPS),
        ("LA1 partnership", ("LA", 1)),
        ("LA2 partnership", ("LA", 2)),
        ("Hertfordshire Safeguarding Children Partnership", ("place", "Hertfordshire")),
        ("the health board", None),
        ("CAFCASS", None),
        ("partners", None),
    ],
)
def test_partnership_addressees(addressee, reference):
    assert partnership_reference(addressee) == reference


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("CAFCASS and Cafcass", ["cafcass"]),
        ("ADCS", ["adcs"]),
        ("MAPPA, MARAC and MACE", ["mace", "mappa", "marac"]),
        ("the ICS", ["ics"]),
        ("integrated children's services", ["ics"]),
        ("GPs and general practitioners", ["general-practitioners"]),
        ("health visitors", ["health-visitors"]),
        ("midwives", ["midwives"]),
        ("probation services", ["probation-service"]),
        ("Police", ["police"]),
        ("schools and education", ["schools"]),
        ("children’s social care", ["childrens-social-care"]),
        ("social services", ["childrens-social-care"]),
        ("early help", ["early-help"]),
        ("child and adolescent mental health services", ["camhs"]),
        ("child mental health services", ["camhs"]),
        ("CAMHS", ["camhs"]),
        ("the third sector", ["third-sector"]),
        ("NHS", ["health-services"]),
        ("healthcare services", ["health-services"]),
        ("the neonatal intensive care unit", ["hospitals"]),
        ("emergency services", ["emergency-services"]),
        ("reporting to court", ["courts"]),
        ("Croydon’s front door service", ["front-door-service"]),
        ("the MASH", ["front-door-service"]),
        ("the prison service", ["prison-service"]),
        ("youth offending team", ["youth-offending"]),
        ("the local authority", ["local-authority"]),
    ],
)
def test_the_bodies_the_issue_lists_are_found(text, ids):
    assert default_matcher().find(text) == ids


def test_acronyms_are_case_sensitive_and_on_word_boundaries():
    matcher = default_matcher()
    assert matcher.find("physics and ethics") == []
    assert matcher.find("the ics team") == []
    assert matcher.find("ICSs") == []
    assert matcher.find("ICS.") == ["ics"]
    assert matcher.find("a gp surgery") == []  # "GP" is an acronym: case-sensitive


def test_other_labels_are_case_insensitive():
    assert default_matcher().find("General Practitioners and HEALTH VISITORS") == [
        "general-practitioners", "health-visitors"
    ]


def test_longest_label_wins():
    matcher = default_matcher()
    assert matcher.matches("child mental health services") == [
        ("child mental health services", "camhs")
    ]
    assert matcher.find("adult social care") == ["adult-social-care"]
    assert matcher.find("schoolchildren") == []


def test_ids_are_sorted_and_unique():
    text = "police, the police, CAFCASS, police officers, ADCS"
    assert default_matcher().find(text) == ["adcs", "cafcass", "police"]


def test_acronym_rule():
    assert is_acronym("ICS") and is_acronym("GPs") and is_acronym("A&E")
    assert not is_acronym("Cafcass") and not is_acronym("early help")


def test_a_label_shared_by_two_agencies_is_an_error():
    agencies = [Agency("a", "Alpha", ("Alpha", "shared")), Agency("b", "Beta", ("Beta", "Shared"))]
    with pytest.raises(ReviewGraphError, match="belongs to both"):
        AgencyMatcher(agencies)


def test_unreadable_vocabulary_is_a_clear_error(tmp_path):
    broken = tmp_path / "agencies.ttl"
    broken.write_text("<agency/x> a <", encoding="utf-8")
    with pytest.raises(ReviewGraphError, match="cannot read the agency vocabulary"):
        load_agencies(broken)
    with pytest.raises(ReviewGraphError, match="not found"):
        load_agencies(tmp_path / "missing.ttl")



def test_folds_into_ascii_lists_every_character_that_casefolds_to_ascii():
    folding = {chr(code) for code in range(128, 0x110000) if chr(code).casefold().isascii()}
    assert folding == set(FOLDS_INTO_ASCII)


def test_word_alternation_matches_exactly_its_words():
    words = ["a", "ab", "abc", "b", "ba", "x.y"]
    pattern = re.compile(rf"(?:{word_alternation(words)})\Z")
    for text in words + ["", "abcd", "c", "bb", "xzy", "A"]:
        assert bool(pattern.match(text)) == (text in words), text
    folded = re.compile(rf"(?:{word_alternation(['ics', 'a'], ascii_case_insensitive=True)})\Z")
    assert folded.match("ICS") and folded.match("iCs") and folded.match("A")
    assert not folded.match("\u212aics") and not folded.match("\u0131cs")
    assert not re.search(word_alternation([]), "anything")


def _labels_by_first_word(matcher: AgencyMatcher) -> dict[str, list[re.Pattern[str]]]:
    """The matcher's rule spelt out: the labels by their first word, casefolded, longest first
    (then by pattern, as the matcher orders them), acronyms case-sensitive."""
    by_word: dict[str, list[tuple[int, str]]] = {}
    for agency in matcher.agencies.values():
        for label in map(_normalise, agency.labels):
            pattern = re.escape(label) if is_acronym(label) else f"(?i:{re.escape(label)})"
            first = re.match(r"\w+", label).group(0).casefold()
            by_word.setdefault(first, []).append((-len(label), pattern))
    return {word: [re.compile(rf"(?<![\w&])(?:{pattern})(?![\w&])")
                   for _, pattern in sorted(set(labels))]
            for word, labels in by_word.items()}


def _label_by_label(by_first_word: dict[str, list[re.Pattern[str]]], text: str) -> list:
    """At each word start (resuming after a match), the first of its word's labels that
    matches there."""
    spans, resume = [], 0
    for word in re.finditer(r"(?<![\w&])\w+", text):
        if word.start() < resume:
            continue
        for pattern in by_first_word.get(word.group(0).casefold(), []):
            match = pattern.match(text, word.start())
            if match:
                spans.append(match.span())
                resume = match.end()
                break
    return spans


def test_one_scan_finds_what_trying_each_label_at_each_word_finds():
    matcher = default_matcher()
    by_first_word = _labels_by_first_word(matcher)
    labels = sorted({label for agency in matcher.agencies.values() for label in agency.labels})
    # characters that casefold or case-map into ASCII letters, and what joins or splits words
    odd = ["\u212a", "\u017f", "\u0130", "\u0131", "\u00df", "\ufb01", "&", "-", "_", "'",
           "\u00e9", "1", " ", ", ", " and "]
    rng = random.Random(6)
    for _ in range(400):
        parts = []
        for _ in range(rng.randint(1, 5)):
            label = rng.choice(labels)
            label = rng.choice([label, label.upper(), label.lower(), label.title()])
            if rng.random() < 0.4:
                at = rng.randrange(len(label) + 1)
                label = label[:at] + rng.choice(odd) + label[at:]
            if rng.random() < 0.3:  # letters written with characters that casefold to them
                old, new = rng.choice([("s", "\u017f"), ("S", "\u017f"), ("k", "\u212a"),
                                       ("fi", "\ufb01"), ("i", "\u0131"), ("I", "\u0130")])
                label = label.replace(old, new)
            parts += [label, rng.choice(odd[6:])]
        text = "".join(parts)
        found = [match.span() for match in matcher._mentions(text)]
        assert found == _label_by_label(by_first_word, text), text


@pytest.mark.parametrize(
    "text, ids",
    [
        ("reported to Kent Police", ["kent-police"]),
        ("Greater Manchester Police and children's social care",
         ["childrens-social-care", "greater-manchester-police"]),
        ("officers of the Metropolitan Police Service", ["metropolitan-police-service"]),
        ("Hampshire Constabulary", ["hampshire-and-isle-of-wight-constabulary"]),
        ("the PSNI", ["psni"]),
        ("Dyfed\u2010Powys Police", ["dyfed-powys-police"]),
        ("the police and Gwent Police", ["gwent-police", "police"]),
        ("they met police officers", ["police"]),  # not a force
    ],
)
def test_a_named_police_force_is_its_organisation_not_only_the_kind(text, ids):
    assert default_matcher().find(text) == ids


def test_every_organisation_of_a_kind_says_its_kind_and_police_forces_are_organisations():
    graph = Graph().parse(AGENCIES_FILE, format="turtle",
                          publicID="https://reviewgraph.example/id/")
    agencies = {agency.id: agency for agency in load_agencies()}
    forces = {str(o).rsplit("/", 1)[1] for o in graph.subjects(
        ORG.classification, URIRef("https://reviewgraph.example/id/agency/police"))}
    # The territorial forces of England (39) and Wales (4), Police Scotland, PSNI, BTP.
    assert len(forces) == 46 and {"kent-police", "greater-manchester-police"} <= forces
    assert {agencies[force].sort for force in forces} == {ORGANISATION}
    for subject, kind in graph.subject_objects(ORG.classification):
        # org:classification goes from an organisation to a kind of service (a concept).
        assert agencies[str(subject).rsplit("/", 1)[1]].sort == ORGANISATION
        assert agencies[str(kind).rsplit("/", 1)[1]].sort == KIND
