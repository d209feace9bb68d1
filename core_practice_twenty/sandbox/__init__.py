"""A local Twenty CRM on loopback: REST + metadata API over HTTP, state in one SQLite file.

Used by the tests, rehearsals and the demo so the pipeline talks to something that behaves like
Twenty (auth, batch caps, uniqueness, upsert, cursors, error bodies) without a real workspace.
See docs/sandbox.md for what is modelled and which Twenty source each behaviour follows.
"""

from core_practice_twenty.sandbox.config import SandboxConfig
from core_practice_twenty.sandbox.server import SandboxServer, serve

__all__ = ["SandboxConfig", "SandboxServer", "serve"]
