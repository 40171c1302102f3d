"""The demo's log files are the same on every run: no value depends on the process.

``str`` hashes are salted per process (PYTHONHASHSEED), so an identifier built from
``hash()`` would differ between two runs of ``trail-auditor demo`` and the evidence
package of one run could not be reproduced by another.
"""

from __future__ import annotations

import os
import subprocess
import sys

_PRINT_DIGEST = """
import hashlib, json
from datetime import UTC, datetime
from auditor.aws.demo_logs import demo_events
events = demo_events("111111111111", datetime(2026, 1, 1, 12, tzinfo=UTC), "audit-logs")
print(hashlib.sha256(json.dumps(events, sort_keys=True).encode()).hexdigest())
"""


def _digest(hash_seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    done = subprocess.run([sys.executable, "-c", _PRINT_DIGEST], env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def test_demo_events_do_not_depend_on_the_hash_seed() -> None:
    assert _digest("1") == _digest("2")
