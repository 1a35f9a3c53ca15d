"""Errors of the Idempotency-Key header."""

from api.errors import InvalidRequest


class IdempotencyKeyReused(InvalidRequest):
    code, title = "idempotency_key_reused", "This Idempotency-Key was used for another request"


class InvalidIdempotencyKey(InvalidRequest):
    code, title = "invalid_idempotency_key", "The Idempotency-Key header is not valid"
