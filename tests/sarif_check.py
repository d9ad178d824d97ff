#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Checks `wmisub scan --format sarif` against the SARIF 2.1.0 schema, for the objects wmisub writes.

Nothing is downloaded: the constraints below are those of the OASIS SARIF 2.1.0 JSON schema
(sarif-schema-2.1.0.json) for sarifLog, run, tool, toolComponent, reportingDescriptor,
multiformatMessageString, reportingConfiguration, result, message, location,
physicalLocation, artifactLocation and region: their allowed members (the schema sets
additionalProperties to false), required members, types, enums and minimums.

    python3 tests/sarif_check.py <wmisub binary> <source dir>
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from script_report import finish

# object -> (allowed members, required members)
SCHEMA = {
    "sarifLog": ({"$schema", "version", "runs", "inlineExternalProperties", "properties"}, {"version", "runs"}),
    "run": ({"tool", "invocations", "conversion", "language", "versionControlProvenance", "originalUriBaseIds",
             "artifacts", "logicalLocations", "graphs", "results", "automationDetails", "runAggregates",
             "baselineGuid", "redactionTokens", "defaultEncoding", "defaultSourceLanguage", "newlineSequences",
             "columnKind", "externalPropertyFileReferences", "threadFlowLocations", "taxonomies", "addresses",
             "translations", "policies", "webRequests", "webResponses", "specialLocations", "properties"}, {"tool"}),
    "tool": ({"driver", "extensions", "properties"}, {"driver"}),
    "toolComponent": ({"guid", "name", "organization", "product", "productSuite", "shortDescription",
                       "fullDescription", "fullName", "version", "semanticVersion", "dottedQuadFileVersion",
                       "releaseDateUtc", "downloadUri", "informationUri", "globalMessageStrings", "notifications",
                       "rules", "taxa", "locations", "language", "contents", "isComprehensive",
                       "localizedDataSemanticVersion", "minimumRequiredLocalizedDataSemanticVersion",
                       "associatedComponent", "translationMetadata", "supportedTaxonomies", "properties"}, {"name"}),
    "reportingDescriptor": ({"id", "deprecatedIds", "guid", "deprecatedGuids", "name", "deprecatedNames",
                             "shortDescription", "fullDescription", "messageStrings", "defaultConfiguration",
                             "helpUri", "help", "relationships", "properties"}, {"id"}),
    "multiformatMessageString": ({"text", "markdown", "properties"}, {"text"}),
    "reportingConfiguration": ({"enabled", "level", "rank", "parameters", "properties"}, set()),
    "result": ({"ruleId", "ruleIndex", "rule", "kind", "level", "message", "analysisTarget", "locations", "guid",
                "correlationGuid", "occurrenceCount", "partialFingerprints", "fingerprints", "stacks", "codeFlows",
                "graphs", "graphTraversals", "relatedLocations", "suppressions", "baselineState", "rank",
                "attachments", "hostedViewerUri", "workItemUris", "provenance", "fixes", "taxa",
                "webRequest", "webResponse", "properties"}, {"message"}),
    "message": ({"text", "markdown", "id", "arguments", "properties"}, set()),
    "location": ({"id", "physicalLocation", "logicalLocations", "message", "annotations", "relationships",
                  "properties"}, set()),
    "physicalLocation": ({"address", "artifactLocation", "region", "contextRegion", "properties"}, set()),
    "artifactLocation": ({"uri", "uriBaseId", "index", "description", "properties"}, set()),
    "region": ({"startLine", "startColumn", "endLine", "endColumn", "charOffset", "charLength", "byteOffset",
                "byteLength", "snippet", "message", "sourceLanguage", "properties"}, set()),
}
LEVELS = {"none", "note", "warning", "error"}


def check(kind: str, obj, where: str, problems: list[str]) -> None:
    if not isinstance(obj, dict):
        problems.append(f"{where}: a {kind} must be an object")
        return
    allowed, required = SCHEMA[kind]
    for key in obj:
        if key not in allowed:
            problems.append(f"{where}: '{key}' is not a member of {kind}")
    for key in required:
        if key not in obj:
            problems.append(f"{where}: {kind} lacks '{key}'")
    if "properties" in obj and not isinstance(obj["properties"], dict):
        problems.append(f"{where}.properties: a property bag is an object")


def member(parent, key: str, kind: str, where: str, problems: list[str]) -> dict:
    """parent[key], checked as a `kind`; {} when absent or not an object, so the walk goes on."""
    child = parent.get(key, {}) if isinstance(parent, dict) else {}
    check(kind, child, f"{where}.{key}", problems)
    return child if isinstance(child, dict) else {}


def main() -> int:
    wmisub, source = sys.argv[1], Path(sys.argv[2])
    done = subprocess.run([wmisub, "scan", "--mof", "examples/samples", "--format", "sarif"], cwd=source,
                          capture_output=True, text=True)
    if done.returncode not in (0, 1):
        sys.exit(f"wmisub exited {done.returncode}: {done.stderr}")
    log = json.loads(done.stdout)
    problems: list[str] = []
    check("sarifLog", log, "log", problems)
    if log.get("version") != "2.1.0":
        problems.append("log.version must be 2.1.0")
    runs = log.get("runs", [])
    if not isinstance(runs, list) or len(runs) != 1:
        problems.append("one run expected")
        runs = []
    results_total = 0
    for r, run in enumerate(runs):
        check("run", run, f"runs[{r}]", problems)
        driver = member(member(run, "tool", "tool", f"runs[{r}]", problems), "driver", "toolComponent",
                        f"runs[{r}].tool", problems)
        rules = driver.get("rules", [])
        ids = []
        for i, rule in enumerate(rules):
            where = f"rules[{i}]"
            check("reportingDescriptor", rule, where, problems)
            ids.append(rule.get("id"))
            for text_member in ("shortDescription", "fullDescription", "help"):
                if text_member in rule:
                    check("multiformatMessageString", rule[text_member], f"{where}.{text_member}", problems)
            config = rule.get("defaultConfiguration", {})
            check("reportingConfiguration", config, f"{where}.defaultConfiguration", problems)
            if config.get("level") not in LEVELS:
                problems.append(f"{where}: level {config.get('level')!r}")
            severity = rule.get("properties", {}).get("security-severity")
            if not isinstance(severity, str) or not 0.0 <= float(severity) <= 10.0:
                problems.append(f"{where}: security-severity {severity!r}")
        if len(set(ids)) != len(ids):
            problems.append("rule ids repeat")
        results = run.get("results", [])
        results_total += len(results)
        for i, result in enumerate(results):
            where = f"results[{i}]"
            check("result", result, where, problems)
            index = result.get("ruleIndex")
            if not isinstance(index, int) or not 0 <= index < len(rules) or ids[index] != result.get("ruleId"):
                problems.append(f"{where}: ruleIndex {index} does not name rule {result.get('ruleId')}")
            if result.get("level") not in LEVELS:
                problems.append(f"{where}: level {result.get('level')!r}")
            check("message", result.get("message"), f"{where}.message", problems)
            if not isinstance(result.get("message", {}).get("text"), str):
                problems.append(f"{where}: message.text")
            for key, value in result.get("partialFingerprints", {}).items():
                if not isinstance(value, str):
                    problems.append(f"{where}.partialFingerprints.{key}: a string")
            locations = result.get("locations", [])
            if not locations:
                problems.append(f"{where}: no location (every sample object has a file and line)")
            for j, loc in enumerate(locations):
                at = f"{where}.locations[{j}]"
                check("location", loc, at, problems)
                physical = member(loc, "physicalLocation", "physicalLocation", at, problems)
                artifact = member(physical, "artifactLocation", "artifactLocation", at, problems)
                uri = artifact.get("uri", "")
                if not isinstance(uri, str) or not uri or "\\" in uri or uri.startswith("/"):
                    problems.append(f"{where}: uri {uri!r} is not a relative URI reference")
                elif not (source / uri).is_file():
                    problems.append(f"{where}: uri {uri!r} names no file of the repository")
                region = member(physical, "region", "region", at, problems)
                for key in ("startLine", "startColumn"):
                    if key in region and (not isinstance(region[key], int) or region[key] < 1):
                        problems.append(f"{where}: region.{key} {region[key]!r}")
    if results_total == 0:
        problems.append("no result for the attack samples")
    return finish("sarif_check", f"{results_total} results checked", problems)


if __name__ == "__main__":
    sys.exit(main())
