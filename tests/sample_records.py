"""Records written by hand from entries of the sample page (data/sources/...-2025.txt).

Graph, validation and build tests use these so they do not depend on the parser's details."""

from __future__ import annotations

from reviewgraph.records import Child, Children, Recommendation, Record, SourceRef

SAMPLE = "nspcc-new-in-the-collection-2025.txt"


def sample_records() -> list[Record]:
    return [
        Record(
            title="Baby A",
            year=2025,
            locality="Birmingham",
            source=SourceRef(SAMPLE, 4, 9),
            summary="Death of an 8-day-old baby girl in September 2021 whilst in the neonatal "
            "intensive care unit.",
            learning=[
                "the effectiveness of multi-agency public protection arrangements (MAPPA) and "
                "multi-agency risk assessment conference process (MARAC)",
                "barriers to practitioners’ response to suspected domestic violence where there "
                "is evidence of abuse but absence of disclosure by the victim",
            ],
            recommendations=[
                Recommendation("share findings with the chair of MARAC governance",
                               ["the partnership"]),
            ],
            keywords=["domestic abuse", "infant deaths", "newborn babies",
                      "prison and prisoners", "probation service"],
            report_type="overview report",
            children=Children(1, [Child("Baby A", "P8D", "female", "death")]),
            outcome=["death"],
            incident_date="2021-09",
            agencies=["mappa", "marac"],
        ),
        Record(
            title="Serious youth violence",
            year=2025,
            locality="Bristol",
            source=SourceRef(SAMPLE, 10, 15),
            summary="Thematic review concerning 10 adolescent boys involved in three separate "
            "instances of knife crime in February 2024.",
            learning=["support for children with SEN",
                      "alignment and accountability across the city and cross-border"],
            recommendations=[
                Recommendation("implement a single multi agency child exploitation (MACE) model "
                               "across all agencies (including education)", ["the partnership"]),
            ],
            keywords=["serious youth violence", "extrafamilial harm", "adolescent boys",
                      "school attendance"],
            report_type="executive summary",
            review_type="thematic review",
            children=Children(10, []),
            outcome=["death", "serious injury"],
            incident_date="2024-02",
            agencies=["mace"],
        ),
        Record(
            title="Ivy",
            year=2025,
            locality="Hertfordshire",
            source=SourceRef(SAMPLE, 22, 27),
            summary="Death of a 2-year-old girl in April 2024.",
            learning=["the voice of the child, including non-verbal children"],
            recommendations=[
                Recommendation("CAFCASS to provide training to both partnerships (Hertfordshire "
                               "and Northamptonshire)", ["CAFCASS"]),
                Recommendation("CAFCASS and ADCS to review policy on who takes responsibility "
                               "for reporting to court", ["CAFCASS", "ADCS"]),
            ],
            keywords=["filicide", "domestic abuse", "court proceedings"],
            report_type="overview report",
            children=Children(1, [Child("Ivy", "P2Y", "female", "death")]),
            outcome=["death"],
            incident_date="2024-04",
            agencies=["adcs", "cafcass"],
            places_mentioned=["Northamptonshire"],
        ),
        Record(
            title="Eli and Micah",
            year=2025,
            locality="Kent",
            source=SourceRef(SAMPLE, 28, 33),
            summary="Concerns two children, from different families, who suffered brain "
            "injuries whilst in the care of parents.",
            learning=["safe sleep advice", "paternal mental health",
                      "cross-border communication"],
            learning_about=[[], ["Eli", "Micah"], ["Eli", "Micah"]],
            recommendations=[
                Recommendation("the ICS to consider including in its audit schedule a review of "
                               "information sharing at the point of case closures", ["the ICS"]),
            ],
            keywords=["infants", "cross border working",
                      "parents who have a mental health problem"],
            report_type="executive summary",
            children=Children(2, [Child("Eli", outcome="death", date="2022"),
                                  Child("Micah", outcome="serious harm")]),
            outcome=["serious injury", "death", "serious harm"],
            incident_date=None,
            agencies=["ics"],
            places_mentioned=["Croydon"],
        ),
        Record(
            title="Children F, G and H",
            year=2016,
            locality=None,
            month=12,
            publisher_note="NSPCC on behalf of unnamed LSCB",
            source=SourceRef("made-up-page.txt", 3, 6),
            learning=["engagement with fathers"],
            keywords=["parents with a mental health problem", "neglect"],
            review_type="serious case review",
            children=Children(3, []),
            outcome=["neglect"],
        ),
    ]
