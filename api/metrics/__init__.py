"""What the service counts as it works, for ``/metrics`` (Prometheus, prometheus-client).

``instruments`` holds the counters and histograms each process updates: one-line calls from
the domains (a purchase, an enrolment, a wallet's answer, a job's run, the pool's
connections). It sits at the bottom of the layers so every domain may call it; the gauges
that are computed from the database at scrape time live above, in ``api.status``.
"""

import os
from pathlib import Path

# prometheus-client writes to PROMETHEUS_MULTIPROC_DIR from the first metric on: a directory
# named but not made yet (a fresh container volume) must not stop the process.
if _shared := os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    Path(_shared).mkdir(parents=True, exist_ok=True)
