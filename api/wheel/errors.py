"""Errors of the wheel of fortune."""

from api.errors import Conflict, NotFound


class WheelNotFound(NotFound):
    code, title = "wheel_not_found", "This program has no wheel of fortune"


class NoSpinLeft(Conflict):
    code, title = "no_spin_left", "No spin is available: a qualifying purchase grants one"
