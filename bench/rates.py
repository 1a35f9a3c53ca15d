"""Rates measured in interleaved rounds, and how the benchmarks print them: min, median and
max of each series per wall and per CPU second, and the ratio of two series (of their medians,
and the median of the paired rounds, which cancels load that comes and goes)."""

from __future__ import annotations

import statistics

#: One round of one series: (per wall second, per CPU second).
Round = tuple[float, float]


def report(runs: dict[str, list[Round]], top: str, bottom: str, *, goal: str = "") -> None:
    """Print each series of ``runs`` and the ratio ``top`` / ``bottom`` (``goal``, if given,
    follows the ratio in brackets)."""
    for kind, index in (("wall", 0), ("CPU", 1)):
        medians = {}
        for label, values in runs.items():
            series = [value[index] for value in values]
            medians[label] = statistics.median(series)
            print(
                f"{label:<7} per {kind:<4} second: min {min(series):8.1f}  median "
                f"{medians[label]:8.1f}  max {max(series):8.1f} passes/s"
            )
        paired = statistics.median(
            a[index] / b[index] for a, b in zip(runs[top], runs[bottom], strict=True)
        )
        suffix = f" ({goal})" if goal else ""
        print(
            f"{top} / {bottom}, {kind}: {medians[top] / medians[bottom]:.1%} of the "
            f"medians, {paired:.1%} median of the paired rounds{suffix}"
        )
