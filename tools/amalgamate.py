#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Generate single_include/wmisub/wmisub.hpp from include/ (Python 3 standard library only).

Starting at include/wmisub/wmisub.hpp, every `#include "wmisub/..."` (or <wmisub/...>) line is
replaced by a `// #include "wmisub/..."` marker followed, the first time the file is met, by that
file's text, processed the same way. So each header appears once, after everything it includes
(dependency order), and exactly where the including file asked for it: an include inside
`#ifdef _WIN32 ... #endif` stays inside it. Only headers reachable from the umbrella are inlined
(the opt-in wmisub/json.hpp is not). `#pragma once` of inlined files is dropped; the output has
one banner and one `#pragma once`. Standard and system includes are kept as written.

    python3 tools/amalgamate.py                  write single_include/wmisub/wmisub.hpp
    python3 tools/amalgamate.py --output PATH    write PATH instead
    python3 tools/amalgamate.py --check          exit 1 if the output file is not what would be written
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INCLUDE_DIR = ROOT / "include"
UMBRELLA = "wmisub/wmisub.hpp"
DEFAULT_OUTPUT = ROOT / "single_include" / "wmisub" / "wmisub.hpp"

OWN_INCLUDE = re.compile(r'^\s*#\s*include\s*[<"](wmisub/[^">]+)[">]')
PRAGMA_ONCE = re.compile(r"^\s*#\s*pragma\s+once\b")
COND_OPEN = re.compile(r"^\s*#\s*if(n?def)?\b")
COND_ELSE = re.compile(r"^\s*#\s*(elif|elifdef|elifndef|else)\b")
COND_CLOSE = re.compile(r"^\s*#\s*endif\b")
VERSION_PART = re.compile(r"^#define WMISUB_VERSION_(MAJOR|MINOR|PATCH)\s+(\d+)\s*$", re.MULTILINE)


class AmalgamationError(Exception):
    pass


def read_version() -> str:
    text = (INCLUDE_DIR / "wmisub" / "config.hpp").read_text(encoding="utf-8")
    parts = dict(VERSION_PART.findall(text))
    if set(parts) != {"MAJOR", "MINOR", "PATCH"}:
        raise AmalgamationError("WMISUB_VERSION_MAJOR/MINOR/PATCH not found in include/wmisub/config.hpp")
    return f"{parts['MAJOR']}.{parts['MINOR']}.{parts['PATCH']}"


class Amalgamator:
    def __init__(self) -> None:
        # header -> the preprocessor context it was inlined in: a tuple of
        # (file, line of the #if, branch number) frames, empty when unconditional.
        self.inlined: dict[str, tuple[tuple[str, int, int], ...]] = {}
        self.stack: list[str] = []
        self.out: list[str] = []

    def inline(self, header: str, context: tuple[tuple[str, int, int], ...]) -> None:
        path = INCLUDE_DIR / header
        if not path.is_file():
            where = f" (included from {self.stack[-1]})" if self.stack else ""
            raise AmalgamationError(f"include/{header} not found{where}")
        self.inlined[header] = context
        self.stack.append(header)
        frames: list[list] = []  # open conditionals of this file: [line, branch]
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, start=1):
            if PRAGMA_ONCE.match(line):
                continue
            if COND_OPEN.match(line):
                frames.append([number, 0])
            elif COND_ELSE.match(line):
                if not frames:
                    raise AmalgamationError(f"include/{header}:{number}: #else/#elif without #if")
                frames[-1][1] += 1
            elif COND_CLOSE.match(line):
                if not frames:
                    raise AmalgamationError(f"include/{header}:{number}: #endif without #if")
                frames.pop()
            match = OWN_INCLUDE.match(line)
            if not match:
                self.out.append(line)
                continue
            child = match.group(1)
            here = context + tuple((header, n, b) for n, b in frames)
            self.out.append(f'// #include "{child}"')
            if child in self.stack:
                # A header including one that is still being inlined (A -> B -> A): under #pragma once
                # the inner include is a no-op, and so it is here.
                continue
            if child not in self.inlined:
                self.inline(child, here)
            elif self.inlined[child] != here[: len(self.inlined[child])]:
                # The first copy sits in a preprocessor branch this include is not inside of; on a
                # platform where that branch is skipped, this include would find nothing.
                raise AmalgamationError(
                    f"include/{header}:{number}: {child} was first inlined inside a conditional "
                    f"({self.describe(self.inlined[child])}) that does not enclose this include; "
                    "include it unconditionally first (e.g. earlier in the umbrella)"
                )
        if frames:
            raise AmalgamationError(f"include/{header}: unterminated #if opened on line {frames[-1][0]}")
        self.stack.pop()

    @staticmethod
    def describe(context: tuple[tuple[str, int, int], ...]) -> str:
        return ", ".join(f"include/{f}:{n} branch {b}" for f, n, b in context)


def generate() -> str:
    version = read_version()
    amalgamator = Amalgamator()
    amalgamator.inline(UMBRELLA, ())
    body = "\n".join(amalgamator.out).strip("\n")
    banner = [
        f"// wmisub {version}: single-header distribution of the wmisub SDK.",
        "// generated by tools/amalgamate.py from include/ \u2014 do not edit",
        "// SPDX-License-Identifier: MIT",
        "#pragma once",
        "",
    ]
    return "\n".join(banner) + "\n" + body + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT,
                        help="file to write or check (default: single_include/wmisub/wmisub.hpp)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if the output file differs from what would be generated")
    args = parser.parse_args(argv)

    try:
        text = generate()
    except (AmalgamationError, OSError, UnicodeDecodeError) as exc:
        print(f"amalgamate.py: error: {exc}", file=sys.stderr)
        return 2

    output: Path = args.output
    if args.check:
        try:
            current = output.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            current = None
        if current != text:
            state = "is missing" if current is None else "is stale: it differs from what include/ generates"
            print(f"amalgamate.py: {output} {state}.\n"
                  "Regenerate it with `python3 tools/amalgamate.py` and commit the result.", file=sys.stderr)
            return 1
        print(f"amalgamate.py: {output} is up to date")
        return 0

    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_bytes(text.encode("utf-8"))
    print(f"amalgamate.py: wrote {output} ({text.count(chr(10))} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
