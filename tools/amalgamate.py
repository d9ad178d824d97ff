#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Generate the single headers in single_include/wmisub/ from include/ (Python 3 standard library only).

Two single headers are written:

  single_include/wmisub/wmisub.hpp  everything <wmisub/wmisub.hpp> reaches (the portable library)
  single_include/wmisub/json.hpp    the opt-in JSON adapter and the snapshot collector
                                    (<wmisub/json.hpp>, <wmisub/sources/snapshot.hpp>); it includes
                                    "wmisub.hpp" from its own folder and needs nlohmann/json

Starting at each root, every `#include "wmisub/..."` (or <wmisub/...>) line is replaced by a
`// #include "wmisub/..."` marker followed, the first time the file is met, by that file's text,
processed the same way. So each header appears once, after everything it includes (dependency
order), and exactly where the including file asked for it: an include inside `#ifdef _WIN32 ...
#endif` stays inside it.

Implementation files (`impl/*.inl`) are not inlined where their header includes them: they are
collected and written together at the end, inside one `#if WMISUB_INCLUDE_IMPLEMENTATION` block.
So a single header supports both modes, like include/: header-only by default, and with
WMISUB_HEADER_ONLY=0 it only declares, except in the one translation unit that defines
WMISUB_IMPLEMENTATION. `#pragma once` of inlined files is dropped; each output has one banner and
one `#pragma once`. Standard and system includes are kept as written.

    python3 tools/amalgamate.py                  write both single headers
    python3 tools/amalgamate.py --output PATH    write the main single header to PATH, json.hpp beside it
    python3 tools/amalgamate.py --output-dir DIR write them into DIR instead
    python3 tools/amalgamate.py --check          exit 1 if a committed single header is not what would be written
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INCLUDE_DIR = ROOT / "include"
DEFAULT_OUTPUT_DIR = ROOT / "single_include" / "wmisub"

OWN_INCLUDE = re.compile(r'^\s*#\s*include\s*[<"](wmisub/[^">]+)[">]')
PRAGMA_ONCE = re.compile(r"^\s*#\s*pragma\s+once\b")
COND_OPEN = re.compile(r"^\s*#\s*if(n?def)?\b")
COND_ELSE = re.compile(r"^\s*#\s*(elif|elifdef|elifndef|else)\b")
COND_CLOSE = re.compile(r"^\s*#\s*endif\b")
VERSION_PART = re.compile(r"^#define WMISUB_VERSION_(MAJOR|MINOR|PATCH)\s+(\d+)\s*$", re.MULTILINE)

# The preprocessor context of the implementation section at the end of each output.
IMPLEMENTATION_CONTEXT = (("<implementation section>", 0, 0),)


@dataclass(frozen=True)
class SingleHeader:
    name: str                  # file name in the output directory
    roots: tuple[str, ...]     # headers it starts from
    base: str | None           # single header it includes first (its headers are not repeated)
    summary: str               # one line for the banner


SINGLE_HEADERS = (
    SingleHeader("wmisub.hpp", ("wmisub/wmisub.hpp",), None,
                 "the portable library (everything <wmisub/wmisub.hpp> includes)"),
    SingleHeader("json.hpp", ("wmisub/json.hpp", "wmisub/sources/snapshot.hpp"), "wmisub.hpp",
                 "the JSON adapter and the snapshot collector; needs nlohmann/json"),
)


class AmalgamationError(Exception):
    pass


def read_version() -> str:
    text = (INCLUDE_DIR / "wmisub" / "config.hpp").read_text(encoding="utf-8")
    parts = dict(VERSION_PART.findall(text))
    if set(parts) != {"MAJOR", "MINOR", "PATCH"}:
        raise AmalgamationError("WMISUB_VERSION_MAJOR/MINOR/PATCH not found in include/wmisub/config.hpp")
    return f"{parts['MAJOR']}.{parts['MINOR']}.{parts['PATCH']}"


def is_implementation_file(header: str) -> bool:
    return header.endswith(".inl")


class Amalgamator:
    def __init__(self, already_included: frozenset[str] = frozenset()) -> None:
        # header -> the preprocessor context it was inlined in: a tuple of
        # (file, line of the #if, branch number) frames, empty when unconditional.
        self.inlined: dict[str, tuple[tuple[str, int, int], ...]] = {}
        # Headers another single header (included first) already holds.
        self.external = already_included
        self.stack: list[str] = []
        self.out: list[str] = []
        self.deferred: list[str] = []  # implementation files, in the order first met
        self.in_implementation = False

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
            self.out.append(f'// #include "{child}"')
            self.include(child, context + tuple((header, n, b) for n, b in frames), header, number)
        if frames:
            raise AmalgamationError(f"include/{header}: unterminated #if opened on line {frames[-1][0]}")
        self.stack.pop()

    def include(self, child: str, here: tuple[tuple[str, int, int], ...], header: str, number: int) -> None:
        if child in self.external:
            return
        if is_implementation_file(child) and not self.in_implementation:
            # Written in the implementation section at the end, after every declaration.
            if child not in self.deferred:
                self.deferred.append(child)
            return
        if child in self.stack:
            # A file including one that is still being inlined (A -> B -> A): under #pragma once
            # the inner include is a no-op, and so it is here.
            return
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

    def implementation_section(self) -> None:
        if not self.deferred:
            return
        self.in_implementation = True
        self.out += [
            "",
            "// Implementation: the definitions of everything declared above. Compiled in every",
            "// translation unit in header-only mode (the default); with WMISUB_HEADER_ONLY=0, only",
            "// in the one translation unit that defines WMISUB_IMPLEMENTATION.",
            "#if WMISUB_INCLUDE_IMPLEMENTATION",
        ]
        done = 0
        while done < len(self.deferred):  # an implementation file may name further ones
            child = self.deferred[done]
            done += 1
            if child not in self.inlined:
                self.out.append(f'// #include "{child}"')
                self.inline(child, IMPLEMENTATION_CONTEXT)
        self.out.append("#endif  // WMISUB_INCLUDE_IMPLEMENTATION")

    @staticmethod
    def describe(context: tuple[tuple[str, int, int], ...]) -> str:
        return ", ".join(f"include/{f}:{n} branch {b}" for f, n, b in context)


def generate_one(spec: SingleHeader, version: str, already_included: frozenset[str]) -> tuple[str, frozenset[str]]:
    amalgamator = Amalgamator(already_included)
    if spec.base is not None:
        amalgamator.out.append(f'#include "{spec.base}"')
    for root in spec.roots:
        amalgamator.out.append(f'// #include "{root}"')
        amalgamator.include(root, (), "<root>", 0)
    amalgamator.implementation_section()
    body = "\n".join(amalgamator.out).strip("\n")
    banner = [
        f"// wmisub {version}: single-header distribution of the wmisub SDK: {spec.summary}.",
        "// generated by tools/amalgamate.py from include/ \u2014 do not edit",
        "// SPDX-License-Identifier: MIT",
        "#pragma once",
        "",
    ]
    return "\n".join(banner) + "\n" + body + "\n", already_included | frozenset(amalgamator.inlined)


def generate() -> dict[str, str]:
    version = read_version()
    outputs: dict[str, str] = {}
    included: frozenset[str] = frozenset()
    for spec in SINGLE_HEADERS:
        outputs[spec.name], included = generate_one(spec, version, included)
    return outputs


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", type=Path, default=DEFAULT_OUTPUT_DIR,
                        help="folder to write or check (default: single_include/wmisub)")
    parser.add_argument("--output", type=Path, default=None,
                        help="file for the main single header (DESIGN.md's contract); json.hpp goes beside it")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a file in the output folder differs from what would be generated")
    args = parser.parse_args(argv)

    try:
        outputs = generate()
    except (AmalgamationError, OSError, UnicodeDecodeError) as exc:
        print(f"amalgamate.py: error: {exc}", file=sys.stderr)
        return 2

    out_dir: Path = args.output_dir
    if args.output is not None:
        main_name = SINGLE_HEADERS[0].name
        outputs = {(args.output.name if name == main_name else name): text for name, text in outputs.items()}
        out_dir = args.output.parent
    if args.check:
        stale = 0
        for name, text in outputs.items():
            output = out_dir / name
            try:
                current = output.read_bytes().decode("utf-8")
            except (OSError, UnicodeDecodeError):
                current = None
            if current != text:
                state = "is missing" if current is None else "is stale: it differs from what include/ generates"
                print(f"amalgamate.py: {output} {state}.", file=sys.stderr)
                stale += 1
            else:
                print(f"amalgamate.py: {output} is up to date")
        if stale:
            print("Regenerate with `python3 tools/amalgamate.py` and commit the result.", file=sys.stderr)
            return 1
        return 0

    out_dir.mkdir(parents=True, exist_ok=True)
    for name, text in outputs.items():
        output = out_dir / name
        output.write_bytes(text.encode("utf-8"))
        print(f"amalgamate.py: wrote {output} ({text.count(chr(10))} lines)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
