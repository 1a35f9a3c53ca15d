"""Errors of purchases, direct changes and refunds."""

from api.errors import Conflict, InvalidRequest, NotFound


class TransactionNotFound(NotFound):
    code, title = "transaction_not_found", "Transaction not found"


class CurrencyMismatch(InvalidRequest):
    code, title = "currency_mismatch", "The purchase is in another currency than the program"


class WrongMechanic(InvalidRequest):
    code, title = "wrong_mechanic", "This program does not collect that"


class ReceiptAlreadyUsed(Conflict):
    code, title = "receipt_already_used", "This receipt_id was already used for another request"


class NotRefundable(InvalidRequest):
    code, title = "not_refundable", "Only purchases can be refunded"


class AlreadyRefunded(Conflict):
    code, title = "already_refunded", "This purchase has been refunded in full"


class RefundExceedsRemaining(InvalidRequest):
    code, title = "refund_exceeds_remaining", "The refund is larger than what remains"
