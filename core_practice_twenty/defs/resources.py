"""Resources: the DuckDB warehouse and the Twenty workspace, configured from the environment."""


import os

import dagster as dg

from core_practice_twenty.store.warehouse import Warehouse, warehouse_path
from core_practice_twenty.twenty.client import DEFAULT_BATCH_CAP, TwentyClient


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB file (CPT_WAREHOUSE, default data/warehouse.duckdb); every connection is short."""

    path: str

    def warehouse(self) -> Warehouse:
        return Warehouse(self.path)


class TwentyResource(dg.ConfigurableResource):
    """A Twenty workspace: URL and API key from TWENTY_API_URL / TWENTY_API_KEY, pace by plan."""

    api_url: str
    api_key: str
    requests_per_minute: float = 100.0
    batch_cap: int = DEFAULT_BATCH_CAP

    def client(self) -> TwentyClient:
        return TwentyClient(self.api_url, self.api_key, requests_per_minute=self.requests_per_minute,
                            batch_cap=self.batch_cap)


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(
        resources={
            "warehouse": WarehouseResource(path=str(warehouse_path())),
            "twenty": TwentyResource(
                api_url=dg.EnvVar("TWENTY_API_URL"),
                api_key=dg.EnvVar("TWENTY_API_KEY"),
                requests_per_minute=float(os.environ.get("TWENTY_REQUESTS_PER_MINUTE", "100")),
                batch_cap=int(os.environ.get("TWENTY_BATCH_CAP", str(DEFAULT_BATCH_CAP))),
            ),
        }
    )
