"""The field map file itself, as the asset graph shows it: upstream of landing and of the confirmed map."""

import dagster as dg

field_map_file = dg.AssetSpec(
    "field_map_file",
    group_name="mapping",
    kinds={"yaml"},
    description="The field map a person edits and confirms (CPT_FIELD_MAP, `cpt map propose/confirm`), outside "
                "Dagster: landing reads its header spellings and options (a column the proposer recognised under "
                "another name, Windows-1252 lines), mapping its entries; field_map records which version ran.",
)
