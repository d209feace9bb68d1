"""A local Twenty CRM on loopback: REST + metadata API over HTTP, state in one SQLite file.

Used by the tests, rehearsals and the demo so the pipeline talks to something that behaves like
Twenty (auth, batch caps, uniqueness, upsert, cursors, error bodies, rate limits, uploads) without a
real workspace, and so tests can make it fail on purpose (seeded faults).
See docs/sandbox.md for what is modelled and which Twenty source each behaviour follows.
"""

from core_practice_twenty.sandbox.config import FaultConfig, RateLimitConfig, SandboxConfig
from core_practice_twenty.sandbox.server import SandboxServer, serve

__all__ = ["FaultConfig", "RateLimitConfig", "SandboxConfig", "SandboxServer", "serve"]
