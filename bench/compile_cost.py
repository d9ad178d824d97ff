#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""What including wmisub costs a host's translation unit, beside nlohmann/json in the same run.

Each case is a file that only includes one header, compiled with `-std=c++20 -fsyntax-only`; the
cases are interleaved round by round so machine noise hits them alike, and each figure is the
median of the rounds. Time is the compiler's CPU time (user + system), steadier than wall time on a
busy machine; peak compiler memory is its maximum resident set size.

    python3 bench/compile_cost.py [--cxx g++] [--rounds 5]

Goals (issue "tree and build"): compiled mode at most 1x nlohmann/json's time, header-only at
most 2x. The ratios, not the seconds, are the result: these machines are noisy.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CASES = [
    # name, source, extra flags
    ("nlohmann/json.hpp (reference)", "#include <nlohmann/json.hpp>\n", []),
    ("wmisub/wmisub.hpp header-only", "#include <wmisub/wmisub.hpp>\n", []),
    ("wmisub/wmisub.hpp compiled mode", "#include <wmisub/wmisub.hpp>\n", ["-DWMISUB_HEADER_ONLY=0"]),
    ("wmisub/fwd.hpp", "#include <wmisub/fwd.hpp>\n", []),
    ("wmisub/json.hpp header-only", "#include <wmisub/json.hpp>\n", []),
    ("wmisub/json.hpp compiled mode", "#include <wmisub/json.hpp>\n", ["-DWMISUB_HEADER_ONLY=0"]),
]


def measure(cxx: str, source: Path, flags: list[str]) -> tuple[float, int]:
    # A fresh process per compile, so the children's usage it reports is this compile's alone: CPU
    # time (user + system, steadier than wall time when the machine is busy) and peak memory.
    cmd = [sys.executable, "-c",
           "import resource,subprocess,sys;"
           "r=subprocess.run(sys.argv[1:]);"
           "u=resource.getrusage(resource.RUSAGE_CHILDREN);"
           "print(u.ru_utime+u.ru_stime, u.ru_maxrss);"
           "sys.exit(r.returncode)",
           cxx, "-std=c++20", "-fsyntax-only", f"-I{ROOT / 'include'}", *flags, str(source)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"compile failed: {' '.join(cmd[4:])}\n{done.stderr}")
    seconds, kib = done.stdout.strip().splitlines()[-1].split()
    return float(seconds), int(kib)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cxx", default=os.environ.get("CXX", "g++"))
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for i, (_, text, _) in enumerate(CASES):
            path = Path(tmp) / f"case{i}.cpp"
            path.write_text(text)
            files.append(path)
        times: list[list[float]] = [[] for _ in CASES]
        memory: list[list[int]] = [[] for _ in CASES]
        for _ in range(args.rounds):
            for i, (_, _, flags) in enumerate(CASES):
                seconds, kib = measure(args.cxx, files[i], flags)
                times[i].append(seconds)
                memory[i].append(kib)
    ref_time = statistics.median(times[0])
    ref_mem = statistics.median(memory[0])
    version = subprocess.run([args.cxx, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    print(f"{version}; median of {args.rounds} rounds, interleaved")
    print(f"{'case':36} {'time':>8} {'x nlohmann':>11} {'peak MB':>8} {'x nlohmann':>11}")
    for i, (name, _, _) in enumerate(CASES):
        t = statistics.median(times[i])
        m = statistics.median(memory[i])
        print(f"{name:36} {t:7.2f}s {t / ref_time:10.2f}x {m / 1024:8.0f} {m / ref_mem:10.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
