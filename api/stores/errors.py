"""Errors about stores and their CSV import (the one ``store_not_found`` of the service)."""

from api.errors import InvalidRequest, NotFound


class StoreNotFound(NotFound):
    code, title = "store_not_found", "Store not found"


class TooManyBeaconUuids(InvalidRequest):
    code, title = "too_many_beacon_uuids", "Too many beacon UUIDs"


class BadStoreImport(InvalidRequest):
    code, title = "bad_store_import", "The CSV file has errors; nothing was imported"
