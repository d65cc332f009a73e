"""Read the entries of a listing page (numbered lines) into Records, with warnings.

The page grammar, as general rules rather than cases:

Headings. An entry starts at a heading: `[Month] [Year] [-] Place - Title` where the separators
are hyphens or dashes with a space on at least one side, the year may run into the place
("2012Ceredigion – Child J"), the place may be several words ("Cambridgeshire and Peterborough")
or "Anonymous" (locality null), and the title may hold commas and "and". A heading without a
year is accepted for "Anonymous" or a known place name, taking its year from the last
year-only line above it ("2013" as a section heading).

Fields. Inside an entry, a field starts at a label "Something:" at the start of a line or of a
sentence. Labels are classified by their words, not listed one by one: a label containing
"recommendation" is recommendations ("Recommendations to the partnership include:"); one
containing learning/lessons/issues/findings/themes is learning ("Key issues:", "Learning
focuses on:", "Learning themes specific to X include:"); "Keywords", "Background", "Model" /
"Methodology", "Summary", "Review type" are themselves. A sentence starting "Makes
recommendations ..." is recommendations too. Text before the first field is the summary.
Keyword lines may come without "Keywords:" (a short, comma-separated list of short phrases).
A link line ("> Read the overview report", with or without ">") gives the report type and ends
the entry. "NSPCC on behalf of ..." is the publisher note.

Lists. A field's text is split as a reader would: on semicolons ("a; b; and c" is three items,
commas stay inside items) and at sentence ends; a learning list without semicolons is split
on commas only when every part is a short phrase ("Learning themes specific to Eli and Micah
include:" also says which children its points belong to). A label with no text after it takes the
following lines (bullets or not) as items. Within a list, a short "Sub-label: text" item
("LA1 partnership: ...") names the addressees of the items that follow it.

Recommendation addressees: the label's "to X" / "for X" ("Recommendations to the partnership
include:" -> "the partnership" for every item), then a sub-label, then the item's own subject
("CAFCASS and ADCS to review ...", "the ICS should ensure ...").

Facts from the summary (conservative: only what the text states):
- outcome, from the first sentence of the summary plus sentences whose subject is a child of
  the review ("Eli died ..."): death, suicide, serious injury, sexual abuse, neglect, ...;
- incident date: the first date ("in September 2021", "in early 2023") in those sentences;
  where several children are named, each child's own clause ("Eli died in 2022 ... and Micah
  suffered significant harm") gives that child's outcome and date, and the review's date comes
  only from the first sentence (nothing is dated that the text does not date);
- "significant harm" is serious harm; serious injury only where the text says injury;
- review type: only where the title or the summary's first sentence names it ("Thematic review
  concerning ...", "Concise child practice review ...", "DHR"), or a "Review type:" field;
  nothing is inferred from year or nation;
- children: pseudonyms from the title ("Baby A", "Eli and Micah", "Children F, G and H",
  "... (Child A)"), ages and sex from "8-day-old baby girl" in those sentences, sex from
  "Child A and her ..."/"Child A stated that she ...", a count from "two children"/"10
  adolescent boys" or else the number of children found.

Nothing is dropped silently: page furniture (skip links, menus, "Last updated", the helpline
notice) is recognised by pattern; any other text that belongs to no field becomes a Problem
with file and line.
"""

from __future__ import annotations

import copy
import csv
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from reviewgraph.agencies import AgencyMatcher, default_matcher, word_alternation
from reviewgraph.errors import Problem, ReviewGraphError
from reviewgraph.paths import REFERENCE_DIR
from reviewgraph.records import Child, Children, Recommendation, Record, SourceRef
from reviewgraph.sources import Capture, HtmlLineCache, NumberedLine, SourcePage, read_page


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


PLACES_FILE = REFERENCE_DIR / "mysociety_uk_local_authorities.csv"

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"),
            ("may",), ("june", "jun"), ("july", "jul"), ("august", "aug"),
            ("september", "sep", "sept"), ("october", "oct"), ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)"
)
_DASH = "\\-\u2010\u2011\u2012\u2013\u2014\u2015"
_SEPARATOR = rf"(?:\s+[{_DASH}]+\s*|[{_DASH}]+\s+)"

HEADING = re.compile(
    rf"^(?:(?P<month>{_MONTH})\.?\s+)?(?P<year>(?:19|20)\d\d)?(?![\d])\s*(?:[{_DASH}:|]\s*)?"
    rf"(?P<rest>\S.*)$"
)
PLACE_AND_TITLE = re.compile(rf"^(?P<place>[^:;.!?]+?){_SEPARATOR}(?P<title>\S.*)$")
SECTION_YEAR = re.compile(r"^(?:Reviews? (?:published|added) in )?((?:19|20)\d\d)$", re.I)

LINK = re.compile(
    r"^>?\s*(?:Read|Download|View|See)\s+(?:the\s+)?(?P<document>[a-z ]{0,40}?)"
    r"(?:\s*\((?:PDF|pdf)[^)]*\))?\s*[.>]?\s*$",
    re.I,
)
LINK_DOCUMENTS = {
    "overview report": "overview report",
    "full report": "overview report",
    "executive summary": "executive summary",
}
LABEL = re.compile(r"^(?P<label>[A-Z][^:;.!?]{0,110}?)\s*:\s*")
MAKES_RECOMMENDATIONS = re.compile(
    r"^(?:It\s+)?(?:Makes|Made|Includes)\s+(?:\w+\s+)?recommendations?\b", re.I
)
PUBLISHER = re.compile(r"^(?:Published by |Publisher:\s*)?(?:the )?NSPCC on behalf of\b", re.I)
BULLET = re.compile(r"^(?:[-\u2022*\u00b7\u25aa\u2013\u2014]|\d{1,2}[.)]|[a-z][.)])\s+")
# A boundary where a new field may start inside a line: after a sentence end (only a match's
# end is used). The sentence end is matched rather than looked behind for: a pattern starting
# with a character class lets the engine skip to the next such character, while one starting
# with a look-behind is tried at every position (several times slower on long lines). The
# matches end where those of "(?<=[.!?...])\s+..." did, as a sentence end is never part of
# the previous match (which ends in white space).
SENTENCE_BOUNDARY = re.compile(r"[.!?\u2019\u201d'\")]\s+(?=[A-Z>])")
KEYWORD_BOUNDARY = re.compile(r"[.!?]\s+(?=\S)")
# Splits sentences; the captured sentence end is joined back to its sentence (_split_sentences).
SENTENCE_SPLIT = re.compile(r"([.!?])[\u2019\u201d'\")]?\s+(?=[A-Z\u2018'\"(>])")
ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "No.", "St.", "Dr.", "Mr.", "Mrs.", "Ms.", "vs.")

FURNITURE = [
    re.compile(pattern, re.I)
    for pattern in (
        r"^skip to\b", r"^(?:main |site )?(?:menu|navigation)$", r"^(?:open|close) menu$",
        r"^home$", r"^search(?: the site)?$", r"^last (?:updated|reviewed|modified)\b",
        r"^(?:back to top|top of page)$", r"^share(?: this page| on \w+)?$",
        r"^print(?: this page)?$", r"\bcookies?\b", r"^you are here\b", r"^breadcrumb",
        r"^related (?:content|resources|pages)",
        r"^(?:was|is) this page (?:useful|helpful)", r"^(?:copyright\b|\u00a9)",
        r"^(?:contact us|privacy(?: policy)?|accessibility(?: statement)?|terms and conditions|"
        r"sitemap|sign up\b.*|subscribe\b.*|donate(?: now)?|log ?in|sign in)$",
        r"^(?:previous|next)(?: page)?$", r"^page \d+(?: of \d+)?$", r"^yes$|^no$",
    )
]
# The same patterns as one alternation: a search of it matches where any of them would.
_ANY_FURNITURE = re.compile("|".join(f"(?:{pattern.pattern})" for pattern in FURNITURE), re.I)
HELPLINE = re.compile(r"0808 800 5000|help@nspcc\.org\.uk|\bhelpline\b", re.I)
# What HELPLINE needs in a line of ASCII text, lower-cased (there re.I is plain ASCII case):
# plain substring tests rule out most lines far faster than the case-insensitive search.
_HELPLINE_WORDS = ("0808 800 5000", "help@nspcc.org.uk", "helpline")

# Words that open an imperative recommendation ("develop a plan to ..."): such an item has no
# subject of its own, so text before its first "to" is not an addressee.
IMPERATIVE_VERBS = _word_set(
    """
    address adopt agree align analyse assess assure audit build carry check clarify collate
    commission communicate complete confirm consider consolidate continue create deliver design
    develop disseminate embed encourage engage enhance ensure establish evaluate explore extend
    facilitate focus gain give hold identify implement improve include increase inform introduce
    invite issue keep lead maintain make map monitor offer oversee plan prepare prioritise produce
    promote provide publish raise re-launch recirculate record refresh reinforce relaunch remind
    reiterate report require research respond revise revisit review roll scope secure seek set
    share sign strengthen support take test train undertake update use work write
    """
)
SUBJECT_STARTERS = _word_set(
    "the all both each every any relevant local named designated partner partners organisational"
    " safeguarding statutory lead"
)
NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
}
_NUMBER = r"(?:\d+|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)"
AGE = re.compile(
    rf"(?<![\d\w{_DASH}])(?P<n>{_NUMBER})[ {_DASH}](?P<unit>day|week|month|year)s?[ {_DASH}]old"
    r"(?:\s+(?P<noun>baby girl|baby boy|girl|boy|son|daughter|baby|child|infant|teenager))?"
    r"(?!\s+(?:woman|man|mother|father|adult|parent|person|female|male|lady)\b)",
    re.I,
)
AGE_UNITS = {"day": "D", "week": "W", "month": "M", "year": "Y"}
SEX_NOUNS = {"girl": "female", "daughter": "female", "boy": "male", "son": "male"}
CHILD_COUNT = re.compile(
    rf"\b(?P<n>{_NUMBER})\s+(?:(?:adolescent|young|teenage|older|younger|school-age|"
    r"[a-z]+-year-old|related|unrelated|separate)\s+)*"
    r"(?P<noun>children|boys|girls|siblings|young people|adolescents|babies|infants|"
    r"brothers|sisters|teenagers)\b",
    re.I,
)
OUTCOMES = [
    ("death", re.compile(
        r"\b(?:deaths?|died|dies|killed|killing|murder(?:ed)?|homicide|manslaughter|fatal(?:ly)?)\b",
        re.I,
    )),
    ("suicide", re.compile(r"\bsuicide\b|\btook (?:his|her|their) own life\b", re.I)),
    # "serious injury" only where the text says injury (or a fracture); harm that the text
    # does not call an injury ("suffered significant harm") is "serious harm".
    ("serious injury", re.compile(
        r"\bserious(?:ly)? injur\w*|\b(?:brain|head|life[- ]threatening|"
        r"life[- ]changing|non-accidental|significant|severe|multiple) injur\w*|"
        r"\bfractures?\b|\bseriously hurt\b", re.I
    )),
    ("serious harm", re.compile(
        r"\bserious(?:ly)? harm(?:ed)?\b|\bsignificant harm\b", re.I
    )),
    ("sexual abuse", re.compile(
        r"\bsexual(?:ly)? abuse[ds]?\b|\bsexual exploitation\b|\bsexually exploited\b", re.I
    )),
    ("physical abuse", re.compile(r"\bphysical(?:ly)? abuse[ds]?\b", re.I)),
    ("emotional abuse", re.compile(r"\bemotional(?:ly)? abuse[ds]?\b", re.I)),
    ("neglect", re.compile(r"\bneglect(?:ed)?\b", re.I)),
]
INCIDENT_DATE = re.compile(
    r"\b(?:in|on|during|over|by|from|between)\s+(?:(?:early|late|mid|the\s+(?:spring|summer|autumn|"
    r"winter)\s+of)[- ]?\s*)?(?:(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+)?"
    rf"(?:(?P<month>{_MONTH})\s+)?(?P<year>(?:19|20)\d\d)\b"
)
REVIEW_TYPES = [
    ("child safeguarding practice review", r"(?:local |national )?child safeguarding practice "
     r"reviews?|\bL?CSPR\b"),
    ("serious case review", r"serious case reviews?|\bSCR\b"),
    ("child practice review", r"(?:concise |extended |multi-agency )?child practice reviews?|"
     r"\bC?CPR\b"),
    ("domestic homicide review", r"domestic homicide reviews?|\bDHR\b"),
    ("safeguarding adults review", r"safeguarding adults? reviews?|adult safeguarding reviews?|"
     r"\bSAR\b"),
    ("thematic review", r"thematic reviews?"),
    ("significant case review", r"significant case reviews?"),
    ("case management review", r"case management reviews?"),
    ("learning review", r"(?:multi-agency )?learning reviews?"),
]
# Place names that are also common English words at the start of a sentence.
AMBIGUOUS_PLACES = frozenset({"Reading", "Hart", "Eden", "Rugby", "Wealden", "Mole Valley"})
NOT_CHILD_WORDS = _word_set(
    "Family Mr Mrs Ms Miss Adult Mother Father Operation The Thematic Review Report Case"
)
CHILD_PREFIXES = r"(?:Baby|Babies|Child|Children|Sibling|Siblings|Young person|Young people|Infant)"
NAME = r"[A-Z][\w\u2019'-]*(?:\s[A-Z0-9][\w\u2019'-]*)?"
CHILD_TITLE = re.compile(
    rf"^(?:(?P<prefix>{CHILD_PREFIXES})\s+)?(?P<names>{NAME}(?:\s*(?:,|\band\b|&)\s*(?:{NAME}))*)$"
)


# --- page structure --------------------------------------------------------------------------
@dataclass(frozen=True)
class Heading:
    year: int | None
    month: int | None
    locality: str | None
    title: str
    publisher: str | None = None  # "NSPCC on behalf of unnamed LSCB" run into the heading


@dataclass
class ParseResult:
    records: list[Record]
    problems: list[Problem]
    title: str | None = None  # the page's title (HTML), for provenance
    captures: tuple[Capture, ...] = ()  # the page's captures (its sidecar), for provenance


@dataclass
class _Segment:
    line: int
    kind: str  # "text" | "field" | "link" | "keywords" | "publisher" | "bullet"
    text: str
    label: str | None = None
    field: str | None = None
    whole_line: bool = True


@dataclass
class _Entry:
    heading: Heading
    heading_line: NumberedLine
    body: list[NumberedLine] = field(default_factory=list)


def is_furniture(text: str) -> bool:
    """Page furniture: navigation, notices and the helpline box around the entries."""
    if len(text) < 400 and _may_name_helpline(text) and HELPLINE.search(text):
        return True
    return len(text) <= 80 and _ANY_FURNITURE.search(text) is not None


def _may_name_helpline(text: str) -> bool:
    """False only where HELPLINE cannot match (outside ASCII, the search decides)."""
    if not text.isascii():
        return True
    lowered = text.lower()
    return any(words in lowered for words in _HELPLINE_WORDS)


def parse_heading(
    text: str, known_places: frozenset[str] = frozenset(), section_year: int | None = None
) -> Heading | None:
    """A heading line's parts, or None if the line is not an entry heading."""
    if len(text) > 160 or text.endswith((".", ":", ";", ",")) or text.startswith(">"):
        return None
    match = HEADING.match(text)
    if not match:
        return None
    year = int(match["year"]) if match["year"] else None
    month = MONTHS[match["month"].lower().rstrip(".")] if match["month"] else None
    if month and not year:
        return None
    rest = match["rest"].strip()
    parts = PLACE_AND_TITLE.match(rest)
    if parts:
        place, title = parts["place"].strip(), parts["title"].strip()
        anonymous = place.casefold() in {"anonymous", "unnamed", "unknown"}
        plausible_place = (
            anonymous
            or place in known_places
            or (place[0].isupper() and len(place.split()) <= 6 and not place.endswith(","))
        )
        if PUBLISHER.match(place):
            # "December 2014NSPCC on behalf of unnamed LSCB - Child C": a publisher, no place
            if year is None:
                return None
            return Heading(year, month, None, title, publisher=place)
        if not plausible_place or not title:
            return None
        if year is None and not (anonymous or place in known_places):
            return None
        if year is None:
            year = section_year
        if year is None:
            return None
        return Heading(year, month, None if anonymous else place, title)
    if year is not None and match["year"] and len(rest.split()) <= 8 and rest[0].isupper():
        # "2019 – Child Z": a year and a title with no place
        return Heading(year, month, None, rest)
    return None


def load_known_places(path: Path = PLACES_FILE) -> frozenset[str]:
    """UK local authority names (nice, official and capitalised alternative names) from the
    mySociety list copied into data/reference/; empty if the file is not there."""
    if not path.exists():
        return frozenset()
    names: set[str] = set()
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            for name in [row.get("nice-name", ""), row.get("official-name", "")] + (
                row.get("alt-names") or ""
            ).split(","):
                name = name.strip()
                if len(name) > 2 and name[0].isupper():
                    names.add(name)
    return frozenset(names)


def parse_file(
    path: str | Path,
    known_places: frozenset[str] | None = None,
    matcher: AgencyMatcher | None = None,
    cache: EntryCache | None = None,
) -> ParseResult:
    """Read and parse one page file (`cache`: entries and HTML lines read before, see
    EntryCache)."""
    return parse_page(read_page(path, cache.html if cache is not None else None),
                      known_places, matcher, cache)


def parse_page(
    page: SourcePage,
    known_places: frozenset[str] | None = None,
    matcher: AgencyMatcher | None = None,
    cache: EntryCache | None = None,
) -> ParseResult:
    result = parse_lines(page.lines, page.file, known_places, matcher, cache)
    result.title, result.captures = page.title, page.captures
    if not result.records:
        detail = "; ".join(str(problem) for problem in result.problems[:3])
        raise ReviewGraphError(
            f"{page.file}: no case-review entries found (an entry starts with a heading such as "
            f"'2025 – Kent - Eli and Micah')" + (f"; {detail}" if detail else "")
        )
    return result


def parse_lines(
    lines: list[NumberedLine],
    file: str,
    known_places: frozenset[str] | None = None,
    matcher: AgencyMatcher | None = None,
    cache: EntryCache | None = None,
) -> ParseResult:
    """Split the lines into entries at headings and read each entry (an entry `cache` holds
    already, word for word, is not read again)."""
    places = known_places if known_places is not None else frozenset()
    agency_matcher = matcher or default_matcher()
    problems: list[Problem] = []
    preamble: list[NumberedLine] = []
    entries: list[_Entry] = []
    section_year: int | None = None
    for line in lines:
        year_only = SECTION_YEAR.match(line.text)
        if year_only:
            section_year = int(year_only.group(1))
            continue
        heading = parse_heading(line.text, places, section_year)
        if heading:
            entries.append(_Entry(heading, line))
        elif entries:
            entries[-1].body.append(line)
        else:
            preamble.append(line)
    _check_outside_entries(preamble, file, problems, "before the first entry")
    records = []
    # The page's last line number: the graph states it, so an extract beyond it shows.
    page_lines = lines[-1].number if lines else None
    for entry in entries:
        if cache is None:
            record = _read_entry(entry, file, places, agency_matcher, problems)
        else:
            record = cache.read(entry, file, places, agency_matcher, problems)
        source = record.source
        record.source = SourceRef(source.file, source.first_line, source.last_line, page_lines)
        records.append(record)
    return ParseResult(records, problems)


def _looks_like_entry_text(text: str) -> bool:
    if LINK.match(text) or MAKES_RECOMMENDATIONS.match(text):
        return True
    return any(
        classify_label(match["label"]) in {"learning", "recommendations", "keywords"}
        for match in (_label_match(piece) for piece in _sentence_starts(text))
        if match
    )


def _check_outside_entries(
    lines: list[NumberedLine], file: str, problems: list[Problem], where: str
) -> None:
    """Text outside entries is furniture or an introduction, unless it reads like an entry."""
    for line in lines:
        if is_furniture(line.text):
            continue
        if _looks_like_entry_text(line.text):
            problems.append(Problem(
                f"entry text without a heading ({where}): {_preview(line.text)}", file, line.number
            ))
            return


def _preview(text: str, length: int = 60) -> str:
    return repr(text if len(text) <= length else text[: length - 1] + "\u2026")


def _sentence_starts(text: str) -> list[str]:
    starts = [0] + [match.end() for match in SENTENCE_BOUNDARY.finditer(text)]
    return [text[start:] for start in starts]


# The label words of each field (classify_label). Patterns used in every entry are compiled
# here once: module-level re.fullmatch(str, ...) looks each one up in re's cache on every call.
KEYWORDS_LABEL = re.compile(r"(?:key ?words?|tags|subjects?|subject headings?)")
LEARNING_LABEL = re.compile(r"\b(?:learning|lessons?|issues|findings|themes)\b")
BACKGROUND_LABEL = re.compile(r"(?:case |family )?(?:background|context|history)")
MODEL_LABEL = re.compile(r"(?:review )?(?:model|methodology|method|approach)(?: used)?")
SUMMARY_LABEL = re.compile(r"(?:case )?(?:summary|overview|description)")
REVIEW_TYPE_LABEL = re.compile(r"(?:review type|type of review|type)")
PUBLISHER_LABEL = re.compile(r"(?:publisher|published by)")


def classify_label(label: str) -> str | None:
    """Which field a label introduces, by its words; None when it is no field label."""
    words = label.casefold().strip()
    if len(words.split()) > 12:
        return None
    if KEYWORDS_LABEL.fullmatch(words):
        return "keywords"
    if "recommendation" in words:
        return "recommendations"
    if LEARNING_LABEL.search(words):
        return "learning"
    if BACKGROUND_LABEL.fullmatch(words):
        return "background"
    if MODEL_LABEL.fullmatch(words):
        return "model"
    if SUMMARY_LABEL.fullmatch(words):
        return "summary"
    if REVIEW_TYPE_LABEL.fullmatch(words):
        return "review_type"
    if PUBLISHER_LABEL.fullmatch(words):
        return "publisher_note"
    return None


LIST_FIELDS = frozenset({"learning", "recommendations", "keywords"})


def _segments_of_line(line: NumberedLine, first_body_line: bool) -> list[_Segment]:
    """Cut a line into pieces at places where a field, link or keywords begin."""
    text = line.text
    bullet = BULLET.match(text)
    if bullet:
        return [_Segment(line.number, "bullet", text[bullet.end():].strip())]
    if line.tag == "li" and not _label_match(text) and not LINK.match(text):
        return [_Segment(line.number, "bullet", text)]
    starts = [0] + [match.end() for match in SENTENCE_BOUNDARY.finditer(text)]
    cuts: list[tuple[int, _Segment]] = []
    for start in starts:
        segment = _segment_at(text[start:], line.number, is_line_start=start == 0)
        if segment is not None:
            cuts.append((start, segment))
    # A keyword list without its label may end a paragraph: "... training. infants, alcohol, ..."
    # Only the text after the last sentence end can be one: text after an earlier one holds a
    # later sentence end followed by white space, which looks_like_keywords rejects; and a
    # list needs two commas (most paragraphs have none).
    last_start = cuts[-1][0] if cuts else 0
    if text.count(",", last_start) >= 2:
        # One character earlier: the pattern matches the sentence end before the space.
        boundaries = list(KEYWORD_BOUNDARY.finditer(text, max(last_start - 1, 0)))
        if boundaries and looks_like_keywords(text[boundaries[-1].end():]):
            keywords_start = boundaries[-1].end()
            cuts.append((keywords_start,
                         _Segment(line.number, "keywords", text[keywords_start:])))
    if not cuts or cuts[0][0] != 0:
        end = cuts[0][0] if cuts else len(text)
        cuts.insert(0, (0, _Segment(line.number, "text", text[:end].strip())))
    segments = []
    for index, (start, segment) in enumerate(cuts):
        end = cuts[index + 1][0] if index + 1 < len(cuts) else len(text)
        if start != 0 or segment.kind != "text":
            prefix = text[start:end]
            segment.text = _strip_label(segment, prefix).strip()
        segment.whole_line = start == 0 and end == len(text)
        segments.append(segment)
    if (
        len(segments) == 1
        and segments[0].kind == "text"
        and not first_body_line
        and looks_like_keywords(text)
    ):
        segments[0].kind = "keywords"
    return segments


def _label_match(text: str) -> re.Match[str] | None:
    """LABEL.match, answered without the pattern where the text has no colon: the pattern
    tries up to 110 characters before giving up, and most sentences are not labels."""
    return LABEL.match(text) if ":" in text else None


PUBLISHER_PREFIX = re.compile(r"^(?:Publisher:\s*|Published by\s+)")


def _strip_label(segment: _Segment, piece: str) -> str:
    if segment.kind == "field" and segment.label is not None:
        match = LABEL.match(piece)
        return piece[match.end():] if match else piece
    if segment.kind == "link":
        return piece
    if segment.kind == "publisher":
        return PUBLISHER_PREFIX.sub("", piece.strip()).rstrip(". ")
    return piece


def _segment_at(piece: str, line_number: int, is_line_start: bool) -> _Segment | None:
    link = LINK.match(piece)
    if link and (is_line_start or len(piece) <= 60):
        return _Segment(line_number, "link", piece.strip(), label=link["document"].strip())
    if PUBLISHER.match(piece):
        return _Segment(line_number, "publisher", piece)
    label = _label_match(piece)
    if label:
        kind = classify_label(label["label"])
        if kind is not None:
            return _Segment(line_number, "field", piece, label=label["label"], field=kind)
    if MAKES_RECOMMENDATIONS.match(piece):
        return _Segment(
            line_number, "field", piece, label=None, field="recommendations"
        )
    return None


PROSE_WORDS = _word_set(
    "is are was were be been being had has have did does do not will would should could can "
    "he she they we it his her their this there then when while after before because"
)


SENTENCE_END_INSIDE = re.compile(r"[.!?]\s")


def looks_like_keywords(text: str) -> bool:
    """A keyword line without its label: three or more short comma-separated phrases."""
    text = text.strip().rstrip(".")
    if ":" in text or ";" in text or SENTENCE_END_INSIDE.search(text):
        return False
    items = [item.strip() for item in text.split(",")]
    if len(items) < 3 or any(not item for item in items):
        return False
    if any(len(item.split()) > 5 for item in items):
        return False
    # keywords are noun phrases: no clause words, no item opening with a conjunction
    if any(
        item.split()[0].casefold() in {"and", "or", "but", "which", "who", "that"}
        or PROSE_WORDS & {word.casefold() for word in item.split()}
        for item in items
    ):
        return False
    lower = sum(1 for item in items if item[0].islower() or item[0].isdigit())
    return lower * 2 >= len(items)


def looks_like_short_keywords(text: str) -> bool:
    """An unlabelled keyword line of only two terms ending in a full stop ("Suicide,
    self-harm."), read as keywords only where it ends an entry: two short noun phrases, no
    clause words, no sentence inside."""
    if not text.endswith(".") or text.endswith(".."):
        return False
    body = text[:-1].strip()
    if ":" in body or ";" in body or SENTENCE_END_INSIDE.search(body) or "." in body:
        return False
    items = [item.strip() for item in body.split(",")]
    if len(items) != 2 or any(not item or len(item.split()) > 3 for item in items):
        return False
    words = {word.casefold() for item in items for word in item.split()}
    if words & PROSE_WORDS or words & {"and", "or", "but", "which", "who", "that"}:
        return False
    # after the first term, keywords are lower case ("Suicide, self-harm"), names are not
    return items[1][0].islower() or items[1][0].isdigit()


def _link_target(line: NumberedLine, text: str) -> str | None:
    """The target of an HTML line's report link: the link whose text is the link line's
    (or the line's only link); None for text pages and lines without one."""
    if not line.links:
        return None
    wanted = text.lstrip(">").strip().casefold()
    matching = [href for link_text, href in line.links
                if link_text.casefold() in wanted or wanted in link_text.casefold()]
    if matching:
        href = matching[0]
    elif len(line.links) == 1:
        href = line.links[0][1]
    else:
        return None
    return href if href.startswith(("http://", "https://")) else None


# --- lists ----------------------------------------------------------------------------------
LEADING_CONJUNCTION = re.compile(r"^(?:and|or|also)\s+")
TRAILING_CONJUNCTION = re.compile(r"[\s;,]+(?:and|or)$")


def _clean_item(item: str) -> str:
    item = item.strip()
    item = LEADING_CONJUNCTION.sub("", item)
    # The pattern is tried at every space of the item; it can only match an item ending in
    # "and" or "or" ($ could also match before a final newline, but the item is stripped).
    if item.endswith(("and", "or")):
        item = TRAILING_CONJUNCTION.sub("", item)
    return item.strip().rstrip(";,").rstrip(".").strip()


# What any sentence split needs (SENTENCE_SPLIT without its look-ahead): most list items are
# one sentence, and then the abbreviations need no protecting.
_MAY_SPLIT = re.compile(r"[.!?][\u2019\u201d'\")]?\s")


def _split_sentences(text: str) -> list[str]:
    if "\x00" not in text and not _MAY_SPLIT.search(text):
        return [text]
    protected = text
    for abbreviation in ABBREVIATIONS:
        protected = protected.replace(abbreviation, abbreviation.replace(".", "\x00"))
    # split() gives [sentence, its end, sentence, its end, ..., last sentence]
    parts = SENTENCE_SPLIT.split(protected)
    sentences = [parts[index] + parts[index + 1] for index in range(0, len(parts) - 1, 2)]
    sentences.append(parts[-1])
    if "\x00" in protected:
        return [sentence.replace("\x00", ".") for sentence in sentences]
    return sentences


COMMA_LIST = re.compile(r",\s*|\s+and\s+(?=[^,]*$)")
KEYWORD_SEPARATOR = re.compile(r"[,;]")
ADDRESSEE_SEPARATOR = re.compile(r",\s*(?:and\s+)?|\s+and\s+")


def split_items(text: str, comma_lists: bool = False) -> list[str]:
    """Split a list as a reader would: semicolons and sentence ends separate items."""
    items: list[str] = []
    for part in text.split(";"):
        for sentence in _split_sentences(part.strip()):
            item = _clean_item(sentence)
            if item:
                items.append(item)
    if comma_lists and len(items) == 1 and ";" not in text:
        parts = [p.strip() for p in COMMA_LIST.split(items[0])]
        if len(parts) >= 3 and all(0 < len(p.split()) <= 6 for p in parts):
            return [_clean_item(p) for p in parts]
    return items


def split_keywords(text: str) -> list[str]:
    return [
        keyword
        for keyword in (k.strip().rstrip(".").strip() for k in KEYWORD_SEPARATOR.split(text))
        if keyword
    ]


# --- recommendations ---------------------------------------------------------------------------
LABEL_ADDRESSEE = re.compile(
    r"recommendations?\b(?:\s+(?:are|were|is|was)\s+made)?\s+(?:to|for)\s+(?P<who>.+?)"
    r"(?:\s+(?:include|includes|including|are|is|on|about|regarding|around|covering|"
    r"in relation to|relating to|to)\b.*)?\s*$",
    re.I,
)
ITEM_SUBJECT = re.compile(
    r"^(?P<who>[^,;:()]{2,70}?)\s+(?:should|must|will|shall|to|are to|is to|needs? to|"
    r"are asked to|is asked to)\s+(?P<verb>[a-z][\w-]*)"
)
SUB_LABEL = re.compile(r"^(?P<who>[^:;.]{2,50}?):\s+(?P<rest>\S.*)$")


def _is_subject(who: str) -> bool:
    words = who.split()
    if not words or len(words) > 6:
        return False
    first = words[0].casefold()
    if first in IMPERATIVE_VERBS:
        return False
    if any(word.casefold() in {"to", "that", "which", "when", "where", "if"} for word in words):
        return False
    return words[0][0].isupper() or first in SUBJECT_STARTERS or first.endswith("s")


def split_addressees(who: str) -> list[str]:
    """'CAFCASS and ADCS' -> two addressees; 'health and social care partners' stays one."""
    who = who.strip().rstrip(",")
    parts = [part.strip() for part in ADDRESSEE_SEPARATOR.split(who) if part.strip()]
    if len(parts) > 1 and all(
        part[0].isupper() or part.split()[0].casefold() in SUBJECT_STARTERS for part in parts
    ):
        return parts
    return [who]


def label_addressee(label: str | None) -> str | None:
    if not label:
        return None
    match = LABEL_ADDRESSEE.search(label)
    if not match:
        return None
    who = match["who"].strip()
    return who if _is_subject(who) else None


def make_recommendations(
    items: list[str], label_who: str | None
) -> list[Recommendation]:
    recommendations = []
    sub_who: str | None = None
    for item in items:
        text = item
        sub = SUB_LABEL.match(item)
        if sub and len(sub["who"].split()) <= 5 and classify_label(sub["who"]) is None:
            sub_who, text = sub["who"].strip(), sub["rest"].strip()
        addressees: list[str] = []
        if sub_who:
            addressees.append(sub_who)
        elif label_who:
            addressees.append(label_who)
        subject = ITEM_SUBJECT.match(text)
        if subject and _is_subject(subject["who"]):
            for who in split_addressees(subject["who"]):
                if who not in addressees:
                    addressees.append(who)
        recommendations.append(Recommendation(text=text, addressees=addressees))
    return recommendations


MAKES_RECOMMENDATIONS_ON = re.compile(
    r"^(?:It\s+)?(?:Makes|Made|Includes)\s+(?:\w+\s+)?recommendations?\s+"
    r"(?:(?:to|for)\s+(?P<who>.+?)\s+)?"
    r"(?:on|about|regarding|around|covering|including|in relation to|relating to|to|that)\s+"
    r"(?P<rest>.+)$",
    re.I,
)


def _makes_recommendations_items(text: str) -> tuple[str | None, str]:
    """'Makes recommendations to the LSCB on: a; b' -> ('the LSCB', 'a; b')."""
    if ":" in text:
        head, _, rest = text.partition(":")
        return label_addressee(head), rest
    match = MAKES_RECOMMENDATIONS_ON.match(text)
    if not match:
        return None, ""
    who = match["who"].strip() if match["who"] else None
    return (who if who and _is_subject(who) else None), match["rest"]


# --- facts from the summary -------------------------------------------------------------------
def _sentences(text: str | None) -> list[str]:
    return list(_stripped_sentences(text or ""))


@lru_cache(maxsize=64)
def _stripped_sentences(text: str) -> tuple[str, ...]:
    # An entry's summary is split for its outcome sentences and again for its review type.
    return tuple(sentence.strip() for sentence in _split_sentences(text) if sentence.strip())


CHILD_IN_BRACKETS = re.compile(rf"\(({CHILD_PREFIXES}\s+[^)]+)\)")
NAME_SEPARATOR = re.compile(r"\s*(?:,|\band\b|&)\s*")


def child_pseudonyms(title: str) -> list[str]:
    """The children a title names by pseudonym, or [] for a topic title."""
    candidates = [m.group(1) for m in CHILD_IN_BRACKETS.finditer(title)]
    text = candidates[0] if candidates else title.strip()
    match = CHILD_TITLE.match(text)
    if not match:
        return []
    prefix = match["prefix"]
    names = [n.strip() for n in NAME_SEPARATOR.split(match["names"]) if n.strip()]
    if not prefix and any(name.split()[0] in NOT_CHILD_WORDS for name in names):
        return []
    if prefix:
        singular = {"Babies": "Baby", "Children": "Child", "Siblings": "Sibling",
                    "Young people": "Young person"}.get(prefix, prefix)
        if len(names) == 1:
            return [f"{prefix} {names[0]}"]
        return [f"{singular} {name}" for name in names]
    return names


def _age(match: re.Match[str]) -> str:
    raw = match["n"].casefold()
    number = int(raw) if raw.isdigit() else NUMBER_WORDS[raw]
    return f"P{number}{AGE_UNITS[match['unit'].casefold()]}"


# What follows a child's name at the start of a sentence about the child. Matched after the
# name (not as one pattern per name: names are nearly all different, and compiling a pattern
# for each cost more than the rest of the summary's reading).
_CHILD_VERB = re.compile(r"\b(?:['\u2019]s)?\s+(?:died|was|suffered|sustained|took)")


def _child_sentence(sentence: str, names: list[str]) -> bool:
    return any(sentence.startswith(name) and _CHILD_VERB.match(sentence, len(name))
               for name in names)


def outcome_sentences(summary: str | None, names: list[str]) -> list[str]:
    sentences = _sentences(summary)
    if not sentences:
        return []
    return [sentences[0]] + [s for s in sentences[1:] if _child_sentence(s, names)]


def find_outcomes(sentences: list[str]) -> list[str]:
    found: list[tuple[int, int, str]] = []
    for index, sentence in enumerate(sentences):
        for outcome, pattern in OUTCOMES:
            match = pattern.search(sentence)
            if match:
                found.append((index, match.start(), outcome))
    ordered: list[str] = []
    for _, _, outcome in sorted(found):
        if outcome not in ordered:
            ordered.append(outcome)
    return ordered


def find_incident_date(sentences: list[str]) -> str | None:
    for sentence in sentences:
        if not any(pattern.search(sentence) for _, pattern in OUTCOMES):
            continue
        for match in INCIDENT_DATE.finditer(sentence):
            if sentence[max(0, match.start() - 1): match.start()] == "(":
                continue
            date = match["year"]
            if match["month"]:
                date += f"-{MONTHS[match['month'].casefold()]:02d}"
                if match["day"]:
                    date += f"-{int(match['day']):02d}"
            return date
    return None


# Per review type: its name anywhere in a title (case-sensitive where the pattern has an
# acronym with \b), and its name opening a summary's first sentence.
_REVIEW_TYPE_PATTERNS = [
    (
        review_type,
        re.compile(rf"(?:{pattern})", re.I if "\\b" not in pattern else 0),
        re.compile(
            rf"^(?:(?:A|An|The|This)\s+)?(?:(?:concise|extended|local|multi-agency|joint|"
            rf"rapid)\s+)*(?:{pattern})",
            re.I,
        ),
    )
    for review_type, pattern in REVIEW_TYPES
]


def find_review_type(title: str, summary: str | None, stated: str | None) -> str | None:
    if stated:
        return stated.strip().rstrip(".").casefold()
    first = _sentences(summary)[0] if summary else ""
    for review_type, in_title, opening in _REVIEW_TYPE_PATTERNS:
        if in_title.search(title) or opening.match(first):
            return review_type
    return None


def find_children(
    title: str, sentences: list[str], summary: str | None, background: str | None = None
) -> Children:
    names = child_pseudonyms(title)
    ages = [match for sentence in sentences[:1] for match in AGE.finditer(sentence)]
    if not ages and len(names) == 1:
        # "Child W, a 12-year-old boy, ..." anywhere in the summary or background
        described = _compiled(
            rf"\b{re.escape(names[0])},?\s+(?:an?\s+|aged\s+)(?={AGE.pattern})", re.I,
        ).search(f"{summary or ''} {background or ''}")
        if described:
            age = AGE.match(f"{summary or ''} {background or ''}", described.end())
            ages = [age] if age else []
    count = None
    for sentence in sentences[:1]:
        match = CHILD_COUNT.search(sentence)
        if match:
            raw = match["n"].casefold()
            count = int(raw) if raw.isdigit() else NUMBER_WORDS[raw]
            break
    children: list[Child] = []
    text = summary or ""
    if len(names) <= 1 and len(ages) == 1 and (count is None or count == 1):
        age = ages[0]
        sex = SEX_NOUNS.get((age["noun"] or "").split()[-1].casefold()) if age["noun"] else None
        name = names[0] if names else None
        if sex is None and name:
            sex = _pronoun_sex(name, text)
        children.append(Child(pseudonym=name, age=_age(age), sex=sex))
    else:
        for name in names:
            outcome, date = _child_outcome(name, sentences) if len(names) > 1 else (None, None)
            children.append(Child(
                pseudonym=name, sex=_pronoun_sex(name, text), outcome=outcome, date=date,
            ))
    if count is None:
        count = len(children) or None
    return Children(count=count, children=children)


def _pronoun_sex(name: str, text: str) -> str | None:
    escaped = re.escape(name)
    match = _compiled(
        rf"\b{escaped}\s+(?:and\s+)?(her|his)\b|\b{escaped}\s+(?:\w+\s+){{0,2}}that\s+(she|he)\b",
    ).search(text)
    if not match:
        return None
    pronoun = match.group(1) or match.group(2)
    return "female" if pronoun in {"her", "she"} else "male"


def _child_outcome(name: str, sentences: list[str]) -> tuple[str | None, str | None]:
    """The outcome and date the child's own clause states ("Eli died in 2022 ...": death,
    2022; "... and Micah suffered significant harm": serious harm, no date)."""
    escaped = re.escape(name)
    for sentence in sentences:
        clause = _compiled(rf"\b{escaped}\s+(died|was killed|was murdered|suffered|sustained)"
                           r"([^.;]*?)(?:\band\b|[.;]|$)").search(sentence)
        if clause:
            outcomes = find_outcomes([clause.group(0)])
            if outcomes:
                return outcomes[0], find_incident_date([clause.group(0)])
    return None, None


@lru_cache(maxsize=2048)
def _compiled(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """Patterns made from a child's name, compiled once per name: through re's own cache
    (512 patterns) they would push out the fixed patterns, which then compile again."""
    return re.compile(pattern, flags)


_NAME_START = re.compile(r"\w+")


@lru_cache(maxsize=8)
def _place_lookup(known_places: frozenset[str]) -> dict[str, list[str]] | None:
    """First word -> the unambiguous known names starting with it, longest first (so "West
    Northamptonshire" wins over "Northamptonshire"); None if a name does not start with a
    word character (then the names are matched as one pattern)."""
    lookup: dict[str, list[str]] = {}
    for name in sorted((n for n in known_places if n not in AMBIGUOUS_PLACES),
                       key=lambda n: (-len(n), n)):
        first = _NAME_START.match(name)
        if first is None:
            return None
        lookup.setdefault(first.group(0), []).append(name)
    return lookup


@lru_cache(maxsize=8)
def _place_pattern(known_places: frozenset[str]) -> re.Pattern[str]:
    # longest first, so "West Northamptonshire" wins over "Northamptonshire"
    names = sorted(
        (name for name in known_places if name not in AMBIGUOUS_PLACES), key=lambda n: (-len(n), n)
    )
    return re.compile(
        r"(?<![\w-])(?:" + "|".join(re.escape(name) for name in names) + r")(?![\w-])"
    )


@lru_cache(maxsize=8)
def _place_words(known_places: frozenset[str]) -> re.Pattern[str]:
    """The words that begin a known name (the keys of _place_lookup), as whole words at a
    word start: one scan finds them instead of a Python step for every word of the text.
    The word-start test (no word character or hyphen before) is made after the first
    character, as a look-behind over it and the character before, so that the pattern starts
    with the names' first characters (nearly all capitals) and the scan skips the rest."""
    first_words = _place_lookup(known_places) or ()
    return re.compile(
        word_alternation(first_words, after_first=r"(?<![\w-][\s\S])") + r"(?!\w)"
    )


def _place_names(text: str, known_places: frozenset[str]) -> Iterable[str]:
    """The known names in the text, left to right, not overlapping, the longest at each
    place: what one pattern of every name (longest first, not inside a word or a hyphenated
    name) finds, looked up by each word's first word instead of trying every name there."""
    lookup = _place_lookup(known_places)
    if lookup is None:
        yield from (match.group(0) for match in _place_pattern(known_places).finditer(text))
        return
    resume = 0
    length = len(text)
    # Word starts (a word character after none and after no hyphen) whose word begins a name;
    # a word that begins none has no names to try.
    for word in _place_words(known_places).finditer(text):
        start = word.start()
        if start < resume:
            continue
        for name in lookup[word.group(0)]:
            end = start + len(name)
            if text.startswith(name, start) and (
                    end == length or not (text[end] == "-" or _WORD_CHAR.match(text[end]))):
                yield name
                resume = end
                break


_WORD_CHAR = re.compile(r"\w")


def find_places(text: str, known_places: frozenset[str], locality: str | None) -> list[str]:
    """Known place names in the text, other than the entry's own locality, in order."""
    if not known_places:
        return []
    own = set((locality or "").split()) | {locality or ""}
    found: list[str] = []
    for name in _place_names(text, known_places):
        if name in own or (locality and name in locality) or name in found:
            continue
        found.append(name)
    return found


# --- one entry ------------------------------------------------------------------------------------
class EntryCache:
    """Entries already read, so that one read again is not parsed again: a harvest holds each
    review's entry in many captures of its page, most of them word for word.

    An entry's record and warnings depend only on its heading, its lines' text, tags and
    links, the spacing of their line numbers, the known places and the agency matcher: an
    entry equal in all of these to one read before gives that entry's record and warnings,
    moved to its own file and lines. The records share their (never modified) lists. Bounded
    (emptied when full), so memory does not grow with the corpus."""

    def __init__(self, limit: int = 10_000) -> None:
        self.limit = limit
        self.hits = 0
        self.html = HtmlLineCache()  # the pages' HTML lines read before
        self._entries: dict[tuple, tuple[Record, list[Problem]]] = {}
        # What the entries were read with (a record found with other places or another
        # matcher may differ: the cache starts again when either changes).
        self._with: tuple[frozenset[str], AgencyMatcher] | None = None

    def read(self, entry: _Entry, file: str, known_places: frozenset[str],
             matcher: AgencyMatcher, problems: list[Problem]) -> Record:
        """_read_entry's record (its warnings added to `problems`), from the cache if it can."""
        if self._with is None or self._with[0] is not known_places \
                or self._with[1] is not matcher:
            self._entries.clear()
            self._with = (known_places, matcher)
        first = entry.heading_line.number
        key = (entry.heading, entry.heading_line.text, entry.heading_line.tag,
               entry.heading_line.links,
               tuple([(line.number - first, line.text, line.tag, line.links)
                      for line in entry.body]))
        found = self._entries.get(key)
        if found is None:
            own: list[Problem] = []
            record = _read_entry(entry, file, known_places, matcher, own)
            problems.extend(own)
            if len(self._entries) >= self.limit:
                self._entries.clear()
            self._entries[key] = (record, own)
            return record
        self.hits += 1
        record, own = found
        shift = first - record.source.first_line
        problems.extend(Problem(problem.message, file,
                                None if problem.line is None else problem.line + shift,
                                problem.entity) for problem in own)
        record = copy.copy(record)  # (dataclasses.replace would check every field again)
        record.source = SourceRef(file, first, record.source.last_line + shift)
        return record


@dataclass
class _Fields:
    summary: list[str] = field(default_factory=list)
    background: list[str] = field(default_factory=list)
    model: list[str] = field(default_factory=list)
    review_type: list[str] = field(default_factory=list)
    publisher_note: list[str] = field(default_factory=list)
    learning: list[str] = field(default_factory=list)
    learning_about: list[list[str]] = field(default_factory=list)  # names its label gives
    recommendations: list[Recommendation] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    report_type: str | None = None
    report_url: str | None = None
    link_seen: bool = False


def _read_entry(
    entry: _Entry,
    file: str,
    known_places: frozenset[str],
    matcher: AgencyMatcher,
    problems: list[Problem],
) -> Record:
    heading = entry.heading
    entity = entry.heading_line.text
    fields = _Fields()

    def warn(message: str, line: int) -> None:
        problems.append(Problem(message, file, line, entity))

    current: str | None = None  # the field text continues in
    current_label: str | None = None
    expecting_items = False  # a list label with no text after it takes the following lines
    pending: list[tuple[int, str]] = []  # items of a list whose label had no text after it
    last_line = entry.heading_line.number
    last_text = ""
    body = [line for line in entry.body if not is_furniture(line.text)]
    after_link: list[NumberedLine] = []
    if heading.publisher:
        fields.publisher_note.append(heading.publisher)

    def flush_pending() -> None:
        nonlocal pending
        if pending and current:
            _add_list(fields, current, current_label, [text for _, text in pending])
        pending = []

    for position, line in enumerate(body):
        if fields.link_seen:
            after_link.append(line)
            continue
        for segment in _segments_of_line(line, first_body_line=position == 0):
            last_line = line.number
            if segment.kind == "link":
                flush_pending()
                fields.link_seen = True
                document = (segment.label or "").casefold()
                fields.report_type = LINK_DOCUMENTS.get(document)
                fields.report_url = _link_target(line, segment.text)
                current, expecting_items = None, False
                continue
            if fields.link_seen:
                warn(f"text after the link line belongs to no field: {_preview(segment.text)}",
                     line.number)
                continue
            last_text = segment.text or last_text
            if (segment.kind == "text" and segment.whole_line and not fields.keywords
                    and position == len(body) - 1 and looks_like_short_keywords(segment.text)):
                segment.kind = "keywords"  # "Suicide, self-harm." ending an entry
            if segment.kind == "keywords":
                flush_pending()
                fields.keywords.extend(split_keywords(segment.text))
                current, expecting_items = "keywords", False
                continue
            if segment.kind == "publisher":
                fields.publisher_note.append(segment.text)
                continue
            if segment.kind == "field":
                flush_pending()
                if fields.keywords and segment.field != "keywords":
                    # keywords close an entry; a field after them is likely a new entry whose
                    # heading was not recognised
                    warn(f"field '{segment.label or 'Makes recommendations'}' comes after the "
                         "entry's keywords (an entry without a heading?)", line.number)
                current, current_label = segment.field, segment.label
                expecting_items = False
                if segment.field == "recommendations" and segment.label is None:
                    who, items = _makes_recommendations_items(segment.text)
                    current_label = f"recommendations to {who}" if who else None
                    if items.strip():
                        _add_list(fields, "recommendations", current_label, split_items(items))
                    else:
                        expecting_items = True
                    continue
                if not segment.text:
                    if current in LIST_FIELDS:
                        expecting_items = True
                    else:
                        warn(f"field '{segment.label}' is empty", line.number)
                    continue
                _add_field_text(fields, current, current_label,  # type: ignore[arg-type]
                                segment.text)
                continue
            # unlabelled text or a bullet
            if current in LIST_FIELDS and (segment.kind == "bullet" or expecting_items):
                pending.append((line.number, segment.text))
                continue
            if segment.kind == "bullet" and current is None and fields.summary:
                fields.summary.append(segment.text)
                continue
            if current is None:
                _unknown_label_warning(segment, warn)
                fields.summary.append(segment.text)
            elif current in {"summary", "background"}:
                getattr(fields, current).append(segment.text)
            elif current == "model" and not fields.summary:
                # "Model: SILP" is a value, not a paragraph: the prose after it is the summary
                fields.summary.append(segment.text)
            else:
                warn(f"text belongs to no field: {_preview(segment.text)}", line.number)
    flush_pending()
    _check_outside_entries(after_link, file, problems, "after an entry's link line")
    for line in after_link:
        if not is_furniture(line.text) and not _looks_like_entry_text(line.text):
            warn(f"text after the link line belongs to no field: {_preview(line.text)}",
                 line.number)

    if not body:
        warn("entry has no text under its heading (truncated?)", entry.heading_line.number)
    else:
        if not fields.keywords:
            warn("entry has no keywords", last_line)
        if not fields.link_seen and not fields.keywords and not last_text.rstrip().endswith(
            (".", "!", "?", ")", "'", "\u2019", '"', "\u201d")
        ):
            warn(f"entry ends mid-sentence (truncated?): {_preview(last_text[-60:])}", last_line)

    summary = " ".join(fields.summary) or None
    names = child_pseudonyms(heading.title)
    sentences = outcome_sentences(summary, names)
    outcome = find_outcomes(sentences)
    entry_text = " ".join(
        [summary or "", " ".join(fields.background), " ".join(fields.learning)]
        + [r.text for r in fields.recommendations]
    )
    return Record(
        title=heading.title,
        year=heading.year or 0,
        month=heading.month,
        locality=heading.locality,
        source=SourceRef(file, entry.heading_line.number, max(last_line, _last(body, entry))),
        publisher_note=" ".join(fields.publisher_note) or None,
        summary=summary,
        background=" ".join(fields.background) or None,
        model=" ".join(m.rstrip(".") for m in fields.model) or None,
        learning=fields.learning,
        learning_about=_learning_about(fields.learning_about, names),
        recommendations=fields.recommendations,
        keywords=fields.keywords,
        report_type=fields.report_type,
        report_url=fields.report_url,
        review_type=find_review_type(
            heading.title, summary, " ".join(fields.review_type) or None
        ),
        children=find_children(heading.title, sentences, summary, " ".join(fields.background)),
        outcome=outcome,
        # Several named children: a sentence about one of them dates that child's outcome
        # (Child.date), not the review's incident.
        incident_date=find_incident_date(sentences if len(names) <= 1 else sentences[:1]),
        # Only text that names an agency: keywords are the library's subject terms ("prison
        # and prisoners"), not the review saying that an agency was involved.
        agencies=matcher.find(entry_text),
        places_mentioned=find_places(entry_text, known_places, heading.locality),
    )


def _learning_about(about: list[list[str]], names: list[str]) -> list[list[str]]:
    """Per learning point, the review's children its label names ([] for the whole review);
    an empty list when no label names a child of the review."""
    kept = [[name for name in point if name in names] for point in about]
    return kept if any(kept) else []


def _last(body: list[NumberedLine], entry: _Entry) -> int:
    return body[-1].number if body else entry.heading_line.number


def _unknown_label_warning(segment: _Segment, warn: Callable[[str, int], None]) -> None:
    match = LABEL.match(segment.text)
    if match and segment.whole_line and len(match["label"].split()) <= 4:
        warn(f"unknown field label '{match['label']}:' (text kept in the summary)", segment.line)


def _add_field_text(fields: _Fields, kind: str, label: str | None, text: str) -> None:
    if kind in LIST_FIELDS:
        if kind == "keywords":
            fields.keywords.extend(split_keywords(text))
        else:
            _add_list(fields, kind, label, split_items(text, comma_lists=kind == "learning"))
    elif kind == "review_type":
        fields.review_type.append(text)
    elif kind == "publisher_note":
        fields.publisher_note.append(text.rstrip(". "))
    else:
        getattr(fields, kind).append(text)


# "Learning themes specific to Eli and Micah include": the label says whom its points are about.
LEARNING_ABOUT = re.compile(
    r"\b(?:specific to|relating to|related to|about|concerning|for)\s+(?P<names>.+?)"
    r"(?:\s+(?:include|includes|including|are|were)\b.*)?$", re.I)


def label_children(label: str | None) -> list[str]:
    """The names a learning label says its points belong to ('... specific to Eli and Micah
    include' -> ['Eli', 'Micah']); the caller keeps those that are the review's children."""
    match = LEARNING_ABOUT.search(label or "")
    if not match:
        return []
    return [name.strip() for name in NAME_SEPARATOR.split(match["names"]) if name.strip()]


def _add_list(fields: _Fields, kind: str, label: str | None, items: Iterable[str]) -> None:
    cleaned = [_clean_item(item) for item in items if _clean_item(item)]
    if kind == "learning":
        fields.learning.extend(cleaned)
        about = label_children(label)
        fields.learning_about.extend([about] * len(cleaned))
    elif kind == "recommendations":
        fields.recommendations.extend(make_recommendations(cleaned, label_addressee(label)))
    elif kind == "keywords":
        for item in cleaned:
            fields.keywords.extend(split_keywords(item))


def format_record(record: Record) -> str:
    """A record as readable text for `reviewgraph parse` (the JSON form is Record.to_json())."""
    when = f"{record.month:02d}/{record.year}" if record.month else str(record.year)
    lines = [
        f"{when} \u2013 {record.locality or 'Anonymous'} \u2013 {record.title}",
        f"  source: {record.source.file}:{record.source.first_line}-{record.source.last_line}",
    ]

    def add(label: str, value: object) -> None:
        if value not in (None, "", []):
            lines.append(f"  {label}: {value}")

    add("publisher", record.publisher_note)
    add("review type", record.review_type)
    add("report", record.report_type)
    add("summary", record.summary)
    add("background", record.background)
    add("model", record.model)
    if record.learning:
        lines.append(f"  learning ({len(record.learning)}):")
        for n, text in enumerate(record.learning, start=1):
            about = record.learning_about[n - 1] if n <= len(record.learning_about) else []
            lines.append(f"    {n}. {text}" + (f" [{', '.join(about)}]" if about else ""))
    if record.recommendations:
        lines.append(f"  recommendations ({len(record.recommendations)}):")
        for n, recommendation in enumerate(record.recommendations, start=1):
            who = f"[{'; '.join(recommendation.addressees)}] " if recommendation.addressees else ""
            lines.append(f"    {n}. {who}{recommendation.text}")
    add("keywords", "; ".join(record.keywords))
    children = []
    for child in record.children.children:
        facts = [f for f in (child.age, child.sex, child.outcome, child.date) if f]
        described = f" ({', '.join(facts)})" if facts else ""
        children.append((child.pseudonym or "unnamed") + described)
    if record.children.count is not None or children:
        add("children", f"{record.children.count if record.children.count is not None else '?'}"
            + (f": {'; '.join(children)}" if children else ""))
    add("outcome", ", ".join(record.outcome))
    add("incident date", record.incident_date)
    add("agencies", ", ".join(record.agencies))
    add("places mentioned", ", ".join(record.places_mentioned))
    return "\n".join(lines)
