"""What a person sees of a harvest: the running counts (shown by reviewgraph.progress), then
the summary, every skipped capture with its reason and every failure."""

from __future__ import annotations

from pathlib import Path

from reviewgraph.harvest.run import HarvestReport


def _counts(report: HarvestReport) -> str:
    return (f"{report.found} found, {report.fetched} fetched, {report.unchanged} unchanged, "
            f"{len(report.skipped)} skipped, {len(report.failed)} failed")


def counts(report: HarvestReport) -> str:
    """The running totals, as the progress display shows them."""
    return _counts(report)


def summary(report: HarvestReport, out_dir: Path, dry_run: bool) -> list[str]:
    """The closing lines: totals first, then each skipped capture and each failure."""
    lines = []
    if dry_run:
        lines += [f"would fetch {item}" for item in report.would_fetch]
        lines.append(f"dry run: {report.found} captures found, {len(report.would_fetch)} to "
                     f"fetch, {report.unchanged} already harvested, {len(report.skipped)} known "
                     "to be skipped; nothing fetched or written")
    else:
        same = (f" (+{report.same_digest} recorded without a request: same content as a "
                "capture fetched)") if report.same_digest else ""
        lines.append(f"harvested into {out_dir}: {report.found} captures found; "
                     f"{report.fetched} fetched ({report.new_pages} new "
                     f"page{'' if report.new_pages == 1 else 's'}){same}, "
                     f"{report.unchanged} unchanged or already harvested, "
                     f"{len(report.skipped)} skipped, {len(report.failed)} failed")
        if report.leftovers_removed:
            lines.append(f"removed {report.leftovers_removed} leftover file(s) of an "
                         "interrupted harvest")
    lines += [f"skipped: {outcome}" for outcome in report.skipped]
    return lines


def problems(report: HarvestReport) -> list[str]:
    """Failures, for stderr: the next run retries them."""
    lines = [f"failed: {outcome}" for outcome in report.failed]
    lines += [f"unreachable: {archive}; its captures were not listed"
              for archive in report.unreachable]
    return lines
