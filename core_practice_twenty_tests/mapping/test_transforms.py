"""Value-level transforms: every dirt kind of the export spec that a transform must absorb, and its edge cases."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from core_practice_twenty.mapping.transforms import (
    au_state_for_postcode,
    check_email,
    check_postcode,
    check_state,
    codes_text,
    compose_address,
    currency_code,
    full_name,
    iso_date,
    iso_datetime,
    parse_phone,
    phones_field,
    placeholder_email,
    plain_text_markdown,
    practice_timezone,
    to_micros,
)

# -- names -----------------------------------------------------------------------------------------


def test_full_name_keeps_the_legal_name_and_shows_a_different_preferred_name() -> None:
    assert full_name("Elizabeth", "Smith", preferred="Liz") == {"firstName": "Elizabeth (Liz)", "lastName": "Smith"}
    assert full_name("Liz", "Smith", preferred="liz") == {"firstName": "Liz", "lastName": "Smith"}
    assert full_name("  Mary   Ann ", " O'Brien ") == {"firstName": "Mary Ann", "lastName": "O'Brien"}
    assert full_name(None, "McDonald", preferred="Mac") == {"firstName": "Mac", "lastName": "McDonald"}
    assert full_name(None, "Nguyễn") == {"firstName": "", "lastName": "Nguyễn"}


# -- phones ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "region", "number", "country", "calling", "extension"), [
    ("0491 570 156", "AU", "491570156", "AU", "+61", None),
    ("0491-570-156 ext 12", "AU", "491570156", "AU", "+61", "12"),
    ("(02) 5550 1234", "AU", "255501234", "AU", "+61", None),
    ("+61491570156", "AU", "491570156", "AU", "+61", None),
    ("021 555 1234", "NZ", "215551234", "NZ", "+64", None),
    ("(212) 555-0123 x12", "US", "2125550123", "US", "+1", "12"),
    ("212.555.0123", "US", "2125550123", "US", "+1", None),
    ("+64 21 555 1234", "AU", "215551234", "NZ", "+64", None),  # a foreign number keeps its country
])
def test_local_and_international_phone_formats_become_twenty_phones(text, region, number, country, calling,
                                                                     extension) -> None:
    phone = parse_phone(text, region)
    assert phone is not None
    assert (phone.number, phone.country_code, phone.calling_code, phone.extension) == (number, country, calling,
                                                                                       extension)
    assert phone.e164 == f"{calling}{number}"


@pytest.mark.parametrize("text", ["abc", "12", "call reception", "", None, "n/a"])
def test_what_is_not_a_phone_number_is_none(text) -> None:
    assert parse_phone(text, "AU") is None


def test_phones_field_primary_additional_dedupe_and_reasons() -> None:
    result = phones_field([("mobile_phone", "0491 570 156 ext 4"), ("home_phone", "+61491570156"),
                           ("work_phone", "(02) 5550 1234")], "AU")
    assert result.value == {
        "primaryPhoneNumber": "491570156", "primaryPhoneCountryCode": "AU", "primaryPhoneCallingCode": "+61",
        "additionalPhones": [{"number": "255501234", "countryCode": "AU", "callingCode": "+61"}],
    }
    assert result.notes == ["phone_extension_dropped:mobile_phone"]
    assert result.reasons == []

    broken = phones_field([("mobile_phone", "ring the office"), ("home_phone", "(03) 7010 5555")], "AU")
    assert broken.value["primaryPhoneNumber"] == "370105555"  # the readable one becomes primary
    assert broken.value["additionalPhones"] is None
    assert broken.reasons == ["phone_unparseable:mobile_phone"]
    assert phones_field([("mobile_phone", None)], "AU").value is None


# -- emails ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "email", "problem"), [
    ("Jane.Citizen@Example.COM", "jane.citizen@example.com", None),
    ("  mailto:jane@example.org ", "jane@example.org", None),
    (None, None, "missing"),
    ("", None, "missing"),
    ("n/a", None, "missing"),
    ("N/A", None, "missing"),
    ("none", None, "missing"),
    ("john.smith@", None, "malformed"),
    ("jsmith at gmail.com", None, "malformed"),
    ("a@b", None, "malformed"),
    ("two@example.com; three@example.com", None, "malformed"),
])
def test_check_email_tells_missing_from_malformed(text, email, problem) -> None:
    assert (check_email(text).email, check_email(text).problem) == (email, problem)


def test_placeholder_is_unique_per_record_and_undeliverable() -> None:
    assert placeholder_email("PT0000123", "no-email.invalid") == "pt0000123@no-email.invalid"
    assert placeholder_email("A B/C", "no-email.invalid") == "a-b-c@no-email.invalid"


# -- addresses -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "region", "value", "status"), [
    ("NSW", "AU", "NSW", "valid"),
    ("vic.", "AU", "VIC", "valid"),
    ("Queensland", "AU", "QLD", "valid"),
    ("N.S.W", "AU", "NSW", "repaired"),
    ("Q'ld", "AU", "QLD", "repaired"),
    ("Vict", "AU", "VIC", "repaired"),
    ("NSWW", "AU", "NSWW", "invalid"),
    ("XX", "AU", "XX", "invalid"),
    ("ca", "US", "CA", "valid"),
    ("Calif", "US", "CA", "repaired"),
    ("Mass", "US", "MA", "repaired"),
    ("N.Y", "US", "NY", "repaired"),
    ("Penn", "US", "PA", "repaired"),
    ("Auckland", "NZ", "Auckland", "valid"),
    ("AUK", "NZ", "Auckland", "valid"),
    ("Wellington", "NZ", "Wellington", "valid"),
    ("Aukland", "NZ", "Auckland", "repaired"),
    ("Canterbery", "NZ", "Canterbury", "repaired"),
    ("Chch", "NZ", "Chch", "invalid"),
    ("Wgtn", "NZ", "Wgtn", "invalid"),
    (None, "AU", None, "empty"),
])
def test_states_are_validated_against_the_regions_subdivisions(raw, region, value, status) -> None:
    check = check_state(raw, region)
    assert (check.value, check.status) == (value, status)


@pytest.mark.parametrize(("raw", "region", "value", "status"), [
    ("0800", "AU", "0800", "valid"),
    ("800", "AU", "0800", "repaired"),
    ("800.0", "AU", "0800", "repaired"),  # what a spreadsheet round trip leaves
    ("2000", "AU", "2000", "valid"),
    ("20000", "AU", "20000", "invalid"),
    ("ABC", "AU", "ABC", "invalid"),
    ("624", "NZ", "0624", "repaired"),
    ("2134", "US", "02134", "repaired"),
    ("2134-1234", "US", "02134-1234", "repaired"),
    ("90210", "US", "90210", "valid"),
    ("9021O", "US", "9021O", "invalid"),
    (None, "US", None, "empty"),
])
def test_postcodes_get_their_leading_zero_back(raw, region, value, status) -> None:
    check = check_postcode(raw, region)
    assert (check.value, check.status) == (value, status)


def test_a_domestic_address_is_composed_repaired_and_flagged() -> None:
    result = compose_address(street1="8 Main Rd", street2="Unit 3", city="Parap", state="N.T.", postcode="820",
                             country="Australia", region="AU", column_prefix="patient_")
    assert result.value == {"addressStreet1": "8 Main Rd", "addressStreet2": "Unit 3", "addressCity": "Parap",
                            "addressState": "NT", "addressPostcode": "0820", "addressCountry": "AU"}
    assert result.reasons == ["state_repaired:patient_state", "postcode_repaired:patient_postcode"]
    assert not result.international


def test_an_au_state_typed_wrong_is_corrected_from_the_postcode() -> None:
    result = compose_address(street1="58 Main Rd", street2=None, city="Bunbury", state="NSWW", postcode="6230",
                             country="AU", region="AU")
    assert result.value["addressState"] == "WA"
    assert result.reasons == ["state_from_postcode:state"]
    assert au_state_for_postcode("2600") == "ACT" and au_state_for_postcode("0820") == "NT"
    assert au_state_for_postcode("12") is None


def test_an_address_abroad_is_read_by_its_own_countrys_rules_where_the_region_table_has_them() -> None:
    """An NZ address in an AU export: NZ regions and 4-digit NZ postcodes, not AU's; a UK one as written."""
    result = compose_address(street1="69 Queen St", street2=None, city="Wellington Central", state="Wgtn",
                             postcode="601", country="New Zealand", region="AU")
    assert result.value["addressCountry"] == "NZ"
    assert result.value["addressPostcode"] == "0601"  # an NZ postcode that lost its zero, restored as NZ's
    assert result.reasons == ["state_invalid:state", "postcode_repaired:postcode"]  # "Wgtn": not an NZ region
    assert result.notes == ["international_address"] and result.international
    fine = compose_address(street1="9 Main Rd", street2=None, city="Palmerston North", state="Manawatu-Wanganui",
                           postcode="4410", country="NZ", region="AU")  # the pre-2019 name, without macron
    assert fine.reasons == []  # a valid NZ region
    darwin = compose_address(street1="1 Smith St", street2=None, city="Darwin", state="NT", postcode="800",
                             country="Australia", region="NZ")  # Excel lost the zero of an AU postcode
    assert darwin.value["addressPostcode"] == "0800" and darwin.value["addressState"] == "NT"
    uk = compose_address(street1="1 High St", street2=None, city="London", state=None, postcode="SW1A 1AA",
                         country="United Kingdom", region="US")
    assert uk.value["addressCountry"] == "GB" and uk.international and uk.value["addressPostcode"] == "SW1A 1AA"


def test_a_suburb_is_the_locality_in_australia_and_a_line_above_the_town_in_new_zealand() -> None:
    nz = compose_address(street1="12 Campbell St", street2=None, suburb="Karori", city="Wellington", state=None,
                         postcode="6012", country=None, region="NZ")
    assert (nz.value["addressStreet2"], nz.value["addressCity"]) == ("Karori", "Wellington")
    au = compose_address(street1="3 Kent Rd", street2=None, suburb="Karingal", city=None, state="VIC",
                         postcode="3199", country=None, region="AU")
    assert (au.value["addressStreet2"], au.value["addressCity"]) == (None, "Karingal")
    nz_in_au = compose_address(street1="5 Rata St", street2="Flat 2", suburb="Karori", city="Wellington",
                               state=None, postcode="6012", country="New Zealand", region="AU")
    assert (nz_in_au.value["addressStreet2"], nz_in_au.value["addressCity"]) == ("Flat 2, Karori", "Wellington")


def test_address_edge_cases() -> None:
    assert compose_address(street1=None, street2=None, city=None, state=None, postcode=None, country=None,
                           region="AU").value is None
    assumed = compose_address(street1="1 A St", street2=None, city="Hobart", state="TAS", postcode="7000",
                              country=None, region="AU")
    assert assumed.value["addressCountry"] == "AU" and assumed.reasons == []
    unknown = compose_address(street1="1 A St", street2=None, city="X", state=None, postcode=None,
                              country="Narnia", region="AU")
    assert unknown.value["addressCountry"] is None
    assert unknown.reasons == ["country_unrecognised:country"]


# -- money -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "region", "currency", "expected"), [
    ("1,234.50", "AU", None, {"amountMicros": 1_234_500_000, "currencyCode": "AUD"}),
    ("$80", "NZ", None, {"amountMicros": 80_000_000, "currencyCode": "NZD"}),
    ("(12.00)", "US", None, {"amountMicros": -12_000_000, "currencyCode": "USD"}),
    ("-0.10", "AU", "aud", {"amountMicros": -100_000, "currencyCode": "AUD"}),
    ("99.99", "AU", "NZD", {"amountMicros": 99_990_000, "currencyCode": "NZD"}),
    ("0.30", "AU", "XYZ", {"amountMicros": 300_000, "currencyCode": "AUD"}),
    ("abc", "AU", None, None),
    (None, "AU", None, None),
])
def test_money_becomes_currency_with_exact_micros(text, region, currency, expected) -> None:
    """The readings a plan joins per distinct cell: the amount in micros, the currency as ISO 4217."""
    from core_practice_twenty.mapping.sql.compile import micros_text

    micros = micros_text(text) if text is not None else None
    found = None if micros is None else {"amountMicros": int(micros), "currencyCode": currency_code(currency, region)}
    assert found == expected


def test_micros_are_exact_integers() -> None:
    assert to_micros(0.1 + 0.2) == 300_000  # no float drift past the micro
    assert to_micros("1234.5678905") == 1_234_567_891
    assert isinstance(to_micros(5), int)
    assert currency_code(None, "US") == "USD"


# -- dates -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "region", "expected"), [
    ("03/04/2025", "AU", "2025-04-03"),
    ("03/04/2025", "US", "2025-03-04"),
    ("2025-04-03", "US", "2025-04-03"),
    ("45000", "AU", "2023-03-15"),  # Excel serial
    ("31/02/2020", "AU", None),
    ("soon", "AU", None),
    (None, "AU", None),
])
def test_dates_become_iso_in_the_regions_order(text, region, expected) -> None:
    assert iso_date(text, region) == expected


def test_datetimes_are_read_in_the_practice_zone_and_sent_in_utc() -> None:
    assert iso_datetime("15/07/2024 08:15", "AU", practice_timezone("AU", "NSW")) == "2024-07-14T22:15:00Z"
    assert iso_datetime("15/07/2024 08:15", "AU", practice_timezone("AU", "WA")) == "2024-07-15T00:15:00Z"
    assert iso_datetime("03/04/2025 09:30 AM", "US", practice_timezone("US", "NY")) == "2025-03-04T14:30:00Z"
    assert iso_datetime("2025-01-10 09:00", "NZ") == "2025-01-09T20:00:00Z"
    assert iso_datetime("not a date", "AU") is None


def test_practice_time_zones() -> None:
    assert practice_timezone("AU", "Western Australia") == ZoneInfo("Australia/Perth")
    assert practice_timezone("AU", "QLD") == ZoneInfo("Australia/Brisbane")
    assert practice_timezone("US", "Calif") == ZoneInfo("America/Los_Angeles")
    assert practice_timezone("NZ", "Canterbury") == ZoneInfo("Pacific/Auckland")
    assert practice_timezone("AU", "XX") == ZoneInfo("Australia/Sydney")
    assert practice_timezone("US") == ZoneInfo("America/New_York")
    assert datetime(2025, 1, 1, tzinfo=practice_timezone("AU", "SA")).utcoffset() != datetime(
        2025, 1, 1, tzinfo=UTC).utcoffset()


# -- status and enum maps --------------------------------------------------------------------------


@pytest.mark.parametrize(("obj", "column", "target", "raw", "expected"), [
    ("appointments", "status", "tasks.appointmentStatus", "FTA", "NO_SHOW"),
    ("appointments", "status", "tasks.appointmentStatus", "No Show", "NO_SHOW"),
    ("appointments", "status", "tasks.status", "DNA", "DONE"),  # appointments.status→task.status
    ("appointments", "status", "tasks.status", "Booked", "TODO"),
    ("appointments", "status", "tasks.status", "confirmed", "TODO"),
    ("patients", "status", "people.patientStatus", "current", "ACTIVE"),
    ("patients", "status", "people.patientStatus", "Archived", "ARCHIVED"),
    ("treatment_plans", "status", "treatmentPlans.treatmentStatus", "in progress", "IN_PROGRESS"),
    ("treatment_plans", "status", "opportunities.stage", "Quoted", "PROPOSAL"),
    ("treatment_plans", "status", "opportunities.stage", "Completed", None),
    ("invoices", "status", "invoices.invoiceStatus", "part paid", "OUTSTANDING"),
    ("insurance_claims", "status", "insuranceClaims.claimStatus", "Lodged", "SUBMITTED"),
    ("providers", "provider_type", "people.providerType", "OHT", "ORAL_HEALTH_THERAPIST"),
    ("patients", "status", "people.patientStatus", "Gone fishing", None),
    ("patients", "status", "people.patientStatus", None, None),
])
def test_status_maps_accept_every_spelling_of_the_export_spec(obj, column, target, raw, expected) -> None:
    """What a status entry sends into a field: the map meant for that field (`<key>→<object>.<field>`) where there
    is one, else the entry's own, after the value set's spellings (compile.status_mapping, read per distinct cell)."""
    from core_practice_twenty.mapping.sql.compile import status_mapping
    from core_practice_twenty.mapping.transforms import canonical

    mapping = status_mapping(obj, column, target, f"{obj}.{column}")
    assert mapping.get(canonical(obj, column, raw) or "") == expected


# -- small ones ------------------------------------------------------------------------------------


def test_codes_text_reads_either_separator() -> None:
    assert codes_text("011;114") == "011, 114"
    assert codes_text(" 16 , 26;16 ") == "16, 26"
    assert codes_text(None) is None and codes_text(" ; ") is None


def test_plain_text_notes_render_as_written() -> None:
    body = "Items: 011, 114.\n# not a heading\n- not a list\n*really* fine_ok\r\n\r\n1. not a list"
    markdown = plain_text_markdown(body)
    assert markdown.split("\n\n") == ["Items: 011, 114.", "\\# not a heading", "\\- not a list",
                                      "\\*really\\* fine\\_ok", "1\\. not a list"]
    assert plain_text_markdown("") is None and plain_text_markdown(None) is None



def test_phones_are_read_in_the_patients_own_country_and_a_misfit_is_flagged() -> None:
    from core_practice_twenty.mapping.transforms import phones_field

    nz = phones_field([("mobile_phone", "021 555 1234")], "AU", country="NZ")
    assert (nz.value["primaryPhoneCallingCode"], nz.value["primaryPhoneNumber"]) == ("+64", "215551234")
    assert nz.value["primaryPhoneCountryCode"] == "NZ" and nz.reasons == []
    # an Australian mobile in an NZ patient's record is no NZ number: kept as the region's, for review
    misfit = phones_field([("mobile_phone", "0491 570 156")], "AU", country="NZ")
    assert misfit.value["primaryPhoneCallingCode"] == "+61"
    assert misfit.reasons == ["phone_country_mismatch:mobile_phone"]
    # no country on the record: the export's region, as before
    au = phones_field([("mobile_phone", "0491 570 156")], "AU")
    assert au.value["primaryPhoneCallingCode"] == "+61" and au.reasons == []
