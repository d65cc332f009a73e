"""The first stage of the data flow: fetch the NSPCC listing pages, live and from web archives,
into a content-addressed harvest folder (docs/harvest-folder.md) that the build reads.

    addresses.py  the addresses to harvest (a CSV with a `url` column)
    http.py       the one HTTP client: retries, Retry-After, per-host delay, robots.txt
    cdx.py        archives: address variants, CDX listings in both dialects, replay addresses
    checks.py     is a fetched capture a listing page at all (error page, cookie wall, ...)?
    storage.py    bodies by sha256, sidecars, state; atomic writes
    run.py        one harvest: what was found, fetched, unchanged, skipped or failed
"""

from reviewgraph.harvest.addresses import DEFAULT_PAGES, read_addresses
from reviewgraph.harvest.cdx import INTERNET_ARCHIVE, Archive, parse_archive_option
from reviewgraph.harvest.run import HarvestOptions, HarvestReport, Outcome, harvest

__all__ = ["DEFAULT_PAGES", "INTERNET_ARCHIVE", "Archive", "HarvestOptions", "HarvestReport",
           "Outcome", "harvest", "parse_archive_option", "read_addresses"]
