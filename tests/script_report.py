# SPDX-License-Identifier: MIT
"""The ending the output-checking scripts share (tests/ndjson_ecs.py, tests/sarif_check.py)."""
from __future__ import annotations

import sys


def finish(name: str, what: str, problems: list[str]) -> int:
    """Prints each problem on stderr and a summary line; the exit status: 1 when any problem."""
    for p in problems:
        print(p, file=sys.stderr)
    print(f"{name}: {what}, {len(problems)} problems")
    return 1 if problems else 0
