"""Where the project's files live: ontology, shapes, data and the default build folder.

The package is installed in editable mode from the checkout, so these resolve to the checkout;
REVIEWGRAPH_HOME points them elsewhere (e.g. a deployed copy of the repository).
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(os.environ.get("REVIEWGRAPH_HOME", Path(__file__).resolve().parents[2]))
ONTOLOGY_DIR = PROJECT_ROOT / "ontology"
ONTOLOGY_FILE = ONTOLOGY_DIR / "reviewgraph.ttl"
SHAPES_DIR = PROJECT_ROOT / "shapes"
DATA_DIR = PROJECT_ROOT / "data"
SOURCES_DIR = DATA_DIR / "sources"
VOCABULARIES_DIR = DATA_DIR / "vocabularies"
REFERENCE_DIR = DATA_DIR / "reference"
DEFAULT_BUILD_DIR = PROJECT_ROOT / "build"
