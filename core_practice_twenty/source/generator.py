"""Synthetic Core Practice exports: deterministic for a seed, shaped like the real reports, dirty on purpose.

Why it exists: no practice can hand its patients to a test suite, yet every rule of the pipeline must be
proven on data that looks like a real export (13 report files with a title row, BOM and CRLF, the
region's date order, real suburbs and postcodes, households sharing an email, recalls and restorative
work, ADA item numbers or CDT codes) and on every kind of dirt a real export carries. The generator
injects each kind in `dirt.DIRT_KINDS` at a realistic rate and writes a manifest that lists every
fault it injected, row by row: the ground truth the validation tests check against (each listed fault
is found, nothing else is). With `dirt="none"` the export is spotless, so any finding on it is a bug.

It streams: practices and providers are kept in memory (a group has tens), every patient's household,
visits, invoices, payments, claims, notes and documents are written as they are made, with the 13
files open at once, so a 250,000-patient group costs the same memory as a 200-patient practice.
Every value is invented (names from common-name lists, fictional phone ranges, reserved email domains).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import random
import re
import shutil
import struct
import unicodedata
import zipfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from core_practice_twenty.source.dirt import DIRT_KINDS
from core_practice_twenty.source.export_spec import DOCUMENTS_DIR, EXPORT_SPEC, ObjectSpec
from core_practice_twenty.source.regions import (
    REGIONS,
    Locality,
    Procedure,
    RegionProfile,
    e164,
    landline_national,
    local_format,
    mobile_national,
)

LARGE_FILE_BYTES = 10 * 1024 * 1024 + 1
"""Size of the `large_file` document: one byte over Twenty's older 10 MB upload limit."""

DEFAULT_EXPORT_DATE = date(2026, 11, 24)
"""The day the export was taken; fixed so that the same arguments always give the same bytes."""

MANIFEST_NAME = "_generator_manifest.jsonl"
DIRT_LEVELS = ("none", "realistic", "heavy")
FORMATS = ("csv", "xlsx")
HEAVY_FACTOR = 4.0

REALISTIC_RATES: dict[str, float] = {
    # Field research §2.8 gives evidence for the kinds, but a number only for duplicates (vendor claim of
    # 10-20 % in helpdesk data; dental receptions look patients up by DOB, so 2 % is used). The other rates
    # are assumptions sized so that a 200-patient practice shows each kind and a group shows it thousands
    # of times. The unit ("per …") is the opportunity at which the generator rolls.
    "duplicate_patient": 0.02,            # per adult patient: re-registered under a second id
    "shared_family_email": 0.40,          # per household of 2+: everyone uses the head's address (§2.8, §0.4)
    "missing_email": 0.08,                # per patient
    "na_email": 0.02,                     # per patient: `n/a` typed into the field (demo loader, CP5)
    "malformed_email": 0.01,              # per patient
    "local_phone_format": 0.15,           # per patient with a mobile
    "invalid_state": 0.005,               # per domestic patient
    "postcode_lost_zero": 0.25,           # per patient whose postcode starts with 0 (Excel round trip, X2)
    "international_address": 0.005,       # per single-person household
    "orphan_patient": 0.003,              # per single-person household: never linked to a location
    "dangling_appointment_patient": 0.002,  # per patient: a row of a patient missing from the export
    "dangling_note_patient": 0.002,
    "dangling_invoice_patient": 0.002,
    "archived_patient": 0.45,             # per inactive patient (the tail is 1-2x the active base, §2.7)
    "soft_deleted_patient": 0.015,        # per patient (IsDeleted, CP5)
    "future_date": 0.003,                 # per patient: created_at after the export
    "impossible_date": 0.003,             # per patient: 31/02, 1850 or an unborn birth date
    "document_missing": 0.01,             # per document
    "document_checksum_mismatch": 0.005,  # per document
    "path_traversal": 0.002,              # per document
    "large_file": 0.0,                    # never rolled: exactly one (realistic) or two (heavy)
}

BANNERS = {
    "practices": "Core Practice - Practice Locations Report",
    "providers": "Core Practice - Practitioner List Report",
    "patients": "Core Practice - Patient List Report",
    "patient_practices": "Core Practice - Patient Locations Report",
    "appointments": "Core Practice - Appointment Book Report",
    "treatment_plans": "Core Practice - Treatment Plan Report",
    "invoices": "Core Practice - Invoice Created Report",
    "invoice_lines": "Core Practice - Invoice Items Report",
    "payments": "Core Practice - Payment Received Report",
    "insurance_claims": "Core Practice - Health Fund Claims Report",
    "clinical_notes": "Core Practice - Clinical Notes Report",
    "documents": "Core Practice - Patient Documents Report",
    "workflows": "Core Practice - Automated Messages Report",
}
YES_NO = ("Yes", "No")
TRUE_FALSE = ("TRUE", "FALSE")
BOOL_STYLE = {"appointments": TRUE_FALSE, "payments": TRUE_FALSE, "workflows": TRUE_FALSE}

FIRST_FEMALE = ("Olivia", "Charlotte", "Amelia", "Isla", "Mia", "Ava", "Grace", "Chloe", "Sophie", "Emily",
                "Ruby", "Zoe", "Hannah", "Lucy", "Priya", "Mei", "Aisha", "Fatima", "Sarah", "Jessica",
                "Rebecca", "Karen", "Michelle", "Linh", "Elena", "Zoë", "Chloé", "Maria", "Anh", "Harper")
FIRST_MALE = ("Oliver", "Noah", "Jack", "William", "Leo", "Lucas", "Thomas", "James", "Henry", "Ethan",
              "Liam", "Samuel", "Daniel", "Matthew", "Arjun", "Wei", "Omar", "Ahmed", "David", "Michael",
              "Andrew", "Peter", "Minh", "José", "Luca", "Mateo", "Benjamin", "Harrison", "Ryan", "Joshua")
LAST_NAMES = ("Smith", "Jones", "Williams", "Brown", "Wilson", "Taylor", "Nguyen", "Johnson", "Martin", "White",
              "Anderson", "Walker", "Thompson", "Harris", "Lee", "Ryan", "Robinson", "Kelly", "King", "Tran",
              "Davis", "Wright", "Mitchell", "Campbell", "Clarke", "O'Brien", "Murphy", "Singh", "Patel",
              "Chen", "Wang", "Li", "Kim", "Nguyễn", "Rossi", "Papadopoulos", "Müller", "Smith-Jones",
              "MacDonald", "García", "Hernández", "Cohen", "Novak", "Kowalski", "Ahmed", "Khan", "Edwards",
              "Hughes", "Scott", "Young")
REGION_FIRST = {"NZ": (("Aroha", "Mere", "Anahera", "Kiri"), ("Tama", "Wiremu", "Nikau", "Rawiri")),
                "US": (("Madison", "Ashley", "Gabriela"), ("Tyler", "Brandon", "Carlos"))}
REGION_LAST = {"NZ": ("Ngata", "Parata", "Tipene", "Walker", "Te Whata"),
               "US": ("Miller", "Rodriguez", "Lopez", "Gonzalez", "Jackson")}
NICKNAMES = {"William": "Will", "Thomas": "Tom", "James": "Jim", "Matthew": "Matt", "Samuel": "Sam",
             "Benjamin": "Ben", "Rebecca": "Bec", "Jessica": "Jess", "Elena": "Ellie", "Michael": "Mike"}
STREETS = ("George St", "King St", "High St", "Main Rd", "Church St", "Station St", "Victoria Rd", "Queen St",
           "Park Ave", "Beach Rd", "Hill St", "Elizabeth St", "Railway Pde", "Ocean Dr", "Bridge Rd", "Mill Lane")
US_STREETS = ("Main St", "Oak Ave", "Maple St", "Elm St", "Washington Ave", "Park Ave", "2nd St", "Lake Dr")
BRANDS = ("Smile", "Bright", "Harbour", "Gentle", "Family", "Pure", "Coastal", "City", "Parkside", "Riverside")
SUFFIXES = ("Dental", "Dental Care", "Dentistry", "Dental Studio")
REFERRALS = ("Google", "Friend/Family", "Walk-in", "Health Fund", "Existing Patient", "Facebook", "Letterbox")
CANCEL_REASONS = ("Patient unwell", "Work commitments", "Rescheduled by patient", "Transport", "Family emergency")
NOTE_FINDINGS = ("No caries detected.", "Mild generalised gingivitis.", "Calculus lower anteriors.",
                 "Early caries noted, monitor.", "Good oral hygiene.", "Bleeding on probing UR quadrant.",
                 "Wear facets on canines, discussed bruxism.")
NOTE_ADVICE = ("OHI given, floss daily.", "Advised electric toothbrush.", "Reduce sugary drinks.",
               "Fluoride toothpaste reinforced.", "Discussed smoking cessation.")
DOC_KINDS = (
    # (category, mime, file stem, weight)
    ("X-ray", "image/png", "bitewings", 5),
    ("X-ray", "image/png", "periapical", 2),
    ("X-ray", "image/png", "opg", 1),
    ("Consent Form", "application/pdf", "consent", 2),
    ("Medical History", "application/pdf", "medical-history", 2),
    ("Referral", "application/pdf", "referral-letter", 1),
)
TRAVERSAL_PATHS = ("../../../etc/passwd", "../secrets/practice.db", "..\\..\\Windows\\win.ini", "/etc/shadow",
                   "C:\\Users\\Public\\scan.pdf", "xrays/../../../outside.png")

ACTIVE, INACTIVE, ARCHIVED, DECEASED = "Active", "Inactive", "Archived", "Deceased"
CENT = Decimal("0.01")


def _ascii(text: str) -> str:
    """Email-safe lower-case ASCII of a name (`Nguyễn` → `nguyen`, `O'Brien` → `obrien`)."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", folded.lower())


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", _ascii(text))


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, 28))


def _years_before(day: date, years: int) -> date:
    return date(day.year - years, day.month, min(day.day, 28))


# -- documents: small real files built with the standard library --------------------------------


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


_SHADES = {base: bytes((base + (i & 0x3F)) & 0xFF for i in range(256)) for base in range(256)}
"""Byte maps that turn noise into a band of grey around `base` (one `bytes.translate` per PNG row)."""


def make_png(rng: random.Random, width: int = 48, height: int = 32, comment: str = "", level: int = 9) -> bytes:
    """A valid 8-bit greyscale PNG: a soft gradient with noise, like a tiny radiograph."""
    noise = rng.randbytes(width * height)
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter: none
        base = 40 + (y * 150) // max(1, height - 1)
        rows += noise[y * width:(y + 1) * width].translate(_SHADES[base])
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    text = _png_chunk(b"tEXt", b"Comment\x00" + comment.encode("latin-1", "replace")) if comment else b""
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + text
            + _png_chunk(b"IDAT", zlib.compress(bytes(rows), level)) + _png_chunk(b"IEND", b""))


def make_large_png(rng: random.Random, minimum: int = LARGE_FILE_BYTES, comment: str = "") -> bytes:
    """A valid PNG of at least `minimum` bytes (stored, incompressible noise): a CBCT-sized export."""
    width = 4096
    height = minimum // (width + 1) + 1
    while True:
        raw = b"".join(b"\x00" + rng.randbytes(width) for _ in range(height))
        header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
        text = _png_chunk(b"tEXt", b"Comment\x00" + comment.encode("latin-1", "replace")) if comment else b""
        data = (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + text
                + _png_chunk(b"IDAT", zlib.compress(raw, 0)) + _png_chunk(b"IEND", b""))
        if len(data) >= minimum:
            return data
        height += 16


def _pdf_text(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1").replace("\\", "\\\\").replace("(", "\\(") \
        .replace(")", "\\)")


def make_pdf(lines: list[str]) -> bytes:
    """A minimal valid one-page PDF (catalog, pages, page, font, content stream, xref, trailer)."""
    content_lines = ["BT", "/F1 12 Tf", "72 760 Td", "14 TL"]
    for line in lines:
        content_lines.append(f"({_pdf_text(line)}) '")
    content_lines.append("ET")
    stream = "\n".join(content_lines).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> "
        b"/Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


# -- writers -------------------------------------------------------------------------------------


class _Table:
    """One export file being written: the title row, the spec's header, then typed rows as they come.

    Values are typed (date, datetime, Decimal, int, bool, str, None) and rendered per format: CSV gets the
    region's text forms, XLSX gets date and number cells, as Excel-saved reports do. A `str` is written
    as is, which is how injected dirt (`31/02/1985`, `n/a`) reaches the file untouched.
    """

    def __init__(self, spec: ObjectSpec, folder: Path, fmt: str, region: RegionProfile) -> None:
        self.spec = spec
        self.names = spec.column_names
        self.fmt = fmt
        self.region = region
        self.rows = 0
        self.true, self.false = BOOL_STYLE.get(spec.name, YES_NO)
        self._dates: dict[date, str] = {}
        self._times: dict[tuple[int, int], str] = {}
        date_format, time_format = region.date_format, region.datetime_format[len(region.date_format) + 1:]
        assert region.datetime_format == f"{date_format} {time_format}"
        self._time_format = time_format
        self._render = {str: _same, datetime: self._datetime, date: self._date, Decimal: _decimal,
                        bool: lambda v: self.true if v else self.false, int: str, type(None): lambda v: ""}
        self.path = folder / f"{spec.name}.{fmt}"
        banner = BANNERS.get(spec.name, f"Core Practice - {spec.name.replace('_', ' ').title()} Report")
        if fmt == "csv":
            self._handle = self.path.open("w", encoding="utf-8-sig", newline="", buffering=1 << 20)
            self._csv = csv.writer(self._handle, lineterminator="\r\n")
            self._csv.writerow([banner])
            self._csv.writerow(self.names)
        else:
            import openpyxl

            self._book = openpyxl.Workbook(write_only=True)
            self._sheet = self._book.create_sheet(title=spec.name[:31])
            self._sheet.append([banner])
            self._sheet.append(list(self.names))

    def _date(self, value: date) -> str:
        text = self._dates.get(value)
        if text is None:  # a few thousand distinct days: format each once
            text = self._dates[value] = value.strftime(self.region.date_format)
        return text

    def _datetime(self, value: datetime) -> str:
        clock = (value.hour, value.minute)
        text = self._times.get(clock)
        if text is None:
            text = self._times[clock] = value.strftime(self._time_format)
        return f"{self._date(value.date())} {text}"

    def _cell(self, value: Any) -> Any:
        if isinstance(value, bool):
            return self.true if value else self.false
        if isinstance(value, Decimal):
            return float(value)
        return value

    def write(self, row: dict[str, Any]) -> None:
        self.rows += 1
        if self.fmt == "csv":
            render = self._render
            self._csv.writerow([render[type(value)](value) for value in map(row.get, self.names)])
        else:
            cell = self._cell
            self._sheet.append([cell(row.get(name)) for name in self.names])

    def close(self, stamp: datetime) -> None:
        if self.fmt == "csv":
            self._handle.close()
            return
        self._book.properties.creator = "Core Practice"
        self._book.properties.created = stamp
        self._book.save(self.path)
        _normalise_xlsx(self.path, stamp)


def _same(value: str) -> str:
    return value


def _decimal(value: Decimal) -> str:
    return f"{value:.2f}"


def _normalise_xlsx(path: Path, stamp: datetime) -> None:
    """Make an openpyxl file byte-identical across runs: fixed zip entry times and document timestamps."""
    when = (stamp.year, stamp.month, stamp.day, 0, 0, 0)
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=when)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            if info.filename == "docProps/core.xml":
                xml = zin.read(info).decode("utf-8")
                xml = re.sub(r"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)", rf"\g<1>{iso}\g<2>", xml)
                zout.writestr(entry, xml.encode("utf-8"))
                continue
            with zin.open(info) as src, zout.open(entry, "w", force_zip64=True) as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
    os.replace(tmp, path)


class _FileWriter:
    """Writes document files on two background threads while the generator keeps producing rows.

    Creating a file costs a few hundred microseconds of kernel time on most filesystems; a group export
    has a hundred thousand documents, so the writes overlap with row generation instead of adding to it.
    The queue is bounded, so memory stays flat; the first error is raised at `close`.
    """

    def __init__(self, workers: int = 2, depth: int = 256) -> None:
        import queue
        import threading

        self._queue: queue.Queue[tuple[Path, bytes] | None] = queue.Queue(maxsize=depth)
        self._error: BaseException | None = None
        self._threads = [threading.Thread(target=self._work, daemon=True) for _ in range(workers)]
        for thread in self._threads:
            thread.start()

    def _work(self) -> None:
        while (item := self._queue.get()) is not None:
            path, content = item
            try:
                path.write_bytes(content)
            except BaseException as error:  # noqa: BLE001 - handed to the caller in close()
                self._error = self._error or error

    def write(self, path: Path, content: bytes) -> None:
        if self._error:
            raise self._error
        self._queue.put((path, content))

    def close(self) -> None:
        for _ in self._threads:
            self._queue.put(None)
        for thread in self._threads:
            thread.join()
        if self._error:
            raise self._error


# -- dirt ----------------------------------------------------------------------------------------


class _Dirt:
    """Decides where each kind of dirt goes and writes the manifest line for every fault injected.

    Decisions use their own random stream, so turning dirt on does not reshuffle the clean data. A kind
    that has not occurred after a few of its opportunities is forced once, so that every kind shows up in
    a 200-patient export whatever the seed (the validation tests rely on it).
    """

    def __init__(self, level: str, seed: int, part: Path) -> None:
        self.level = level
        self.factor = {"none": 0.0, "realistic": 1.0, "heavy": HEAVY_FACTOR}[level]
        self.rng = random.Random(f"dirt:{seed}")
        self.seen: Counter[str] = Counter()
        self.chances: Counter[str] = Counter()
        kinds = sorted(DIRT_KINDS)
        self.force_after = {kind: 3 + index for index, kind in enumerate(kinds)}
        self.large_files = {"none": 0, "realistic": 1, "heavy": 2}[level]
        self._handle = part.open("w", encoding="utf-8", newline="\n") if level != "none" else None

    @property
    def on(self) -> bool:
        return self.level != "none"

    def roll(self, kind: str) -> bool:
        """One opportunity for `kind`; True means the caller must inject it (and record it)."""
        if not self.on:
            return False
        chance = self.chances[kind]
        self.chances[kind] += 1
        if self.rng.random() < min(0.9, REALISTIC_RATES[kind] * self.factor):
            return True
        return self.seen[kind] == 0 and chance >= self.force_after[kind]

    def want_large_file(self) -> bool:
        if self.seen["large_file"] >= self.large_files:
            return False
        self.chances["large_file"] += 1
        return self.chances["large_file"] >= 2 + 40 * self.seen["large_file"]

    def record(self, kind: str, source_key: str) -> None:
        assert self._handle is not None
        spec = DIRT_KINDS[kind]
        self.seen[kind] += 1
        line = {"kind": "dirt", "dirt": kind, "object": spec.object, "source_key": source_key, "column": spec.column}
        self._handle.write(json.dumps(line, ensure_ascii=False) + "\n")

    def close(self) -> None:
        if self._handle:
            self._handle.close()


# -- the group -----------------------------------------------------------------------------------


@dataclass
class _Provider:
    provider_id: str
    first_name: str
    last_name: str
    type: str

    @property
    def report_name(self) -> str:
        """`Last, First`: how Core Practice reports print a practitioner."""
        return f"{self.last_name}, {self.first_name}"


@dataclass
class _Practice:
    practice_id: str
    name: str
    locality: Locality
    fee_factor: Decimal
    providers: dict[str, list[_Provider]] = field(default_factory=dict)

    def pick(self, rng: random.Random, *types: str) -> _Provider:
        for kind in types:
            if self.providers.get(kind):
                return rng.choice(self.providers[kind])
        return rng.choice(self.providers["Dentist"])


@dataclass
class _Person:
    first: str
    middle: str
    last: str
    sex: str
    dob: date
    child: bool


@dataclass
class _Visit:
    """One planned appointment; planned before the patient row is written, so its summary dates are true."""

    day: date
    kind: str  # new | recall | restorative
    practice: _Practice
    status: str
    codes: list[tuple[str, str]] = field(default_factory=list)  # (code, tooth)
    provider: _Provider | None = None
    plan_decision: str | None = None  # a recall that found work: Declined | Proposed | Accepted
    follow_up: _Visit | None = None  # the restorative visit of an accepted plan

    @property
    def future(self) -> bool:
        return self.status in ("Scheduled", "Confirmed")


class _Generator:
    def __init__(self, out_dir: Path, *, region: str, practices: int, patients: int, seed: int, fmt: str,
                 dirt: str, export_date: date) -> None:
        self.out = out_dir
        self.region = REGIONS[region]
        self.practice_count = practices
        self.patient_count = patients
        self.seed = seed
        self.fmt = fmt
        self.export_date = export_date
        self.last_day = export_date - timedelta(days=1)
        self.rng = random.Random(seed)
        self.docs_dir = out_dir / DOCUMENTS_DIR
        out_dir.mkdir(parents=True, exist_ok=True)
        self.dirt = _Dirt(dirt, seed, out_dir / (MANIFEST_NAME + ".part"))
        self.ids: Counter[str] = Counter()
        self.identities: set[tuple[str, str, date]] = set()
        self.first_names = (FIRST_FEMALE + REGION_FIRST.get(region, ((), ()))[0],
                            FIRST_MALE + REGION_FIRST.get(region, ((), ()))[1])
        self.last_names = LAST_NAMES + REGION_LAST.get(region, ())
        self.tables: dict[str, _Table] = {}
        self.practices: list[_Practice] = []
        self.localities_by_state: dict[str, list[Locality]] = {}
        for place in self.region.localities:
            self.localities_by_state.setdefault(place.state, []).append(place)
        self.zero_localities = [p for p in self.region.localities if p.postcode.startswith("0")]
        self.dangling = 0
        self.doc_folders: set[Path] = set()
        self.files = _FileWriter()
        self.codes_by_kind: dict[str, list[str]] = {}
        for code, procedure in self.region.procedures.items():
            self.codes_by_kind.setdefault(procedure.kind, []).append(code)

    # ids ---------------------------------------------------------------------------------------

    def next_id(self, prefix: str, width: int) -> str:
        self.ids[prefix] += 1
        return f"{prefix}{self.ids[prefix]:0{width}d}"

    # time helpers ------------------------------------------------------------------------------

    def at(self, day: date, earliest: int = 8 * 60, latest: int = 17 * 60) -> datetime:
        minutes = self.rng.randrange(earliest, latest, 15)
        return datetime.combine(day, time(minutes // 60, minutes % 60))

    def between(self, start: date, end: date) -> date:
        if end <= start:
            return start
        return start + timedelta(days=self.rng.randint(0, (end - start).days))

    def stamp_after(self, moment: datetime, days: int) -> datetime:
        """A later modification time, never after the export."""
        later = moment + timedelta(days=self.rng.randint(0, days), minutes=self.rng.randint(0, 240))
        ceiling = datetime.combine(self.last_day, time(18, 0))
        return min(later, ceiling) if later > moment else moment

    # run ---------------------------------------------------------------------------------------

    def run(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        if self.docs_dir.exists():
            shutil.rmtree(self.docs_dir)
        self.docs_dir.mkdir()
        for name in EXPORT_SPEC:
            for fmt in FORMATS:
                (self.out / f"{name}.{fmt}").unlink(missing_ok=True)
        self.tables = {name: _Table(spec, self.out, self.fmt, self.region) for name, spec in EXPORT_SPEC.items()}
        try:
            self.write_practices()
            self.write_workflows()
            self.write_patients()
        finally:
            self.files.close()
            stamp = datetime.combine(self.export_date, time(0, 0))
            for table in self.tables.values():
                table.close(stamp)
            self.dirt.close()
        self.write_manifest()

    def write_manifest(self) -> None:
        header = {"kind": "header", "seed": self.seed, "region": self.region.code, "dirt": self.dirt.level,
                  "format": self.fmt, "export_date": self.export_date.isoformat(),
                  "counts": {name: table.rows for name, table in self.tables.items()}}
        part = self.out / (MANIFEST_NAME + ".part")
        with (self.out / MANIFEST_NAME).open("w", encoding="utf-8", newline="\n") as handle:
            handle.write(json.dumps(header, ensure_ascii=False) + "\n")
            if part.exists():
                with part.open(encoding="utf-8") as source:
                    shutil.copyfileobj(source, handle, 1 << 20)
        part.unlink(missing_ok=True)

    # practices and providers -------------------------------------------------------------------

    def write_practices(self) -> None:
        rng, region = self.rng, self.region
        group_left = 0
        group_name = domain = ""
        streets = US_STREETS if region.code == "US" else STREETS
        for index in range(1, self.practice_count + 1):
            if group_left == 0:
                group_left = rng.choice((1, 1, 2, 3))
                brand = rng.choice(BRANDS)
                group_name = f"{brand} Dental Group" if group_left > 1 else ""
                domain = f"{brand.lower()}dental{index}.{region.website_tld}"
            group_left -= 1
            place = rng.choice(region.localities)
            practice = _Practice(f"PR{index:04d}", f"{brand} {rng.choice(SUFFIXES)} {place.suburb}",
                                 place, Decimal(rng.choice(("0.90", "0.95", "1.00", "1.05", "1.10", "1.15"))))
            self.practices.append(practice)
            created = self.at(date(rng.randint(2008, 2020), rng.randint(1, 12), rng.randint(1, 28)))
            self.tables["practices"].write({
                "practice_id": practice.practice_id,
                "practice_name": practice.name,
                "group_name": group_name,
                "address_line1": f"{rng.randint(1, 400)} {rng.choice(streets)}",
                "address_line2": rng.choice(("", "", f"Suite {rng.randint(1, 20)}", f"Level {rng.randint(1, 5)}")),
                "city": place.suburb,
                "state": place.state,
                "postcode": place.postcode,
                "country": rng.choice((region.code, region.country_name)),
                "phone": e164(region, landline_national(region, rng, place.state)),
                "email": f"reception.{_slug(place.suburb)}{index}@{domain}",
                "website": f"https://www.{domain}",
                "created_at": created,
                "updated_at": self.stamp_after(datetime.combine(self.last_day - timedelta(days=400), time(9)), 390),
            })
        self.write_providers()

    def write_providers(self) -> None:
        rng, region = self.rng, self.region
        plan: list[tuple[_Practice, str]] = []
        for practice in self.practices:
            plan += [(practice, "Dentist")] * rng.randint(1, 3)
            plan += [(practice, "Hygienist")] * rng.randint(0, 2)
            for kind, chance in (("Oral Health Therapist", 0.4), ("Therapist", 0.25), ("Prosthetist", 0.1),
                                 ("Specialist", 0.2)):
                if rng.random() < chance:
                    plan.append((practice, kind))
        present = {kind for _, kind in plan}
        for index, kind in enumerate(k for k in EXPORT_SPEC["providers"].column("provider_type").values or ()
                                     if k not in present):
            plan.append((self.practices[index % len(self.practices)], kind))
        emails: set[str] = set()
        for practice, kind in plan:
            female = rng.random() < 0.55
            first = rng.choice(self.first_names[0] if female else self.first_names[1])
            last = rng.choice(self.last_names)
            provider = _Provider(self.next_id("PV", 5), first, last, kind)
            practice.providers.setdefault(kind, []).append(provider)
            doctor = kind in ("Dentist", "Specialist")
            domain = f"{_slug(practice.name)}.{region.website_tld}"
            email = f"{_ascii(first)}.{_ascii(last)}@{domain}"
            if email in emails:
                email = f"{_ascii(first)}.{_ascii(last)}{provider.provider_id[2:]}@{domain}"
            emails.add(email)
            created = self.at(date(rng.randint(2010, 2022), rng.randint(1, 12), rng.randint(1, 28)))
            self.tables["providers"].write({
                "provider_id": provider.provider_id,
                "practice_id": practice.practice_id,
                "title": "Dr" if doctor else rng.choice(("Ms", "Mr", "")),
                "first_name": first,
                "last_name": last,
                "provider_type": kind,
                "specialization": rng.choice(region.specializations) if kind == "Specialist" else "",
                "registration_number": self.registration(),
                "email": email,
                "phone": e164(region, mobile_national(region, rng, practice.locality.state)),
                "active": True,
                "created_at": created,
                "updated_at": self.stamp_after(created, 900),
            })

    def registration(self) -> str:
        rng = self.rng
        if self.region.code == "AU":
            return f"DEN{rng.randint(1, 99999999):010d}"  # AHPRA: DEN + 10 digits
        if self.region.code == "NZ":
            return f"{rng.randint(10000, 99999)}"
        base = f"{rng.choice('12')}{rng.randint(0, 99999999):08d}"  # NPI: 9 digits + Luhn over 80840 prefix
        digits = [int(d) for d in "80840" + base]
        total = 0
        for position, digit in enumerate(reversed(digits)):
            if position % 2 == 0:
                digit *= 2
                digit -= 9 if digit > 9 else 0
            total += digit
        return base + str((10 - total % 10) % 10)

    def write_workflows(self) -> None:
        rng = self.rng
        flows = (
            ("Recall reminder", "Recall", "recall_due_in_days=14",
             [{"action": "send_sms", "template": "recall_due"}, {"action": "send_email", "template": "recall_due"}]),
            ("Appointment reminder", "Appointment Reminder", "appointment_in_hours=48",
             [{"action": "send_sms", "template": "appointment_confirm", "reply": "Y/N"}]),
            ("Health fund expiry", "Insurance Expiry", "health_fund_renewal_in_days=30",
             [{"action": "send_email", "template": "fund_expiry"}]),
            ("Birthday greeting", "Birthday", "birthday",
             [{"action": "send_sms", "template": "birthday"}]),
            ("Post-treatment follow-up", "Follow-up", "appointment_completed_type=Restorative",
             [{"action": "wait", "days": 2}, {"action": "send_sms", "template": "post_op_check"}]),
            ("Overdue account", "Billing", "invoice_overdue_days=30",
             [{"action": "send_email", "template": "statement"}, {"action": "task", "assignee": "reception"}]),
        )
        for name, kind, trigger, steps in flows:
            created = self.at(date(rng.randint(2016, 2023), rng.randint(1, 12), rng.randint(1, 28)))
            self.tables["workflows"].write({
                "workflow_id": self.next_id("WF", 3), "name": name, "kind": kind, "trigger": trigger,
                "steps": json.dumps(steps, separators=(",", ":")), "active": rng.random() < 0.85,
                "created_at": created, "updated_at": self.stamp_after(created, 600),
            })

    # patients ----------------------------------------------------------------------------------

    def write_patients(self) -> None:
        made = households = 0
        while made < self.patient_count:
            size = min(self.rng.choices((1, 2, 3, 4, 5), weights=(45, 22, 13, 14, 6))[0], self.patient_count - made)
            self.household(size, households)
            made += size
            households += 1

    def person(self, last: str, sex: str, age_from: int, age_to: int) -> _Person:
        rng = self.rng
        while True:
            first = rng.choice(self.first_names[0] if sex == "Female" else self.first_names[1])
            days_old = rng.randint(age_from * 365, age_to * 365 + 364)
            dob = self.export_date - timedelta(days=days_old)
            if (first.lower(), last.lower(), dob) not in self.identities:  # unplanned duplicates would be dirt
                self.identities.add((first.lower(), last.lower(), dob))
                middle = rng.choice(self.first_names[0] if sex == "Female" else self.first_names[1])
                return _Person(first, middle if rng.random() < 0.45 else "", last, sex, dob, age_to < 18)

    def household(self, size: int, number: int) -> None:
        rng, dirt, region = self.rng, self.dirt, self.region
        practice = self.practices[rng.randrange(len(self.practices))]
        same_state = self.localities_by_state.get(practice.locality.state) or list(region.localities)
        place = rng.choice(same_state) if rng.random() < 0.85 else rng.choice(region.localities)
        if (dirt.on and dirt.seen["postcode_lost_zero"] == 0 and self.zero_localities
                and number >= dirt.force_after["postcode_lost_zero"]):
            place = rng.choice(self.zero_localities)  # make sure the Excel-mangled postcode can occur
        last = rng.choice(self.last_names)
        head_sex = rng.choice(("Female", "Male"))
        family: list[_Person] = []
        if size >= 3:
            family.append(self.person(last, head_sex, 30, 55))
        else:
            family.append(self.person(last, head_sex, 20, 88))
        head = family[0]
        head_age = (self.export_date - head.dob).days // 365
        if size >= 2:
            parent_and_child = size == 2 and head_age >= 38 and rng.random() < 0.3
            if not parent_and_child:
                partner_last = last if rng.random() < 0.75 else rng.choice(self.last_names)
                partner_sex = ("Male" if head_sex == "Female" else "Female") if rng.random() < 0.92 else head_sex
                low, high = max(20, head_age - 6), min(90, head_age + 6)
                family.append(self.person(partner_last, partner_sex, low, high))
        while len(family) < size:
            oldest = max(1, min(17, head_age - 20))
            family.append(self.person(last, rng.choice(("Female", "Male")), 1, oldest))
        street = f"{rng.randint(1, 250)} {rng.choice(US_STREETS if region.code == 'US' else STREETS)}"
        unit = f"Unit {rng.randint(1, 24)}" if rng.random() < 0.12 else ""
        home = landline_national(region, rng, place.state) if rng.random() < 0.45 else ""
        fund = rng.choice(region.payers) if rng.random() < {"AU": 0.55, "NZ": 0.3, "US": 0.65}[region.code] else ""
        fund_no = f"{rng.randint(10000000, 99999999)}" if fund else ""
        medicare = self.medicare() if region.code == "AU" else ""
        household = {"practice": practice, "place": place, "street": street, "unit": unit, "home": home,
                     "fund": fund, "fund_no": fund_no, "medicare": medicare, "size": size}
        share = size >= 2 and dirt.roll("shared_family_email")
        head_id = ""
        head_email = ""
        for index, member in enumerate(family):
            patient_id, email = self.patient(member, household, head_id=head_id, is_head=index == 0,
                                             shared_email=head_email if share and index > 0 else None,
                                             share_own=share and index == 0)
            if index == 0:
                head_id, head_email = patient_id, email

    def medicare(self) -> str:
        rng = self.rng
        digits = [rng.randint(2, 6)] + [rng.randint(0, 9) for _ in range(7)]
        check = sum(d * w for d, w in zip(digits, (1, 3, 7, 9, 1, 3, 7, 9), strict=True)) % 10
        number = "".join(map(str, digits)) + str(check) + str(rng.randint(1, 9))
        return f"{number[:4]} {number[4:9]} {number[9]}"

    def patient(self, person: _Person, household: dict[str, Any], *, head_id: str, is_head: bool,
                shared_email: str | None, share_own: bool) -> tuple[str, str]:
        """Write one patient with all their rows; return (patient_id, email as written)."""
        rng, dirt, region = self.rng, self.dirt, self.region
        patient_id = self.next_id("PT", 7)
        practice: _Practice = household["practice"]
        place: Locality = household["place"]
        single = household["size"] == 1
        keys: list[str] = []  # dirt kinds to record on this row, in order

        # status and history
        status = rng.choices((ACTIVE, INACTIVE, DECEASED), weights=(58, 40, 2))[0]
        if person.child and status == DECEASED:
            status = INACTIVE
        orphan = single and dirt.roll("orphan_patient")
        second = None
        if not orphan and len(self.practices) > 1 and rng.random() < 0.04:
            second = rng.choice([p for p in self.practices if p is not practice])
        visits, interval = ([], 6) if orphan else self.plan_visits(person, status, practice, second)
        past = sorted(v.day for v in visits if v.status == "Completed" and v.day <= self.last_day)
        if status == INACTIVE and dirt.roll("archived_patient"):
            status = ARCHIVED
            keys.append("archived_patient")

        # email
        domain = rng.choice(region.email_domains)
        number = int(patient_id[2:])
        local = f"{_ascii(person.first)}.{_ascii(person.last)}"
        email: str = f"{local}{number}@{domain}"
        if shared_email is not None:
            email = shared_email
            keys.append("shared_family_email")
        elif share_own:
            keys.append("shared_family_email")
        elif dirt.roll("missing_email"):
            email = ""
            keys.append("missing_email")
        elif dirt.roll("na_email"):
            email = rng.choice(("n/a", "N/A"))
            keys.append("na_email")
        elif dirt.roll("malformed_email"):
            email = rng.choice((f"{local}{number}@", f"{local}{number} at {domain}", f"{local}{number}@example",
                                f"{local}{number}@@{domain}"))
            keys.append("malformed_email")

        # phones
        mobile_digits = mobile_national(region, rng, place.state)
        mobile = e164(region, mobile_digits) if not person.child or rng.random() < 0.3 else ""
        if mobile and dirt.roll("local_phone_format"):
            mobile = local_format(region, dirt.rng, mobile_digits)
            keys.append("local_phone_format")
        work = e164(region, landline_national(region, rng, place.state)) if rng.random() < 0.12 else ""

        # address
        city, state, postcode, country = place.suburb, place.state, place.postcode, region.code
        if single and dirt.roll("international_address"):
            country, foreign = dirt.rng.choice(region.foreign)
            city, state, postcode = foreign.suburb, "", foreign.postcode
            keys.append("international_address")
        else:
            if dirt.roll("invalid_state"):
                state = dirt.rng.choice(region.bad_states)
                keys.append("invalid_state")
            if postcode.startswith("0") and dirt.roll("postcode_lost_zero"):
                postcode = postcode.lstrip("0")
                keys.append("postcode_lost_zero")
        postcode_cell: Any = postcode
        if "postcode_lost_zero" in keys and self.fmt == "xlsx":
            postcode_cell = int(postcode)  # what Excel stored after eating the zero

        # dates
        first_visit = past[0] if past else None
        last_visit = past[-1] if past else None
        registered = first_visit - timedelta(days=rng.randint(0, 20)) if first_visit else \
            self.between(self.last_day - timedelta(days=400), self.last_day)
        registered = max(registered, person.dob)
        created: Any = self.at(registered)
        updated = self.stamp_after(datetime.combine(last_visit or registered, time(17, 30)), 30)
        if updated < created:
            updated = created
        if dirt.roll("future_date"):
            created = self.at(self.export_date + timedelta(days=dirt.rng.randint(30, 400)))
            keys.append("future_date")
        dob: Any = person.dob
        if dirt.roll("impossible_date"):
            dob = self.impossible_dob(person.dob)
            keys.append("impossible_date")
        deleted = dirt.roll("soft_deleted_patient")
        if deleted:
            keys.append("soft_deleted_patient")

        recall = _add_months(last_visit, interval) if status == ACTIVE and last_visit else None
        preferred = practice.pick(rng, "Dentist").provider_id if not orphan and rng.random() < 0.7 else ""
        sex: str = person.sex
        if dirt.on and dirt.rng.random() < 0.03:
            sex = sex[0]  # `M`/`F`: a valid alias some exports write
        adult = not person.child
        title = ("Mr" if person.sex == "Male" else rng.choice(("Mrs", "Ms", "Miss"))) if adult else \
            ("Miss" if person.sex == "Female" and rng.random() < 0.3 else "")
        if adult and rng.random() < 0.02:
            title = "Dr"
        self.tables["patients"].write({
            "patient_id": patient_id,
            "patient_no": str(10000 + number),
            "title": title,
            "first_name": person.first,
            "middle_name": person.middle,
            "last_name": person.last,
            "preferred_name": NICKNAMES.get(person.first, "") if rng.random() < 0.3 else "",
            "date_of_birth": dob,
            "sex": sex,
            "email": email,
            "mobile_phone": mobile,
            "home_phone": e164(region, household["home"]) if household["home"] else "",
            "work_phone": work if adult else "",
            "first_address": household["street"],
            "address_line2": household["unit"],
            "patient_city": city,
            "patient_state": state,
            "patient_postal_code": postcode_cell,
            "patient_country": country,
            "practice_id": "" if orphan else practice.practice_id,
            "family_head_id": head_id or patient_id,
            "family_role": "Head" if is_head else "Member",
            "status": status,
            "is_deleted": deleted,
            "preferred_provider_id": preferred,
            "health_fund_name": household["fund"],
            "health_fund_member_no": household["fund_no"],
            "medicare_no": household["medicare"] if household["medicare"] and rng.random() < 0.6 else "",
            "recall_due_date": recall,
            "sms_opt_in": rng.random() < 0.85,
            "email_opt_in": bool(email) and rng.random() < 0.7,
            "referral_source": rng.choice(REFERRALS),
            "first_visit_date": first_visit,
            "last_visit_date": last_visit,
            "created_at": created,
            "updated_at": updated,
        })
        for kind in keys:
            dirt.record(kind, patient_id)
        if orphan:
            dirt.record("orphan_patient", patient_id)
        else:
            self.write_links(patient_id, practice, second, visits)
            self.write_history(patient_id, person, household, visits)
        if adult and not orphan and dob == person.dob and dirt.roll("duplicate_patient"):
            self.duplicate(person, household, practice)
        for kind, table in (("dangling_appointment_patient", "appointments"),
                            ("dangling_note_patient", "clinical_notes"),
                            ("dangling_invoice_patient", "invoices")):
            if not orphan and past and dirt.roll(kind):
                self.dangling_row(kind, table, practice, past[-1])
        return patient_id, email

    def impossible_dob(self, real: date) -> str:
        """A birth date that cannot be: 31 February, the 1850s, or after the export."""
        rng, fmt = self.dirt.rng, self.region.date_format
        choice = rng.randrange(3)
        if choice == 0:
            day_first = fmt.startswith("%d")
            return f"31/02/{real.year}" if day_first else f"02/31/{real.year}"
        if choice == 1:
            return date(1850 + rng.randint(0, 40), real.month, min(real.day, 28)).strftime(fmt)
        return (self.export_date + timedelta(days=rng.randint(30, 3000))).strftime(fmt)

    def duplicate(self, person: _Person, household: dict[str, Any], practice: _Practice) -> None:
        """The same person registered again under a new id (new email, new phone): the second id is the dirt."""
        rng, region = self.dirt.rng, self.region
        patient_id = self.next_id("PT", 7)
        number = int(patient_id[2:])
        place: Locality = household["place"]
        registered = self.between(self.last_day - timedelta(days=700), self.last_day)
        created = datetime.combine(registered, time(rng.randint(8, 16), rng.choice((0, 15, 30, 45))))
        self.tables["patients"].write({
            "patient_id": patient_id, "patient_no": str(10000 + number), "first_name": person.first,
            "last_name": person.last, "date_of_birth": person.dob, "sex": person.sex,
            "email": f"{_ascii(person.first)}{number}@{rng.choice(region.email_domains)}",
            "mobile_phone": e164(region, mobile_national(region, rng, place.state)),
            "first_address": household["street"], "patient_city": place.suburb, "patient_state": place.state,
            "patient_postal_code": place.postcode, "patient_country": region.code,
            "practice_id": practice.practice_id, "family_head_id": patient_id, "family_role": "Head",
            "status": ACTIVE, "is_deleted": False, "sms_opt_in": True, "email_opt_in": False,
            "referral_source": "Walk-in", "created_at": created, "updated_at": created,
        })
        self.tables["patient_practices"].write({
            "patient_id": patient_id, "practice_id": practice.practice_id, "is_primary": True,
        })
        self.dirt.record("duplicate_patient", patient_id)

    def dangling_row(self, kind: str, table: str, practice: _Practice, day: date) -> None:
        """A row whose patient is not in the export (merged or purged in Core Practice before the export)."""
        rng = self.dirt.rng
        self.dangling += 1
        ghost = f"PT9{self.dangling:06d}"
        provider = practice.pick(rng, "Dentist")
        start = datetime.combine(day, time(rng.randint(8, 16), rng.choice((0, 15, 30, 45))))
        if table == "appointments":
            key = self.next_id("AP", 8)
            self.tables[table].write({
                "appointment_id": key, "patient_id": ghost, "provider_id": provider.provider_id,
                "practice_id": practice.practice_id, "start_at": start, "end_at": start + timedelta(minutes=30),
                "appointment_type": "Check-up & Clean", "status": "Completed", "chair": f"{self.region.chair_word} 1",
                "booked_online": False, "created_at": start - timedelta(days=20), "updated_at": start,
            })
        elif table == "clinical_notes":
            key = self.next_id("NT", 8)
            self.tables[table].write({
                "note_id": key, "patient_id": ghost, "provider_id": provider.provider_id, "note_type": "Clinical",
                "note_date": start, "body": "Phone call: patient asked about account. " + rng.choice(NOTE_ADVICE),
                "created_at": start, "updated_at": start,
            })
        else:
            key = self.next_id("IN", 8)
            code = self.region.recall_adult[0]
            procedure = self.region.procedures[code]
            fee = self.fee(practice, procedure)
            self.tables["invoice_lines"].write({
                "line_id": self.next_id("IL", 9), "invoice_id": key, "item_code": code,
                "description": procedure.description, "quantity": 1, "unit_fee": fee, "line_total": fee,
            })
            self.tables[table].write({
                "invoice_id": key, "invoice_no": f"INV-{key[2:]}", "patient_id": ghost,
                "provider_id": provider.provider_id, "practice_id": practice.practice_id, "invoice_date": day,
                "due_date": day + timedelta(days=14), "total": fee, "amount_paid": Decimal("0.00"), "balance": fee,
                "status": "Overdue" if day + timedelta(days=14) < self.export_date else "Outstanding",
                "currency": self.region.currency, "created_at": start, "updated_at": start,
            })
        self.dirt.record(kind, key)

    # visits ------------------------------------------------------------------------------------

    def plan_visits(self, person: _Person, status: str, practice: _Practice,
                    second: _Practice | None) -> tuple[list[_Visit], int]:
        """Recalls every 6-12 months (some patients every 2 years; field research §2.7), a new-patient exam
        first, a restorative visit where a recall found work and the plan was accepted, and for most active
        patients the next recall already booked. Returns the visits and the recall interval in months."""
        rng = self.rng
        interval = rng.choices((6, 12, 24), weights=(55, 25, 20))[0]
        earliest = max(person.dob + timedelta(days=730), _years_before(self.export_date, 7))
        if status == ACTIVE:
            end = self.last_day
            begin = self.between(earliest, self.last_day - timedelta(days=30))
        else:
            end = self.last_day - timedelta(days=rng.randint(540, 1800))
            if end <= earliest:
                end = min(earliest + timedelta(days=rng.randint(30, 200)), self.last_day - timedelta(days=30))
            begin = self.between(earliest, end)
        visits: list[_Visit] = []
        day = begin
        while day <= end and len(visits) < 16:
            if not visits:
                visits.append(_Visit(day, "new", practice, "Completed"))
            else:
                outcome = rng.choices(("Completed", "Cancelled", "No-Show"), weights=(90, 5, 5))[0]
                visits.append(_Visit(day, "recall", practice, outcome))
            day = day + timedelta(days=interval * 30 + rng.randint(-20, 20))
        if second is not None and len(visits) >= 2:
            for visit in visits[2:]:
                if rng.random() < 0.35:
                    visit.practice = second
            visits[1].practice = second
        if status == ACTIVE and rng.random() < 0.7:
            booked = day if day > self.export_date else self.export_date + timedelta(days=rng.randint(3, 120))
            visits.append(_Visit(booked, "recall", practice, self.booked_status(booked)))
        for visit in list(visits):
            if visit.kind != "recall" or visit.status != "Completed" or rng.random() >= 0.18:
                continue
            decision = rng.random()
            visit.plan_decision = "Declined" if decision < 0.12 else "Proposed" if decision < 0.2 else "Accepted"
            if visit.plan_decision == "Accepted":
                when = visit.day + timedelta(days=rng.randint(14, 42))
                visit.follow_up = _Visit(when, "restorative", visit.practice,
                                         "Completed" if when <= self.last_day else self.booked_status(when))
                visits.append(visit.follow_up)
        return visits, interval

    def booked_status(self, day: date) -> str:
        return "Confirmed" if day <= self.export_date + timedelta(days=7) else "Scheduled"

    def fee(self, practice: _Practice, procedure: Procedure) -> Decimal:
        return _money((procedure.fee * practice.fee_factor).quantize(Decimal("1")))

    def write_links(self, patient_id: str, practice: _Practice, second: _Practice | None,
                    visits: list[_Visit]) -> None:
        for location in (practice, second):
            if location is None:
                continue
            seen = [v.day for v in visits if v.practice is location and v.status == "Completed"
                    and v.day <= self.last_day]
            if location is second and not seen:
                continue
            self.tables["patient_practices"].write({
                "patient_id": patient_id, "practice_id": location.practice_id, "is_primary": location is practice,
                "first_seen": min(seen) if seen else None, "last_seen": max(seen) if seen else None,
            })

    def write_history(self, patient_id: str, person: _Person, household: dict[str, Any], visits: list[_Visit]) -> None:
        region = self.region
        recalls = 0
        for visit in visits:  # restorative visits come last, after the recall that planned them
            if visit.kind == "new":
                visit.codes = [(code, "") for code in region.new_patient]
            elif visit.kind == "recall":
                recalls += 1
                codes = list(region.recall_child if person.child else region.recall_adult)
                if recalls % 2 == 0 and not person.child:
                    codes.append(region.bitewings)
                visit.codes = [(code, "") for code in codes]
            self.appointment(patient_id, visit, person, household)
            if visit.plan_decision:
                self.treatment_plan(patient_id, person, visit)

    def treatment_plan(self, patient_id: str, person: _Person, found_at: _Visit) -> None:
        """Work found at a recall: the plan, and the items of its restorative visit when it was accepted."""
        rng, region = self.rng, self.region
        procs, by_kind = region.procedures, self.codes_by_kind
        if person.child:
            if rng.random() < 0.3:
                teeth = rng.sample([t for t in region.teeth_posterior if t in ("16", "26", "36", "46", "3", "14",
                                                                            "19", "30")], 2)
                items = [(by_kind["sealant"][0], tooth) for tooth in teeth]
            else:
                items = [(rng.choice(by_kind["filling"]), rng.choice(region.teeth_primary))]
            name = "Preventive and fillings"
        else:
            roll = rng.random()
            if roll < 0.6:
                teeth = rng.sample(region.teeth_posterior, rng.randint(1, 3))
                items = [(rng.choice(by_kind["filling"]), tooth) for tooth in teeth]
                if rng.random() < 0.2:
                    items.append((rng.choice(by_kind["filling_anterior"]), rng.choice(region.teeth_anterior)))
                name = "Restorative plan"
            elif roll < 0.72:
                tooth = rng.choice(region.teeth_posterior)
                items = [(by_kind["core"][0], tooth), (rng.choice(by_kind["crown"]), tooth)]
                name = f"Crown {tooth}"
            elif roll < 0.84:
                tooth = rng.choice(region.teeth_posterior)
                items = [(rng.choice(by_kind["extraction"]), tooth)]
                name = f"Extraction {tooth}"
            elif roll < 0.94:
                tooth = rng.choice(region.teeth_posterior)
                items = [(code, tooth) for code in by_kind["endo"][-2:]] if region.code != "US" else \
                    [(by_kind["endo"][-1], tooth)]
                name = f"Root canal treatment {tooth}"
            else:
                items = [(by_kind["splint"][0], "")]
                name = "Night guard"
        practice = found_at.practice
        provider = practice.pick(rng, "Dentist")
        if any(procs[c].kind in ("endo", "crown") for c, _ in items) and rng.random() < 0.3:
            provider = practice.pick(rng, "Specialist", "Dentist")
        cost = sum((self.fee(practice, procs[c]) for c, _ in items), Decimal("0.00"))
        plan_id = self.next_id("TP", 7)
        proposed = found_at.day
        accepted = completed = None
        restorative = found_at.follow_up
        if restorative is None:
            status = found_at.plan_decision or "Proposed"
        else:
            restorative.codes, restorative.provider = items, provider
            accepted = min(proposed + timedelta(days=rng.randint(0, 10)), restorative.day - timedelta(days=1),
                           self.last_day)
            if restorative.status == "Completed":
                status, completed = "Completed", restorative.day
            else:
                status = rng.choice(("Accepted", "In-Progress"))
        created = self.at(proposed, 9 * 60, 17 * 60)
        self.tables["treatment_plans"].write({
            "treatment_plan_id": plan_id, "patient_id": patient_id, "provider_id": provider.provider_id,
            "practice_id": practice.practice_id, "plan_name": name, "status": status,
            "procedure_codes": ";".join(c for c, _ in items),
            "procedure_name": procs[items[-1][0]].description,
            "tooth_numbers": ";".join(t for _, t in items if t),
            "estimated_cost": cost, "currency": region.currency, "proposed_date": proposed,
            "accepted_date": accepted, "completed_date": completed, "created_at": created,
            "updated_at": self.stamp_after(datetime.combine(completed or accepted or proposed, time(17)), 5),
        })

    def appointment(self, patient_id: str, visit: _Visit, person: _Person, household: dict[str, Any]) -> None:
        """One appointment; a completed one brings its invoice, payments, claim, note and perhaps a document."""
        rng, region = self.rng, self.region
        practice = visit.practice
        if visit.kind == "restorative" and visit.provider is not None:
            provider, minutes, kind = visit.provider, 60, "Restorative"
        elif visit.kind == "new":
            provider, minutes, kind = practice.pick(rng, "Dentist"), 60, "New Patient Exam"
        else:
            provider = practice.pick(rng, *(("Hygienist", "Oral Health Therapist", "Dentist") if rng.random() < 0.6
                                            else ("Dentist",)))
            if person.child and rng.random() < 0.5:
                provider = practice.pick(rng, "Therapist", "Oral Health Therapist", "Dentist")
            minutes, kind = 45 if provider.type != "Dentist" else 30, "Check-up & Clean"
        start = self.at(visit.day)
        end = start + timedelta(minutes=minutes)
        status_cell = visit.status
        if visit.status == "No-Show" and self.dirt.on and self.dirt.rng.random() < 0.2:
            status_cell = self.dirt.rng.choice(("FTA", "DNA", "No Show"))  # valid aliases real books use
        booked = datetime.combine(min(visit.day - timedelta(days=rng.randint(1, 60)), self.last_day),
                                  time(rng.randint(8, 17), rng.choice((0, 15, 30, 45))))
        updated = booked if visit.future else max(booked, min(end, datetime.combine(self.last_day, time(18))))
        appointment_id = self.next_id("AP", 8)
        codes = visit.codes
        self.tables["appointments"].write({
            "appointment_id": appointment_id, "patient_id": patient_id, "provider_id": provider.provider_id,
            "practice_id": practice.practice_id, "start_at": start, "end_at": end, "appointment_type": kind,
            "procedure_codes": ";".join(dict.fromkeys(c for c, _ in codes)), "status": status_cell,
            "chair": f"{region.chair_word} {rng.randint(1, 4)}",
            "cancellation_reason": rng.choice(CANCEL_REASONS) if visit.status == "Cancelled" else "",
            "booked_online": rng.random() < 0.15, "created_at": booked, "updated_at": updated,
        })
        if visit.status != "Completed":
            return
        self.invoice(patient_id, practice, provider, visit, codes, person, household, end)
        if rng.random() < 0.85:
            self.note(patient_id, provider, appointment_id, kind, end, codes)
        if rng.random() < (0.35 if visit.kind == "new" else 0.06):  # OPG/consent at intake, X-rays later
            self.document(patient_id, end)

    # money -------------------------------------------------------------------------------------

    def invoice(self, patient_id: str, practice: _Practice, provider: _Provider, visit: _Visit,
                codes: list[tuple[str, str]], person: _Person, household: dict[str, Any], moment: datetime) -> str:
        rng, region = self.rng, self.region
        invoice_id = self.next_id("IN", 8)
        total = Decimal("0.00")
        for code, tooth in codes:
            procedure = region.procedures[code]
            quantity = 2 if code == region.bitewings and region.code != "US" else 1
            unit = self.fee(practice, procedure)
            line_total = unit * quantity
            total += line_total
            self.tables["invoice_lines"].write({
                "line_id": self.next_id("IL", 9), "invoice_id": invoice_id, "item_code": code,
                "description": procedure.description, "tooth": tooth, "quantity": quantity, "unit_fee": unit,
                "line_total": line_total,
            })
        day = visit.day
        due = day + timedelta(days=30 if region.code == "US" else 14)
        payments: list[tuple[date, Decimal, str, bool]] = []
        claim: dict[str, Any] | None = None
        void = rng.random() < 0.01
        fund = household["fund"]
        if void:
            pass
        elif person.child and household["medicare"] and region.code == "AU" and rng.random() < 0.5:
            payments.append((day, total, "Medicare", False))  # bulk-billed under the Child Dental Benefits Schedule
            claim = {"payer": "Medicare CDBS", "paid": total, "status": "Paid", "date": day}
        elif fund and rng.random() < 0.9:
            benefit = _money(total * Decimal(rng.choice(("0.45", "0.5", "0.55", "0.6", "0.65", "0.7"))))
            gap = total - benefit
            if region.code == "AU":
                denied = rng.random() < 0.04
                if not denied:
                    payments.append((day, benefit, "HICAPS", False))
                payments.append((day, total if denied else gap, rng.choice(("EFTPOS", "Card")), False))
                claim = {"payer": fund, "paid": Decimal("0.00") if denied else benefit,
                         "status": "Denied" if denied else "Paid", "date": day}
            else:
                payments.append((day, gap, rng.choice(("Card", "Card", "Cash")), False))
                paid_on = day + timedelta(days=rng.randint(10, 45))
                if paid_on <= self.last_day:
                    payments.append((paid_on, benefit, "Insurance", False))
                    claim = {"payer": fund, "paid": benefit, "status": "Paid", "date": day}
                else:
                    claim = {"payer": fund, "paid": Decimal("0.00"),
                             "status": rng.choice(("Submitted", "Pending", "Approved")), "date": day}
        else:
            if rng.random() < 0.92:
                method = rng.choice(("EFTPOS", "Card", "Card", "Cash")) if region.code == "AU" else \
                    rng.choice(("Card", "Card", "Cash"))
                payments.append((day, total, method, False))
            else:
                later = day + timedelta(days=rng.randint(7, 60))
                if later <= self.last_day and rng.random() < 0.6:
                    payments.append((later, total, "Direct Debit" if region.code != "US" else "Card", False))
        if payments and rng.random() < 0.01:  # card declined after the fact: reversed, then paid again
            first_day, amount, method, _ = payments[-1]
            payments.append((first_day, -amount, method, True))
            payments.append((first_day, amount, "Cash", False))
        paid = sum((amount for _, amount, _, _ in payments), Decimal("0.00"))
        balance = total - paid
        if void:
            status = "Void"
        elif balance == 0:
            status = "Paid"
        else:
            status = "Overdue" if due < self.export_date else "Outstanding"
        self.tables["invoices"].write({
            "invoice_id": invoice_id, "invoice_no": f"INV-{invoice_id[2:]}", "patient_id": patient_id,
            "provider_id": provider.provider_id, "practice_id": practice.practice_id, "invoice_date": day,
            "due_date": due, "total": total, "amount_paid": paid, "balance": balance, "status": status,
            "currency": region.currency, "created_at": moment,
            "updated_at": self.stamp_after(moment, 10) if payments else moment,
        })
        for paid_on, amount, method, reversal in payments:
            method_cell = method
            if method == "Card" and self.dirt.on and self.dirt.rng.random() < 0.05:
                method_cell = self.dirt.rng.choice(("Visa", "Mastercard", "Credit Card"))  # valid aliases
            self.tables["payments"].write({
                "payment_id": self.next_id("PM", 8), "invoice_id": invoice_id, "patient_id": patient_id,
                "paid_at": datetime.combine(paid_on, moment.time()) if paid_on != day else moment,
                "amount": amount, "method": method_cell,
                "reference": self.payment_reference(method), "is_reversal": reversal,
            })
        if claim is not None:
            claim_moment = datetime.combine(claim["date"], moment.time())
            self.tables["insurance_claims"].write({
                "claim_id": self.next_id("CL", 8), "patient_id": patient_id, "invoice_id": invoice_id,
                "practice_id": practice.practice_id, "provider_name": provider.report_name, "payer": claim["payer"],
                "claim_date": claim["date"], "service_code": ";".join(dict.fromkeys(c for c, _ in codes)),
                "amount_claimed": total, "amount_paid": claim["paid"], "status": claim["status"],
                "created_at": claim_moment, "updated_at": self.stamp_after(claim_moment, 40),
            })
        return invoice_id

    def payment_reference(self, method: str) -> str:
        rng = self.rng
        if method == "HICAPS":
            return f"HICAPS {rng.randint(100000, 999999)}"
        if method in ("Card", "EFTPOS"):
            return f"TXN{rng.randint(10000000, 99999999)}"
        if method == "Insurance":
            return f"EFT{rng.randint(1000000, 9999999)}"
        if method == "Medicare":
            return f"CDBS{rng.randint(100000, 999999)}"
        return ""

    # notes and documents -----------------------------------------------------------------------

    def note(self, patient_id: str, provider: _Provider, appointment_id: str, kind: str, moment: datetime,
             codes: list[tuple[str, str]]) -> None:
        rng = self.rng
        items = ", ".join(f"{c}{' (' + t + ')' if t else ''}" for c, t in codes)
        lines = [f"{kind}. Items: {items}.", rng.choice(NOTE_FINDINGS), rng.choice(NOTE_ADVICE)]
        if kind == "Restorative":
            lines.insert(1, rng.choice(("LA given, patient comfortable.", "Rubber dam isolation.",
                                        "Shade matched, occlusion checked.")))
        joiner = "\n" if rng.random() < 0.3 else " "  # some notes keep the clinician's line breaks
        self.tables["clinical_notes"].write({
            "note_id": self.next_id("NT", 8), "patient_id": patient_id, "provider_id": provider.provider_id,
            "appointment_id": appointment_id, "note_type": "Treatment" if kind == "Restorative" else "Clinical",
            "note_date": moment, "body": joiner.join(lines), "created_at": moment,
            "updated_at": self.stamp_after(moment, 2),
        })

    def document(self, patient_id: str, moment: datetime) -> None:
        """A real PNG or PDF under documents/<year>/; dirt makes it missing, mismatched, huge or unsafe."""
        rng, dirt = self.rng, self.dirt
        category, mime, stem, _ = rng.choices(DOC_KINDS, weights=[k[3] for k in DOC_KINDS])[0]
        document_id = self.next_id("DC", 7)
        extension = "png" if mime == "image/png" else "pdf"
        file_name = f"{patient_id}-{document_id}-{stem}.{extension}"
        relative = f"{moment.year}/{file_name}"  # the practice's archive is filed by year
        kind = None
        if dirt.on and dirt.want_large_file():
            kind = "large_file"
            category, mime, file_name = "X-ray", "image/png", f"{patient_id}-{document_id}-cbct-export.png"
            relative = f"{moment.year}/{file_name}"
            content = make_large_png(dirt.rng, comment=f"Synthetic CBCT export {document_id}")
        else:
            if extension == "png":
                content = make_png(rng, comment=f"Synthetic radiograph {document_id}")
            else:
                content = make_pdf([f"Synthetic {category.lower()} - not a real patient record",
                                    f"Document {document_id}", f"Patient {patient_id}",
                                    f"Date {moment.strftime(self.region.date_format)}"])
            for candidate in ("path_traversal", "document_missing", "document_checksum_mismatch"):
                if dirt.roll(candidate):
                    kind = candidate
                    break
        digest = hashlib.sha256(content).hexdigest()
        if kind == "path_traversal":
            relative = dirt.rng.choice(TRAVERSAL_PATHS)
            file_name = re.split(r"[\\/]", relative)[-1]
        elif kind == "document_checksum_mismatch":
            digest = hashlib.sha256(content + b"\n").hexdigest()  # re-saved after the checksum was taken
        if kind not in ("path_traversal", "document_missing"):
            folder = self.docs_dir / str(moment.year)
            if folder not in self.doc_folders:
                folder.mkdir(exist_ok=True)
                self.doc_folders.add(folder)
            self.files.write(folder / file_name, content)
        self.tables["documents"].write({
            "document_id": document_id, "patient_id": patient_id, "file_name": file_name, "relative_path": relative,
            "category": category, "mime_type": mime, "size_bytes": len(content), "sha256": digest,
            "uploaded_at": moment,
        })
        if kind:
            dirt.record(kind, document_id)


def generate_export(out_dir: Path, *, region: str = "AU", practices: int = 8, patients: int = 200,
                    seed: int = 20261124, format: str = "csv", dirt: str = "realistic",  # noqa: A002
                    export_date: date | None = None) -> Path:
    """Write a synthetic Core Practice export snapshot (13 files, documents/, manifest) and return `out_dir`.

    Same arguments, same bytes. `dirt="none"` gives an export on which validation must find nothing;
    `realistic` injects every kind of `DIRT_KINDS` (each at least once from about 200 patients); `heavy`
    injects each about four times as often. `_generator_manifest.jsonl` lists every fault injected.
    """
    if region not in REGIONS:
        raise ValueError(f"region {region!r} is not one of {sorted(REGIONS)}")
    if format not in FORMATS:
        raise ValueError(f"format {format!r} is not one of {FORMATS}")
    if dirt not in DIRT_LEVELS:
        raise ValueError(f"dirt {dirt!r} is not one of {DIRT_LEVELS}")
    if practices < 1 or patients < 0:
        raise ValueError("need at least one practice and a non-negative number of patients")
    missing = sorted(set(DIRT_KINDS) - set(REALISTIC_RATES))
    if missing and dirt != "none":
        raise ValueError(f"the generator cannot inject dirt kind(s) {missing} yet; add them to generator.py")
    _Generator(Path(out_dir), region=region, practices=practices, patients=patients, seed=seed, fmt=format,
               dirt=dirt, export_date=export_date or DEFAULT_EXPORT_DATE).run()
    return Path(out_dir)
