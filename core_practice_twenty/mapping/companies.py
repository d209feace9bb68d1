"""Practices → Twenty companies: one company per practice location.

Pure functions over raw rows: no Dagster, no HTTP, so every rule here is tested directly.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit


def normalise_domain(website: str | None) -> str | None:
    """A website cell → bare lower-case host (`https://WWW.Smile.com.au/book` → `smile.com.au`).

    Twenty keeps `domainName` unique and, since 2026, stores it as a bare host; sending the same
    form keeps upsert matching and the field diff exact.
    """
    if not website:
        return None
    text = website.strip()
    if "://" not in text:
        text = f"http://{text}"
    host = (urlsplit(text).hostname or "").lower().rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    return host if "." in host else None


GROUP_PREFIX = "group:"


def group_key(group_name: str | None) -> str | None:
    """A group name → the source key of its parent company (`Smile Dental Group` → `group:smile-dental-group`).

    Locations spell their group slightly differently (case, spaces, `&` vs `and` aside); folding to
    an ASCII slug makes them one parent. The key is also the parent's `cpPracticeId`, its upsert key.
    """
    if not group_name or not group_name.strip():
        return None
    ascii_text = unicodedata.normalize("NFKD", group_name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.casefold().replace("&", " and ")).strip("-")
    return f"{GROUP_PREFIX}{slug}" if slug else None
