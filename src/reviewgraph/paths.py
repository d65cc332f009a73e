"""Where the project's files live: what the package ships, the user's input, the build folder.

The ontology, the shapes, the vocabularies and the reference data ship inside the package and
are read through importlib.resources. In a checkout, src/reviewgraph/ontology, shapes,
data/vocabularies and data/reference are symlinks to the top-level folders people edit, so an
editable install reads those and a wheel carries copies of them.

The user's input (data/sources/) and the default build folder (build/) are the project's:
the checkout when the package runs from one, else the current directory; REVIEWGRAPH_HOME
sets that folder explicitly.
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path


def _shipped(name: str) -> Path:
    # Resolved: in a checkout, messages then name the top-level folder people edit.
    return Path(str(files("reviewgraph") / name)).resolve()


def _project_root() -> Path:
    if "REVIEWGRAPH_HOME" in os.environ:
        return Path(os.environ["REVIEWGRAPH_HOME"])
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "pyproject.toml").is_file() and (checkout / "src" / "reviewgraph").is_dir():
        return checkout
    return Path.cwd()


# Shipped with the package.
ONTOLOGY_DIR = _shipped("ontology")
ONTOLOGY_FILE = ONTOLOGY_DIR / "reviewgraph.ttl"
SHAPES_DIR = _shipped("shapes")
DATA_DIR = _shipped("data")  # the data the package ships (not the user's sources)
VOCABULARIES_DIR = (DATA_DIR / "vocabularies").resolve()
REFERENCE_DIR = (DATA_DIR / "reference").resolve()

# The user's.
PROJECT_ROOT = _project_root()
SOURCES_DIR = PROJECT_ROOT / "data" / "sources"
DEFAULT_BUILD_DIR = PROJECT_ROOT / "build"
