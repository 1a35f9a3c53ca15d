"""Many requests at the same moment against a running server, for the "at most N" races."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

import httpx2

Call = Callable[[httpx2.Client], httpx2.Response]


def at_once(base_url: str, calls: Sequence[Call], *, timeout: float = 60) -> list[httpx2.Response]:
    """Run each call on its own thread and connection, all released together by a barrier."""
    barrier = threading.Barrier(len(calls))

    def run(call: Call) -> httpx2.Response:
        with httpx2.Client(base_url=base_url, timeout=timeout) as http:
            barrier.wait()
            response = call(http)
            response.read()
            return response

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def outcomes(responses: Sequence[httpx2.Response]) -> Counter[tuple[int, str]]:
    """How many answers of each (status, problem type); a success's type is ``""``."""
    counted: Counter[tuple[int, str]] = Counter()
    for response in responses:
        problem = response.headers.get("content-type", "").startswith("application/problem+json")
        counted[response.status_code, response.json()["type"] if problem else ""] += 1
    return counted
