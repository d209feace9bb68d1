"""The simulated dental group: practices, providers, households, visits, invoices, notes and documents."""

from __future__ import annotations

import hashlib
import json
import random
import re
import shutil
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from core_practice_twenty.source.export_spec import DOCUMENTS_DIR, EXPORT_SPEC
from core_practice_twenty.source.generator.documents import make_large_png, make_pdf, make_png
from core_practice_twenty.source.generator.injection import DirtInjector
from core_practice_twenty.source.generator.vocabulary import (
    ACTIVE,
    ARCHIVED,
    BRANDS,
    CANCEL_REASONS,
    DECEASED,
    DOC_KINDS,
    FIRST_FEMALE,
    FIRST_MALE,
    FORMATS,
    INACTIVE,
    LAST_NAMES,
    MANIFEST_NAME,
    NICKNAMES,
    NOTE_ADVICE,
    NOTE_FINDINGS,
    REFERRALS,
    REGION_FIRST,
    REGION_LAST,
    STREETS,
    SUFFIXES,
    TRAVERSAL_PATHS,
    US_STREETS,
    add_months,
    ascii_only,
    round_cents,
    slug_of,
    years_before,
)
from core_practice_twenty.source.generator.writers import FileWriter, ReportTable
from core_practice_twenty.source.regions import (
    REGIONS,
    Locality,
    Procedure,
    e164,
    landline_national,
    local_format,
    mobile_national,
)


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


class GroupSimulation:
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
        self.dirt = DirtInjector(dirt, seed, out_dir / (MANIFEST_NAME + ".part"))
        self.ids: Counter[str] = Counter()
        self.identities: set[tuple[str, str, date]] = set()
        self.first_names = (FIRST_FEMALE + REGION_FIRST.get(region, ((), ()))[0],
                            FIRST_MALE + REGION_FIRST.get(region, ((), ()))[1])
        self.last_names = LAST_NAMES + REGION_LAST.get(region, ())
        self.tables: dict[str, ReportTable] = {}
        self.practices: list[_Practice] = []
        self.localities_by_state: dict[str, list[Locality]] = {}
        for place in self.region.localities:
            self.localities_by_state.setdefault(place.state, []).append(place)
        self.zero_localities = [p for p in self.region.localities if p.postcode.startswith("0")]
        self.dangling = 0
        self.doc_folders: set[Path] = set()
        self.files = FileWriter()
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
        self.tables = {name: ReportTable(spec, self.out, self.fmt, self.region) for name, spec in EXPORT_SPEC.items()}
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
                "email": f"reception.{slug_of(place.suburb)}{index}@{domain}",
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
            domain = f"{slug_of(practice.name)}.{region.website_tld}"
            email = f"{ascii_only(first)}.{ascii_only(last)}@{domain}"
            if email in emails:
                email = f"{ascii_only(first)}.{ascii_only(last)}{provider.provider_id[2:]}@{domain}"
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
        local = f"{ascii_only(person.first)}.{ascii_only(person.last)}"
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

        recall = add_months(last_visit, interval) if status == ACTIVE and last_visit else None
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
            self.duplicate(person, household, practice, patient_id)
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

    def duplicate(self, person: _Person, household: dict[str, Any], practice: _Practice, original: str) -> None:
        """The same person registered again under a new id (new email, new phone): the second id is the dirt, and
        the manifest names the first (linkage flags both lines of the pair)."""
        rng, region = self.dirt.rng, self.region
        patient_id = self.next_id("PT", 7)
        number = int(patient_id[2:])
        place: Locality = household["place"]
        registered = self.between(self.last_day - timedelta(days=700), self.last_day)
        created = datetime.combine(registered, time(rng.randint(8, 16), rng.choice((0, 15, 30, 45))))
        self.tables["patients"].write({
            "patient_id": patient_id, "patient_no": str(10000 + number), "first_name": person.first,
            "last_name": person.last, "date_of_birth": person.dob, "sex": person.sex,
            "email": f"{ascii_only(person.first)}{number}@{rng.choice(region.email_domains)}",
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
        self.dirt.record("duplicate_patient", patient_id, other=original)

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
        earliest = max(person.dob + timedelta(days=730), years_before(self.export_date, 7))
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
        return round_cents((procedure.fee * practice.fee_factor).quantize(Decimal("1")))

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
            benefit = round_cents(total * Decimal(rng.choice(("0.45", "0.5", "0.55", "0.6", "0.65", "0.7"))))
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

