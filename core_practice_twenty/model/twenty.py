"""Twenty's own facts, as the pipeline knows them: composite field types and their sub-fields, the upload flows
and their size limits. Taken from Twenty's source (twenty-api.md §7-§8, docs/sandbox.md's version table).

The stand-in Twenty (`sandbox/`) keeps its own copy of what it plays, so that a test compares the pipeline's
understanding with an independent one (core_practice_twenty_tests/twenty/test_model.py) instead of with itself.
"""

from __future__ import annotations

COMPOSITE_SUBFIELDS: dict[str, tuple[str, ...]] = {
    "FULL_NAME": ("firstName", "lastName"),
    "EMAILS": ("primaryEmail", "additionalEmails"),
    "PHONES": ("primaryPhoneNumber", "primaryPhoneCountryCode", "primaryPhoneCallingCode", "additionalPhones"),
    "LINKS": ("primaryLinkUrl", "primaryLinkLabel", "secondaryLinks"),
    "ADDRESS": ("addressStreet1", "addressStreet2", "addressCity", "addressPostcode", "addressState",
                "addressCountry", "addressLat", "addressLng"),
    "CURRENCY": ("amountMicros", "currencyCode"),
    "ACTOR": ("source", "workspaceMemberId", "name", "context"),
    "RICH_TEXT_V2": ("blocknote", "markdown"),
    "RICH_TEXT": ("blocknote", "markdown"),  # RICH_TEXT_V2's name since 1.20
}
"""Sub-fields a payload may write under a composite field (twenty-shared's composite type definitions)."""

UNIQUE_LOOKUP_SUBFIELD: dict[str, str] = {"EMAILS": "primaryEmail", "LINKS": "primaryLinkUrl"}
"""The sub-field by which a unique composite field identifies a record when the loader looks for one it did not
create (isIncludedInUniqueConstraint; PHONES is unique over more than one sub-field from 2.38, so it is not
looked up by one)."""

FLOW_DIRECT = "direct"
"""`createFileUpload` → PUT to its `uploadUrl` → `completeFileUpload` (2.38's schema on; the only one from 2.40)."""
FLOW_BY_ID = "by-id"
"""`uploadFilesFieldFile(file, fieldMetadataId)` multipart on /metadata (1.18–2.39)."""
FLOW_BY_UID = "by-uid"
"""`uploadFilesFieldFileByUniversalIdentifier` multipart on /metadata (deprecated from 2.43)."""
FLOW_LEGACY = "legacy"
"""`uploadFile` on /graphql, attachment `fullPath` (before Files v2)."""

UPLOAD_LIMIT_BY_FLOW = {FLOW_DIRECT: 100 * 1024 * 1024, FLOW_BY_ID: 100 * 1024 * 1024,
                        FLOW_BY_UID: 100 * 1024 * 1024, FLOW_LEGACY: 10 * 1024 * 1024}
"""`settings.storage.maxFileSize` per generation (src/engine/constants/settings/index.ts: 100 MB with Files v2,
10 MB before); TWENTY_MAX_UPLOAD_MB sets another when the server differs."""

SMALLEST_UPLOAD_BYTES = min(UPLOAD_LIMIT_BY_FLOW.values())
"""What every Twenty accepts: validation's limit when it is not told the limit of the Twenty a wave writes to."""

