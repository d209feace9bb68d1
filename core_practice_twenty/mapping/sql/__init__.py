"""The confirmed map compiled to SQL over the raw tables: where most of the export's records are made.

Mapping in Python costs ~10 µs per cell and ~100 µs per record; a 250,000-patient group has 7.8 M records. Here a
source object's records are one `SELECT` over its raw table (`plans`), each payload field an expression compiled from
the map entry that names it (`cells`: the transform vocabulary in SQL), the payload built as canonical JSON by DuckDB
(`payload`) so its sha256 is the record's `payload_hash`. What needs a library or a policy spanning records is made
once per distinct value or per decision in Python and joined in as a table (`Lookup`, `MappingContext`).
"""

COMPILED_OBJECTS = ("practices", "providers", "patients", "treatment_plans", "invoices", "insurance_claims",
                    "appointments", "clinical_notes", "documents")
"""The source objects staged by compiled plans, in the order they run (`stage.PLANS` follows it): what a map entry
can do that only the compiled plans apply (a status entry's own `values`) is refused at confirm elsewhere."""
