"""The pipeline's own table of Twenty's composite types agrees with the stand-in's, which the conformance
suite checks against Twenty's behaviour: two independent readings of Twenty's source, not one checked with
itself."""

from __future__ import annotations

from core_practice_twenty.model.twenty import COMPOSITE_SUBFIELDS, UPLOAD_LIMIT_BY_FLOW
from core_practice_twenty.sandbox.values import COMPOSITE_TYPES
from core_practice_twenty.sandbox.versions import VERSIONS


def test_composite_sub_fields_agree_with_the_stand_in() -> None:
    assert {t: set(subs) for t, subs in COMPOSITE_SUBFIELDS.items()} == \
        {t: set(subs) for t, subs in COMPOSITE_TYPES.items()}


def test_upload_limits_agree_with_every_version_the_stand_in_plays() -> None:
    assert {v.max_upload_bytes for v in VERSIONS.values()} == set(UPLOAD_LIMIT_BY_FLOW.values())
