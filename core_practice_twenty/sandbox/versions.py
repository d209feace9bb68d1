"""Twenty's generations, as data: everything the sandbox plays differently from one version to the next.

One row per version the sandbox can play (`cpt sandbox --twenty-version X.Y`). Each behaviour names the
place in Twenty's source (`twentyhq/twenty`) it follows; docs/sandbox.md renders the same table. The
older `--profile current|legacy` names are aliases of a version plus a rate limiter.

Dates and versions: the task/note/attachment targets became morph relations (`targetPersonId`) in the
1.17 upgrade (PR #17476); Files v2 (`attachment.file`, `uploadFilesFieldFile`) came with 1.18 (PR #17707,
data migration PR #17752); RICH_TEXT_V2 was renamed RICH_TEXT in 1.20
(`upgrade-version-command/1-20/1-20-migrate-rich-text-to-text.command.ts`); `uploadFilesFieldFile` (by id) is
gone from the 2.40 schema (twenty-client-sdk 2.38.0 vs 2.40.0 `dist/metadata/generated/schema.d.ts`), where
`createFileUpload` + `PUT /file-upload/:id` + `completeFileUpload` and the deprecated
`uploadFilesFieldFileByUniversalIdentifier` remain.
"""

from __future__ import annotations

from dataclasses import dataclass

LIMITERS = ("legacy", "usage-engine")
"""`legacy`: ThrottlerService, "Limit reached (N tokens per W ms)", no headers (the self-hosted default: the
workspace flag IS_API_RATE_LIMIT_V2_ENABLED is off); `usage-engine`: 429 RATE_LIMITED with Retry-After and
X-RateLimit-* (common-base-query-runner.service.ts, usage-limit-to-rest-api-exception-handler.util.ts)."""

MUTATION_LEGACY = "uploadFile"
"""`/graphql`, multipart, answers the stored path (core-modules/file/resolvers/file-upload.resolver.ts)."""
MUTATION_BY_ID = "uploadFilesFieldFile"
"""`/metadata`, multipart, `(file, fieldMetadataId)` (file/files-field/resolvers/files-field.resolver.ts)."""
MUTATION_BY_UID = "uploadFilesFieldFileByUniversalIdentifier"
"""`/metadata`, multipart, `(file, fieldMetadataUniversalIdentifier)`; deprecated in 2.43's client."""
MUTATION_CREATE = "createFileUpload"
"""`/metadata`, JSON: `(filename, size: Float!, fileFolder: FileFolder!, fieldMetadataId | …UniversalIdentifier)`
→ `FileUploadTarget {fileId, uploadUrl, contentType, expiresAt}` (file-upload/resolvers/file-upload.resolver.ts)."""
MUTATION_COMPLETE = "completeFileUpload"
"""`/metadata`, JSON: `(fileId)` → `FileWithSignedUrl {id, path, size, createdAt, url}`."""

ATTACHMENT_FILE_UID = "20202020-15db-460e-8166-c7b5d87ad4be"
"""`STANDARD_OBJECTS.attachment.fields.file.universalIdentifier` (twenty-shared
src/metadata/constants/standard-object.constant.ts: "never changed"); Twenty's own client uploads by it."""


@dataclass(frozen=True)
class TwentyVersion:
    """What one Twenty version does differently. `naming` is the older profile name (`legacy`: `personId`
    targets, `fullPath` attachments, no `updatedBy`; `current`: `targetPersonId`, `file` FILES)."""

    version: str
    naming: str
    batch_cap: int
    upload_mutations: tuple[str, ...]
    max_upload_bytes: int
    rich_text_type: str
    company_drift: bool
    """2.43+: Company has `annualRevenue` and no `employees`, `xLink`, `annualRecurringRevenue`,
    `idealCustomerProfile`; Person has no `city`, no `xLink` (twenty-client-sdk 2.43 STANDARD_OBJECTS)."""
    phones_unique_with_country: bool
    """A unique PHONES field is unique over number, country code and calling code (PR #20261, after Files v2;
    before it, over the number alone)."""

    @property
    def unique_phone_subfields(self) -> list[str]:
        return (["primaryPhoneNumber", "primaryPhoneCountryCode", "primaryPhoneCallingCode"]
                if self.phones_unique_with_country else ["primaryPhoneNumber"])

    @property
    def direct_upload(self) -> bool:
        return MUTATION_CREATE in self.upload_mutations


MB = 1024 * 1024

VERSIONS: dict[str, TwentyVersion] = {
    # QUERY_MAX_RECORDS 200 since PR #14358 (2025-09), before 1.16; the 60 of older releases is
    # `--batch-cap 60`. settings.storage.maxFileSize: 10 MB before Files v2.
    "1.16": TwentyVersion("1.16", "legacy", 200, (MUTATION_LEGACY,), 10 * MB, "RICH_TEXT_V2", False, False),
    "2.38": TwentyVersion("2.38", "current", 200,
                          (MUTATION_BY_ID, MUTATION_BY_UID, MUTATION_CREATE, MUTATION_COMPLETE),
                          100 * MB, "RICH_TEXT", False, True),
    "2.47": TwentyVersion("2.47", "current", 200, (MUTATION_BY_UID, MUTATION_CREATE, MUTATION_COMPLETE),
                          100 * MB, "RICH_TEXT", True, True),
}
NEWEST = "2.47"
OLDEST = "1.16"

PROFILE_ALIASES: dict[str, tuple[str, str]] = {"legacy": ("1.16", "legacy"), "current": ("2.38", "usage-engine")}
"""`--profile` → (version, limiter): the names the sandbox had before it played versions."""

NAMING_VERSION = {"legacy": "1.16", "current": "2.38"}
"""A workspace file seeded before versions were recorded: its naming says which version it played."""


def version(name: str) -> TwentyVersion:
    """The row for `name` (`2.47`, `2.47.0`), or ValueError naming the versions there are."""
    short = ".".join(str(name).strip().split(".")[:2])
    if short not in VERSIONS:
        raise ValueError(f"unknown Twenty version {name!r}; the sandbox plays {', '.join(VERSIONS)}")
    return VERSIONS[short]
