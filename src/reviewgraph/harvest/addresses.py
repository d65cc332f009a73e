"""The addresses to harvest: a CSV with a `url` column (default: the NSPCC listing pages of every
era, data/reference/nspcc-listing-pages.csv)."""

from __future__ import annotations

import csv
from pathlib import Path
from urllib.parse import urlsplit

from reviewgraph.errors import ReviewGraphError
from reviewgraph.paths import REFERENCE_DIR

DEFAULT_PAGES = REFERENCE_DIR / "nspcc-listing-pages.csv"


def read_addresses(path: Path) -> list[str]:
    """The `url` column's addresses, in order, each once; errors name the file and line."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ReviewGraphError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise ReviewGraphError(f"{path}: not UTF-8 text") from None
    reader = csv.DictReader(text.splitlines())
    try:
        if not reader.fieldnames or "url" not in reader.fieldnames:
            raise ReviewGraphError(f"{path}:1: no 'url' column (the header row is "
                                   f"{','.join(reader.fieldnames or []) or 'empty'})")
        addresses: list[str] = []
        for row in reader:
            line = reader.line_num
            address = (row.get("url") or "").strip()
            if not address:
                raise ReviewGraphError(f"{path}:{line}: empty url")
            parts = urlsplit(address)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ReviewGraphError(f"{path}:{line}: not an http(s) address: {address!r}")
            if address not in addresses:
                addresses.append(address)
    except csv.Error as error:
        raise ReviewGraphError(f"{path}:{reader.line_num}: {error}") from None
    if not addresses:
        raise ReviewGraphError(f"{path}: no addresses (the 'url' column is empty)")
    return addresses
