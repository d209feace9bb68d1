"""Migration waves: `sample`, `full`, `delta-…`; one key per export snapshot migrated."""

import dagster as dg

waves = dg.DynamicPartitionsDefinition(name="waves")
