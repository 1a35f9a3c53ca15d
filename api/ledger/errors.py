"""Errors of the ledger: a debit larger than the balance."""

from api.errors import Conflict


class InsufficientBalance(Conflict):
    code, title = "insufficient_balance", "Not enough points"


class InsufficientStamps(Conflict):
    code, title = "insufficient_stamps", "Not enough stamps"
