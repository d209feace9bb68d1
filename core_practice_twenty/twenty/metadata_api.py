"""Objects and fields over Twenty's metadata API, as the schema step and the upload flow read them."""

from __future__ import annotations

from typing import Any

from core_practice_twenty.twenty.errors import TwentyApiError
from core_practice_twenty.twenty.transport import Transport


class MetadataApi(Transport):
    """Objects and fields over /rest/metadata (not charged to the API throttle)."""

    def list_objects(self) -> list[dict]:
        """Every object of the workspace with its fields (both metadata envelopes Twenty uses)."""
        objects: list[dict] = []
        params: dict[str, Any] = {"limit": 200}
        while True:
            body = self.request("GET", "/rest/metadata/objects", params=params)
            data = body.get("data")
            page = data["objects"] if isinstance(data, dict) else data
            objects.extend(page)
            info = body.get("pageInfo") or {}
            if not info.get("hasNextPage") or not info.get("endCursor"):
                return objects
            params["starting_after"] = info["endCursor"]

    def _objects(self) -> list[dict]:
        if getattr(self, "_objects_cache", None) is None:
            self._objects_cache = self.list_objects()
        return self._objects_cache

    def create_object(self, object_input: dict) -> dict:
        """Create a custom object; a retry refused because the first attempt already created it returns it.

        Metadata creates are not idempotent: when the answer to a create is lost (connection reset after
        Twenty committed), the retry gets `The name "x" is not available`. The object then exists, made
        by this very call, so it is returned instead of failing the schema step.
        """
        try:
            body = self.request("POST", "/rest/metadata/objects", json=object_input)
        except TwentyApiError as exc:
            if exc.status == 400 and exc.attempts > 1:
                found = next((o for o in self.list_objects()
                              if o.get("nameSingular") == object_input.get("nameSingular")), None)
                if found is not None:
                    return found
            raise
        data = body.get("data", body)
        return data.get("createOneObject", data) if isinstance(data, dict) else data

    def update_field(self, field_id: str, changes: dict) -> dict:
        body = self.request("PATCH", f"/rest/metadata/fields/{field_id}", json=changes)
        data = body.get("data", body)
        return data.get("updateOneField", data) if isinstance(data, dict) else data

    def create_field(self, field_input: dict) -> dict:
        """Create a field; like `create_object`, a retry refused because its lost first attempt created the
        field (`Name "x" is not available`) returns the field Twenty now holds."""
        try:
            body = self.request("POST", "/rest/metadata/fields", json=field_input)
        except TwentyApiError as exc:
            if exc.status == 400 and exc.attempts > 1:
                holder = next((o for o in self.list_objects() if o.get("id") == field_input.get("objectMetadataId")),
                              {})
                found = next((f for f in holder.get("fields") or [] if f.get("name") == field_input.get("name")),
                             None)
                if found is not None:
                    return found
            raise
        data = body.get("data", body)
        return data.get("createOneField", data) if isinstance(data, dict) else data

