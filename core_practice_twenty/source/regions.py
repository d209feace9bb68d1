"""Reference data per practice region (AU, NZ, US) for the synthetic export generator.

A realistic export is what makes the pipeline's rules meaningful: states, postcodes and suburbs that
really belong together (so a postcode rule can only fire on injected dirt), the region's date order,
phone plan, procedure code system and tooth numbering. Localities are real places; every phone
number comes from a range set aside for fiction (ACMA's 0491 570 xxx mobiles and 02 5550 / 03 7010 /
07 5550 / 08 7010 landlines in AU, 555-01xx in the US, 555 exchanges in NZ), and every email domain
is reserved (RFC 2606), so nothing here can reach a real person.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from core_practice_twenty.model.regions import REGION_FACTS, Region


@dataclass(frozen=True)
class Locality:
    suburb: str
    state: str
    postcode: str


@dataclass(frozen=True)
class Procedure:
    """One billable item: ADA Australian item number (AU/NZ) or CDT code (US). Descriptions are paraphrased."""

    code: str
    description: str
    fee: Decimal
    kind: str  # exam | xray | clean | fluoride | sealant | filling | crown | core | extraction | endo | splint | other


@dataclass(frozen=True)
class RegionProfile:
    """Everything about a region that changes what an export looks like."""

    code: str
    states: dict[str, str]  # the spelling the export writes → ISO 3166-2 suffix
    localities: tuple[Locality, ...]
    foreign: tuple[tuple[str, Locality], ...]  # (country name, locality) for international_address dirt
    bad_states: tuple[str, ...]
    date_format: str
    datetime_format: str
    procedures: dict[str, Procedure]
    new_patient: tuple[str, ...]
    recall_adult: tuple[str, ...]
    recall_child: tuple[str, ...]
    bitewings: str  # added to every second recall
    teeth_anterior: tuple[str, ...]
    teeth_posterior: tuple[str, ...]
    teeth_primary: tuple[str, ...]
    payers: tuple[str, ...]
    fund_method: str  # how an insurer's benefit is paid at the desk
    chair_word: str
    email_domains: tuple[str, ...]
    website_tld: str
    specializations: tuple[str, ...]

    @property
    def country_name(self) -> str:
        return REGION_FACTS[Region(self.code)].country

    @property
    def currency(self) -> str:
        return REGION_FACTS[Region(self.code)].currency


def _money(text: str) -> Decimal:
    return Decimal(text)


# -- Australia -----------------------------------------------------------------------------------

AU_STATES = {code: code for code in ("NSW", "VIC", "QLD", "WA", "SA", "TAS", "ACT", "NT")}

AU_LOCALITIES = tuple(Locality(*row) for row in (
    ("Parramatta", "NSW", "2150"), ("Chatswood", "NSW", "2067"), ("Newcastle", "NSW", "2300"),
    ("Bondi Beach", "NSW", "2026"), ("Penrith", "NSW", "2750"), ("Wollongong", "NSW", "2500"),
    ("Dubbo", "NSW", "2830"), ("Wagga Wagga", "NSW", "2650"), ("Manly", "NSW", "2095"),
    ("Liverpool", "NSW", "2170"), ("Hornsby", "NSW", "2077"), ("Orange", "NSW", "2800"),
    ("Tamworth", "NSW", "2340"), ("Coffs Harbour", "NSW", "2450"),
    ("Fitzroy", "VIC", "3065"), ("Geelong", "VIC", "3220"), ("Ballarat", "VIC", "3350"),
    ("Bendigo", "VIC", "3550"), ("Richmond", "VIC", "3121"), ("St Kilda", "VIC", "3182"),
    ("Frankston", "VIC", "3199"), ("Box Hill", "VIC", "3128"), ("Dandenong", "VIC", "3175"),
    ("Shepparton", "VIC", "3630"),
    ("Southport", "QLD", "4215"), ("Toowoomba", "QLD", "4350"), ("Cairns", "QLD", "4870"),
    ("Townsville", "QLD", "4810"), ("Fortitude Valley", "QLD", "4006"), ("Ipswich", "QLD", "4305"),
    ("Mackay", "QLD", "4740"), ("Rockhampton", "QLD", "4700"), ("Maroochydore", "QLD", "4558"),
    ("Chermside", "QLD", "4032"),
    ("Subiaco", "WA", "6008"), ("Fremantle", "WA", "6160"), ("Joondalup", "WA", "6027"),
    ("Bunbury", "WA", "6230"), ("Mandurah", "WA", "6210"), ("Geraldton", "WA", "6530"),
    ("Glenelg", "SA", "5045"), ("Adelaide", "SA", "5000"), ("Mount Gambier", "SA", "5290"),
    ("Norwood", "SA", "5067"), ("Port Augusta", "SA", "5700"),
    ("Sandy Bay", "TAS", "7005"), ("Hobart", "TAS", "7000"), ("Launceston", "TAS", "7250"),
    ("Devonport", "TAS", "7310"), ("Burnie", "TAS", "7320"),
    ("Braddon", "ACT", "2612"), ("Belconnen", "ACT", "2617"), ("Phillip", "ACT", "2606"),
    ("Gungahlin", "ACT", "2912"), ("Greenway", "ACT", "2900"),
    ("Darwin City", "NT", "0800"), ("Casuarina", "NT", "0810"), ("Nightcliff", "NT", "0810"),
    ("Parap", "NT", "0820"), ("Palmerston City", "NT", "0830"), ("Katherine", "NT", "0850"),
    ("Alice Springs", "NT", "0870"),
))

ADA_ITEMS = {p.code: p for p in (
    Procedure("011", "Comprehensive oral examination", _money("85.00"), "exam"),
    Procedure("012", "Periodic oral examination", _money("65.00"), "exam"),
    Procedure("013", "Limited oral examination", _money("60.00"), "exam"),
    Procedure("022", "Intraoral radiograph, per exposure", _money("40.00"), "xray"),
    Procedure("037", "Panoramic radiograph", _money("110.00"), "xray"),
    Procedure("114", "Removal of calculus, first visit", _money("125.00"), "clean"),
    Procedure("121", "Topical remineralising agent, one treatment", _money("40.00"), "fluoride"),
    Procedure("161", "Fissure sealing, per tooth", _money("70.00"), "sealant"),
    Procedure("311", "Removal of a tooth", _money("220.00"), "extraction"),
    Procedure("322", "Surgical removal of a tooth", _money("420.00"), "extraction"),
    Procedure("415", "Root canal preparation, one canal", _money("420.00"), "endo"),
    Procedure("417", "Root canal obturation, one canal", _money("280.00"), "endo"),
    Procedure("521", "Adhesive restoration, one surface, anterior", _money("160.00"), "filling_anterior"),
    Procedure("522", "Adhesive restoration, two surfaces, anterior", _money("200.00"), "filling_anterior"),
    Procedure("531", "Adhesive restoration, one surface, posterior", _money("180.00"), "filling"),
    Procedure("532", "Adhesive restoration, two surfaces, posterior", _money("230.00"), "filling"),
    Procedure("533", "Adhesive restoration, three surfaces, posterior", _money("280.00"), "filling"),
    Procedure("586", "Core for restoration", _money("250.00"), "core"),
    Procedure("613", "Full crown, metallic, indirect", _money("1600.00"), "crown"),
    Procedure("615", "Full crown, veneered, indirect", _money("1750.00"), "crown"),
    Procedure("965", "Occlusal splint", _money("650.00"), "splint"),
)}

FDI_ANTERIOR = tuple(f"{q}{t}" for q in (1, 2, 3, 4) for t in (1, 2, 3))
FDI_POSTERIOR = tuple(f"{q}{t}" for q in (1, 2, 3, 4) for t in (4, 5, 6, 7, 8))
FDI_PRIMARY = tuple(f"{q}{t}" for q in (5, 6, 7, 8) for t in (1, 2, 3, 4, 5))

AU = RegionProfile(
    code="AU", states=AU_STATES, localities=AU_LOCALITIES,
    foreign=(("New Zealand", Locality("Christchurch Central", "", "8011")),
             ("New Zealand", Locality("Wellington Central", "", "6011")),
             ("New Zealand", Locality("Hamilton Central", "", "3204"))),
    bad_states=("NSWW", "XX", "Q'ld", "Vict", "N.S.W"),
    date_format="%d/%m/%Y", datetime_format="%d/%m/%Y %H:%M",
    procedures=ADA_ITEMS, new_patient=("011", "022", "114"), recall_adult=("012", "114"),
    recall_child=("012", "121"), bitewings="022",
    teeth_anterior=FDI_ANTERIOR, teeth_posterior=FDI_POSTERIOR, teeth_primary=FDI_PRIMARY,
    payers=("Bupa", "Medibank", "HCF", "nib", "HBF", "Australian Unity", "GMHBA", "Teachers Health", "CBHS"),
    fund_method="HICAPS", chair_word="Surgery",
    email_domains=("example.com", "example.net", "example.org"), website_tld="example.com.au",
    specializations=("Orthodontics", "Endodontics", "Periodontics", "Prosthodontics", "Oral Surgery",
                     "Paediatric Dentistry"),
)

# -- New Zealand ---------------------------------------------------------------------------------

NZ_STATES = {
    "Northland": "NTL", "Auckland": "AUK", "Waikato": "WKO", "Bay of Plenty": "BOP", "Gisborne": "GIS",
    "Hawke's Bay": "HKB", "Taranaki": "TKI", "Manawatū-Whanganui": "MWT", "Wellington": "WGN",
    "Tasman": "TAS", "Nelson": "NSN", "Marlborough": "MBH", "West Coast": "WTC", "Canterbury": "CAN",
    "Otago": "OTA", "Southland": "STL",
}
"""NZ addresses name the region in words; the ISO 3166-2 code is what a validator compares."""

NZ_LOCALITIES = tuple(Locality(*row) for row in (
    ("Auckland Central", "Auckland", "1010"), ("Ponsonby", "Auckland", "1011"), ("Takapuna", "Auckland", "0622"),
    ("Devonport", "Auckland", "0624"), ("Albany", "Auckland", "0632"), ("Henderson", "Auckland", "0612"),
    ("Orewa", "Auckland", "0931"), ("Warkworth", "Auckland", "0910"), ("Papakura", "Auckland", "2110"),
    ("Manukau", "Auckland", "2104"),
    ("Whangārei", "Northland", "0110"), ("Kerikeri", "Northland", "0230"), ("Kaitaia", "Northland", "0410"),
    ("Dargaville", "Northland", "0310"), ("Paihia", "Northland", "0200"),
    ("Hamilton Central", "Waikato", "3204"), ("Cambridge", "Waikato", "3434"), ("Taupō", "Waikato", "3330"),
    ("Thames", "Waikato", "3500"),
    ("Tauranga", "Bay of Plenty", "3110"), ("Mount Maunganui", "Bay of Plenty", "3116"),
    ("Rotorua", "Bay of Plenty", "3010"), ("Whakatāne", "Bay of Plenty", "3120"),
    ("Gisborne", "Gisborne", "4010"), ("Napier", "Hawke's Bay", "4110"), ("Hastings", "Hawke's Bay", "4122"),
    ("New Plymouth", "Taranaki", "4310"), ("Palmerston North", "Manawatū-Whanganui", "4410"),
    ("Whanganui", "Manawatū-Whanganui", "4500"),
    ("Wellington Central", "Wellington", "6011"), ("Lower Hutt", "Wellington", "5010"),
    ("Upper Hutt", "Wellington", "5018"), ("Porirua", "Wellington", "5022"), ("Masterton", "Wellington", "5810"),
    ("Nelson", "Nelson", "7010"), ("Richmond", "Tasman", "7020"), ("Motueka", "Tasman", "7120"),
    ("Blenheim", "Marlborough", "7201"), ("Greymouth", "West Coast", "7805"),
    ("Christchurch Central", "Canterbury", "8011"), ("Riccarton", "Canterbury", "8041"),
    ("Rangiora", "Canterbury", "7400"), ("Ashburton", "Canterbury", "7700"), ("Timaru", "Canterbury", "7910"),
    ("Dunedin Central", "Otago", "9016"), ("Queenstown", "Otago", "9300"), ("Wānaka", "Otago", "9305"),
    ("Oamaru", "Otago", "9400"), ("Invercargill", "Southland", "9810"),
))

NZ = RegionProfile(
    code="NZ", states=NZ_STATES, localities=NZ_LOCALITIES,
    foreign=(("Australia", Locality("Sydney", "", "2000")), ("Australia", Locality("Melbourne", "", "3000")),
             ("Australia", Locality("Brisbane City", "", "4000"))),
    bad_states=("XX", "Aukland", "Chch", "Wgtn", "Canterbery"),
    date_format="%d/%m/%Y", datetime_format="%d/%m/%Y %H:%M",
    procedures=ADA_ITEMS, new_patient=("011", "022", "114"), recall_adult=("012", "114"),
    recall_child=("012", "121"), bitewings="022",
    teeth_anterior=FDI_ANTERIOR, teeth_posterior=FDI_POSTERIOR, teeth_primary=FDI_PRIMARY,
    payers=("Southern Cross", "nib NZ", "AIA", "Partners Life", "ACC"),
    fund_method="Insurance", chair_word="Surgery",
    email_domains=("example.com", "example.net", "example.org"), website_tld="example.co.nz",
    specializations=("Orthodontics", "Endodontics", "Periodontics", "Prosthodontics", "Oral Surgery",
                     "Paediatric Dentistry"),
)

# -- United States -------------------------------------------------------------------------------

US_STATES = {code: code for code in (
    "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL", "IN", "IA", "KS", "KY", "LA",
    "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK",
    "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "DC",
)}

US_LOCALITIES = tuple(Locality(*row) for row in (
    ("Boston", "MA", "02108"), ("Cambridge", "MA", "02138"), ("Worcester", "MA", "01608"),
    ("Springfield", "MA", "01103"), ("Providence", "RI", "02903"), ("Hartford", "CT", "06103"),
    ("New Haven", "CT", "06510"), ("Stamford", "CT", "06901"), ("Manchester", "NH", "03101"),
    ("Concord", "NH", "03301"), ("Burlington", "VT", "05401"), ("Portland", "ME", "04101"),
    ("Bangor", "ME", "04401"), ("Newark", "NJ", "07102"), ("Jersey City", "NJ", "07302"),
    ("Princeton", "NJ", "08540"), ("New York", "NY", "10001"), ("Brooklyn", "NY", "11201"),
    ("Albany", "NY", "12207"), ("Buffalo", "NY", "14202"), ("Philadelphia", "PA", "19103"),
    ("Pittsburgh", "PA", "15222"), ("Chicago", "IL", "60601"), ("Austin", "TX", "78701"),
    ("Houston", "TX", "77002"), ("Dallas", "TX", "75201"), ("San Francisco", "CA", "94103"),
    ("Los Angeles", "CA", "90012"), ("San Diego", "CA", "92101"), ("Sacramento", "CA", "95814"),
    ("Seattle", "WA", "98101"), ("Portland", "OR", "97205"), ("Denver", "CO", "80202"),
    ("Phoenix", "AZ", "85004"), ("Atlanta", "GA", "30303"), ("Miami", "FL", "33130"),
    ("Orlando", "FL", "32801"), ("Minneapolis", "MN", "55401"), ("Columbus", "OH", "43215"),
))

CDT_CODES = {p.code: p for p in (
    Procedure("D0120", "Periodic oral evaluation, established patient", _money("65.00"), "exam"),
    Procedure("D0140", "Limited oral evaluation, problem focused", _money("85.00"), "exam"),
    Procedure("D0150", "Comprehensive oral evaluation", _money("110.00"), "exam"),
    Procedure("D0210", "Intraoral complete series of radiographic images", _money("150.00"), "xray"),
    Procedure("D0274", "Bitewings, four images", _money("75.00"), "xray"),
    Procedure("D0330", "Panoramic radiographic image", _money("125.00"), "xray"),
    Procedure("D1110", "Prophylaxis, adult", _money("115.00"), "clean"),
    Procedure("D1120", "Prophylaxis, child", _money("85.00"), "clean"),
    Procedure("D1206", "Topical fluoride varnish", _money("45.00"), "fluoride"),
    Procedure("D1351", "Sealant, per tooth", _money("55.00"), "sealant"),
    Procedure("D2140", "Amalgam, one surface", _money("150.00"), "filling"),
    Procedure("D2330", "Resin-based composite, one surface, anterior", _money("165.00"), "filling_anterior"),
    Procedure("D2391", "Resin-based composite, one surface, posterior", _money("185.00"), "filling"),
    Procedure("D2392", "Resin-based composite, two surfaces, posterior", _money("235.00"), "filling"),
    Procedure("D2740", "Crown, porcelain/ceramic", _money("1350.00"), "crown"),
    Procedure("D2950", "Core buildup, including any pins", _money("275.00"), "core"),
    Procedure("D3310", "Endodontic therapy, anterior tooth", _money("950.00"), "endo"),
    Procedure("D3330", "Endodontic therapy, molar tooth", _money("1250.00"), "endo"),
    Procedure("D4341", "Periodontal scaling and root planing, per quadrant", _money("260.00"), "other"),
    Procedure("D4910", "Periodontal maintenance", _money("150.00"), "other"),
    Procedure("D7140", "Extraction, erupted tooth", _money("200.00"), "extraction"),
    Procedure("D7210", "Surgical extraction of erupted tooth", _money("325.00"), "extraction"),
    Procedure("D9110", "Palliative treatment of dental pain", _money("110.00"), "other"),
    Procedure("D9944", "Occlusal guard, hard appliance, full arch", _money("550.00"), "splint"),
)}

UNIVERSAL_ANTERIOR = tuple(str(n) for n in (*range(6, 12), *range(22, 28)))
UNIVERSAL_POSTERIOR = tuple(str(n) for n in (*range(1, 6), *range(12, 22), *range(28, 33)))
UNIVERSAL_PRIMARY = tuple("ABCDEFGHIJKLMNOPQRST")

US = RegionProfile(
    code="US", states=US_STATES, localities=US_LOCALITIES,
    foreign=(("Mexico", Locality("Guadalajara", "", "44100")), ("Germany", Locality("Berlin", "", "10115")),
             ("Mexico", Locality("Monterrey", "", "64000"))),
    bad_states=("XX", "Calif", "Mass", "N.Y", "Penn"),
    date_format="%m/%d/%Y", datetime_format="%m/%d/%Y %I:%M %p",
    procedures=CDT_CODES, new_patient=("D0150", "D0210", "D1110"), recall_adult=("D0120", "D1110"),
    recall_child=("D0120", "D1120", "D1206"), bitewings="D0274",
    teeth_anterior=UNIVERSAL_ANTERIOR, teeth_posterior=UNIVERSAL_POSTERIOR, teeth_primary=UNIVERSAL_PRIMARY,
    payers=("Delta Dental", "MetLife", "Cigna", "Aetna", "Guardian", "United Concordia", "Humana"),
    fund_method="Insurance", chair_word="Operatory",
    email_domains=("example.com", "example.net", "example.org"), website_tld="example.com",
    specializations=("Orthodontics", "Endodontics", "Periodontics", "Prosthodontics",
                     "Oral and Maxillofacial Surgery", "Pediatric Dentistry"),
)

REGIONS: dict[str, RegionProfile] = {"AU": AU, "NZ": NZ, "US": US}


# -- phones (fictional ranges only) ------------------------------------------------------------

AU_FICTIONAL_MOBILES = (
    "0491570006", "0491570156", "0491570157", "0491570158", "0491570159", "0491570110", "0491570313",
    "0491570737", "0491571266", "0491571491", "0491571804", "0491572549", "0491572665", "0491572983",
    "0491573770", "0491573087", "0491574118", "0491574632", "0491575254", "0491575789", "0491576398",
    "0491576801", "0491577426", "0491577644", "0491578957", "0491578148", "0491578888", "0491579212",
    "0491579760", "0491579455",
)
"""ACMA's numbers reserved for use in fiction: they never ring anyone."""

AU_LANDLINE_PREFIX = {"NSW": "2555", "ACT": "2555", "VIC": "3701", "TAS": "3701", "QLD": "7555",
                      "SA": "8701", "WA": "8701", "NT": "8701"}
AU_LANDLINE_SUFFIX = {"2555": "0", "3701": "0", "7555": "0", "8701": "0"}  # 02 5550 xxxx, 03 7010 xxxx …
NZ_AREA = {"Auckland": "9", "Northland": "9", "Waikato": "7", "Bay of Plenty": "7", "Gisborne": "6",
           "Hawke's Bay": "6", "Taranaki": "6", "Manawatū-Whanganui": "6", "Wellington": "4"}
US_AREA = {"MA": "617", "RI": "401", "CT": "860", "NH": "603", "VT": "802", "ME": "207", "NJ": "201",
           "NY": "212", "PA": "215", "IL": "312", "TX": "512", "CA": "415", "WA": "206", "OR": "503",
           "CO": "303", "AZ": "602", "GA": "404", "FL": "305", "MN": "612", "OH": "614"}


def mobile_national(region: RegionProfile, rng: random.Random, state: str) -> str:
    """A fictional mobile number in national digits (`0491570156`, `0215550123`, `6175550123`)."""
    if region.code == "AU":
        return rng.choice(AU_FICTIONAL_MOBILES)
    if region.code == "NZ":
        return f"02{rng.choice('127')}555{rng.randint(0, 9999):04d}"
    return f"{US_AREA.get(state, '212')}55501{rng.randint(0, 99):02d}"


def landline_national(region: RegionProfile, rng: random.Random, state: str) -> str:
    """A fictional landline in national digits for the state (area code follows the state)."""
    if region.code == "AU":
        prefix = AU_LANDLINE_PREFIX.get(state, "2555")
        return f"0{prefix}{AU_LANDLINE_SUFFIX[prefix]}{rng.randint(0, 9999):04d}"
    if region.code == "NZ":
        return f"0{NZ_AREA.get(state, '3')}555{rng.randint(0, 9999):04d}"
    return f"{US_AREA.get(state, '212')}55501{rng.randint(0, 99):02d}"


def e164(region: RegionProfile, national: str) -> str:
    """National digits → E.164 (`0491570156` → `+61491570156`), the clean form the export carries."""
    if region.code == "US":
        return f"+1{national}"
    calling = {"AU": "61", "NZ": "64"}[region.code]
    return f"+{calling}{national[1:]}"


def local_format(region: RegionProfile, rng: random.Random, national: str) -> str:
    """The way reception types a number: spaces, brackets, dashes, sometimes an extension."""
    ext = f" ext {rng.randint(1, 40)}" if rng.random() < 0.3 else ""
    if region.code == "US":
        a, b, c = national[:3], national[3:6], national[6:]
        return rng.choice((f"({a}) {b}-{c}", f"{a}-{b}-{c}", f"{a}.{b}.{c}")) + ext.replace(" ext ", " x")
    mobile = national.startswith("04") if region.code == "AU" else national.startswith("02")
    if mobile:
        head = national[:4] if region.code == "AU" else national[:3]
        rest = national[len(head):]
        return rng.choice((f"{head} {rest[:3]} {rest[3:]}", f"{head}-{rest[:3]}-{rest[3:]}", f"{head} {rest}")) + ext
    area, rest = national[:2], national[2:]
    half = len(rest) // 2
    return rng.choice((f"({area}) {rest[:half]} {rest[half:]}", f"{area} {rest[:half]} {rest[half:]}")) + ext
