"""What the generator writes with: dirt rates, banner rows, names, streets, note phrases, the export date."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

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


def ascii_only(text: str) -> str:
    """Email-safe lower-case ASCII of a name (`Nguyễn` → `nguyen`, `O'Brien` → `obrien`)."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", folded.lower())


def slug_of(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", ascii_only(text))


def round_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year = day.year + month // 12
    month = month % 12 + 1
    return date(year, month, min(day.day, 28))


def years_before(day: date, years: int) -> date:
    return date(day.year - years, day.month, min(day.day, 28))

