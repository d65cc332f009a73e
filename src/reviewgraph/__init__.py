"""ReviewGraph: NSPCC case-review listing pages turned into a served RDF knowledge graph.

Stages, in the order data flows (a module imports only from stages before it):
paths/errors/progress -> sources -> agencies -> records/parser -> concepts -> places -> graph
-> validation -> build -> store -> web -> cli.
"""

__version__ = "0.1.0"
