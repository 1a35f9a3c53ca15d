"""Errors of purchases, direct changes and refunds."""

from api.errors import Conflict, Forbidden, InvalidRequest, NotFound


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


class AdjustmentNeedsAdmin(Forbidden):
    """An ``adjust`` (a correction of any size, up or down) from a key that is not an admin
    key: a till's ``pos`` key earns, redeems and refunds, but may not make points up."""

    code, title = "adjustment_needs_admin", "Only an admin key may adjust a balance"
