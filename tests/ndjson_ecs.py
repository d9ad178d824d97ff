#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks `wmisub scan --format ndjson` against the Elastic Common Schema 8.11 field list.

Every field outside the custom `wmisub` field set must be an ECS field with a value of its
type (ECS allows an array wherever a value goes), and the fields with allowed values must use
them. One document per subscription; `-q` keeps only alerts.

    python3 tests/ndjson_ecs.py <wmisub binary> <source dir>
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from script_report import finish

# The ECS 8.11 fields wmisub writes, with their ECS types (reference: the ECS field reference,
# "ECS Field Reference" of version 8.11). keyword/text/wildcard/match_only_text are strings;
# long and float are numbers; date is an ISO 8601 string.
ECS_FIELDS = {
    "@timestamp": "date",
    "message": "match_only_text",
    "ecs.version": "keyword",
    "event.kind": "keyword",
    "event.category": "keyword",
    "event.type": "keyword",
    "event.id": "keyword",
    "event.module": "keyword",
    "event.dataset": "keyword",
    "event.provider": "keyword",
    "event.severity": "long",
    "event.risk_score": "float",
    "rule.id": "keyword",
    "rule.name": "keyword",
    "rule.ruleset": "keyword",
    "rule.version": "keyword",
    "threat.framework": "keyword",
    "threat.tactic.id": "keyword",
    "threat.tactic.name": "keyword",
    "threat.technique.id": "keyword",
    "threat.technique.name": "keyword",
    "threat.technique.subtechnique.id": "keyword",
    "threat.technique.subtechnique.name": "keyword",
    "host.name": "keyword",
    "process.command_line": "wildcard",
    "process.executable": "keyword",
    "file.path": "keyword",
    "observer.product": "keyword",
    "observer.type": "keyword",
    "observer.version": "keyword",
}

ALLOWED_VALUES = {
    "event.kind": {"alert", "asset", "enrichment", "event", "metric", "state", "pipeline_error", "signal"},
    "event.category": {"api", "authentication", "configuration", "database", "driver", "email", "file", "host",
                       "iam", "intrusion_detection", "library", "malware", "network", "package", "process",
                       "registry", "session", "threat", "vulnerability", "web"},
    "event.type": {"access", "admin", "allowed", "change", "connection", "creation", "deletion", "denied", "end",
                   "error", "group", "indicator", "info", "installation", "protocol", "start", "user"},
}

STRING_TYPES = {"keyword", "wildcard", "match_only_text", "date"}


def leaves(doc: dict, prefix: str = ""):
    for key, value in doc.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from leaves(value, path + ".")
        else:
            yield path, value


def check_value(path: str, value, problems: list[str]) -> None:
    kind = ECS_FIELDS[path]
    values = value if isinstance(value, list) else [value]
    for v in values:
        if kind in STRING_TYPES and not isinstance(v, str):
            problems.append(f"{path}: {v!r} is not a string ({kind})")
        if kind in ("long", "float") and (isinstance(v, bool) or not isinstance(v, (int, float))):
            problems.append(f"{path}: {v!r} is not a number ({kind})")
        if path in ALLOWED_VALUES and v not in ALLOWED_VALUES[path]:
            problems.append(f"{path}: {v!r} is not an allowed value")


def scan(wmisub: str, source: Path, *extra: str) -> list[dict]:
    done = subprocess.run([wmisub, "scan", "--mof", str(source / "examples" / "samples"), "--format", "ndjson",
                           "--fail-on", "high", *extra], capture_output=True, text=True)
    if done.returncode not in (0, 1):
        sys.exit(f"wmisub exited {done.returncode}: {done.stderr}")
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def main() -> int:
    wmisub, source = sys.argv[1], Path(sys.argv[2])
    documents = scan(wmisub, source)
    problems: list[str] = []
    if not documents:
        problems.append("no document")
    for n, doc in enumerate(documents, 1):
        for path, value in leaves(doc):
            if path.startswith("wmisub."):
                continue
            if path not in ECS_FIELDS:
                problems.append(f"document {n}: {path} is not an ECS field")
                continue
            check_value(path, value, problems)
        for required in ("@timestamp", "ecs", "event", "threat", "wmisub"):
            if required not in doc:
                problems.append(f"document {n}: no {required}")
    # One document per subscription: as many as the JSON report lists.
    report = subprocess.run([wmisub, "scan", "--mof", str(source / "examples" / "samples"), "--format", "json",
                             "--fail-on", "never"], capture_output=True, text=True)
    subscriptions = len(json.loads(report.stdout)["subscriptions"])
    if len(documents) != subscriptions:
        problems.append(f"{len(documents)} documents for {subscriptions} subscriptions")
    kinds = {doc["event"]["kind"] for doc in documents}
    if kinds != {"alert", "event"}:
        problems.append(f"event.kind values {sorted(kinds)}: expected alerts at or above --fail-on and events below")
    quiet = scan(wmisub, source, "-q")
    if not quiet or any(doc["event"]["kind"] != "alert" for doc in quiet):
        problems.append("-q must keep the alerts only")
    ids = [doc["event"]["id"] for doc in documents]
    if len(set(ids)) != len(ids):
        problems.append("event.id repeats across different subscriptions")
    if ids != [doc["event"]["id"] for doc in scan(wmisub, source)]:
        problems.append("event.id differs between two scans of the same content")
    return finish("ndjson_ecs", f"{len(documents)} documents checked", problems)


if __name__ == "__main__":
    sys.exit(main())
