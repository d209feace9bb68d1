"""Resources: the settings, the DuckDB warehouse and the Twenty workspace, configured from the environment.

Values are read from the environment when a step runs, not when the definitions are imported: a code
server or a test process imports the definitions once and may run many waves.
"""

import os

import dagster as dg

from core_practice_twenty.settings import Settings
from core_practice_twenty.store.warehouse import Warehouse
from core_practice_twenty.twenty.client import TwentyClient


class SettingsResource(dg.ConfigurableResource):
    """Every setting a person may change (settings.py: one table, README's settings), read when a step runs.

    `overrides` (variable → value) win over the environment: run config or a code location can set a value
    for its runs only, checked like the environment's."""

    overrides: dict[str, str] = {}

    def get(self) -> Settings:
        return Settings.from_env({**os.environ, **self.overrides})


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB file: `path`, else CPT_WAREHOUSE, else data/warehouse.duckdb; every connection is short."""

    settings: SettingsResource
    path: str | None = None

    def warehouse(self) -> Warehouse:
        settings = self.settings.get()
        return Warehouse(self.path or settings.warehouse, memory_limit=settings.duckdb_memory)


class TwentyResource(dg.ConfigurableResource):
    """A Twenty workspace: URL and API key from TWENTY_API_URL / TWENTY_API_KEY, pace by plan.

    `requests_per_minute` and `batch_cap` default to the settings (TWENTY_REQUESTS_PER_MINUTE,
    TWENTY_BATCH_CAP). The batch cap and the upload flow are learned from the server (twenty/facts.py); a
    configured cap only lowers it.
    """

    settings: SettingsResource
    api_url: str
    api_key: str
    requests_per_minute: float | None = None
    batch_cap: int | None = None

    def client(self) -> TwentyClient:
        client = TwentyClient(self.api_url, self.api_key, requests_per_minute=self.requests_per_minute,
                              batch_cap=self.batch_cap, settings=self.settings.get())
        try:
            client.learn()  # the server's batch cap and upload flow (asked once per process and workspace)
        except BaseException:
            client.close()
            raise
        return client


@dg.definitions
def resources() -> dg.Definitions:
    # One process per run: steps share the DuckDB file (one writer at a time anyway) and the Twenty
    # rate limit, and a step process would spend seconds importing pandas/pandera before any work.
    settings = SettingsResource()  # one reading of the settings for every resource, with a run's overrides
    return dg.Definitions(
        executor=dg.in_process_executor,
        resources={
            "settings": settings,
            "warehouse": WarehouseResource(settings=settings),
            "twenty": TwentyResource(settings=settings, api_url=dg.EnvVar("TWENTY_API_URL"),
                                     api_key=dg.EnvVar("TWENTY_API_KEY")),
        },
    )
