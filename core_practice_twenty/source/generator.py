"""Synthetic Core Practice exports: deterministic for a seed, shaped like the real reports.

The skeleton writes the practices file; issue 4 grows this into the full 13-file generator with
dirt injection and a manifest. Every value here is invented: no real practice or patient.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from pathlib import Path

from core_practice_twenty.source.export_spec import PRACTICES, ObjectSpec


@dataclass(frozen=True)
class Locality:
    suburb: str
    state: str
    postcode: str


AU_LOCALITIES = (
    Locality("Parramatta", "NSW", "2150"),
    Locality("Chatswood", "NSW", "2067"),
    Locality("Newcastle", "NSW", "2300"),
    Locality("Fitzroy", "VIC", "3065"),
    Locality("Geelong", "VIC", "3220"),
    Locality("Southport", "QLD", "4215"),
    Locality("Toowoomba", "QLD", "4350"),
    Locality("Subiaco", "WA", "6008"),
    Locality("Glenelg", "SA", "5045"),
    Locality("Sandy Bay", "TAS", "7005"),
    Locality("Braddon", "ACT", "2612"),
    Locality("Darwin City", "NT", "0800"),
)
STREETS = ("George St", "King St", "High St", "Main Rd", "Church St", "Station St", "Victoria Rd", "Queen St")
BRANDS = ("Smile", "Bright", "Harbour", "Gentle", "Family", "Pure", "Coastal", "City")
SUFFIXES = ("Dental", "Dental Care", "Dentistry", "Dental Studio")
BANNER = "Core Practice - Practice Locations Report"


def _practice_rows(rng: random.Random, count: int) -> list[dict[str, str]]:
    rows = []
    group_size = 0
    group_name = website = ""
    for index in range(1, count + 1):
        if group_size == 0:
            group_size = rng.choice((1, 1, 2, 3))
            brand = rng.choice(BRANDS)
            group_name = f"{brand} Dental Group" if group_size > 1 else ""
            website = f"https://www.{brand.lower()}dental{index}.com.au"
        group_size -= 1
        place = rng.choice(AU_LOCALITIES)
        rows.append({
            "practice_id": f"PR{index:04d}",
            "practice_name": f"{rng.choice(BRANDS)} {rng.choice(SUFFIXES)} {place.suburb}",
            "group_name": group_name,
            "address_line1": f"{rng.randint(1, 400)} {rng.choice(STREETS)}",
            "address_line2": rng.choice(("", "", f"Suite {rng.randint(1, 20)}", f"Level {rng.randint(1, 5)}")),
            "city": place.suburb,
            "state": place.state,
            "postcode": place.postcode,
            "country": rng.choice(("Australia", "AU")),
            "phone": f"(0{rng.choice((2, 3, 7, 8))}) {rng.randint(9000, 9999)} {rng.randint(1000, 9999)}",
            "email": f"reception{index}@example.com.au",
            "website": website,
            "created_at": f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/20{rng.randint(10, 22)} 09:00",
            "updated_at": f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/2026 17:30",
        })
    return rows


def write_csv(path: Path, spec: ObjectSpec, rows: list[dict[str, str]], *, banner: str | None = None) -> None:
    """Write a report the way Core Practice does: UTF-8 with BOM, CRLF, a title line, then the header."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        if banner:
            writer.writerow([banner])
        writer.writerow(spec.column_names)
        for row in rows:
            writer.writerow([row.get(name, "") for name in spec.column_names])


def generate_export(out_dir: Path, *, practices: int = 8, seed: int = 20261124, region: str = "AU") -> Path:
    """Write a sample export snapshot folder and return it."""
    if region != "AU":
        raise ValueError(f"region {region!r} is not generated yet (issue 4 adds NZ and US); use AU")
    rng = random.Random(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_csv(out_dir / "practices.csv", PRACTICES, _practice_rows(rng, practices), banner=BANNER)
    return out_dir
