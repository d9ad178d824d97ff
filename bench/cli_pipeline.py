#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The whole CLI pipeline on realistic content, beside a reference, in one run.

Writes the subscriptions of ../shared/data/corpus replicated N times with distinct names, once as
MOF (what `wmisub scan --mof` reads) and once as a JSON array of the same objects (what the
reference, bench/parse_json_array, parses with nlohmann/json). Runs both several times and prints
medians and ratios: wall time of `wmisub scan --mof FILE --format json` over the reference's, and
wmisub's peak resident memory over the MOF file's size. Ratios, not absolute times: these machines
are noisy, and both run in the same minute on the same machine.

    bench/cli_pipeline.py --wmisub build/examples/wmisub --reference build/bench/parse_json_array \
        [--copies 20000,100000] [--runs 3] [--shared ../shared/data]

Exits 0 after printing; with --check it exits 1 when a goal of the engine issue is missed
(time at most 2x the reference, peak memory at most 3x the input). Skips (exit 0) when the corpus
is absent.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

CONSUMER_SKIP = {"class", "name"}


def load_corpus(shared):
    entries = []
    for name in ("attacks.jsonl", "benign.jsonl"):
        path = os.path.join(shared, "corpus", name)
        if not os.path.exists(path):
            return None
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    entry = json.loads(line)
                    if entry.get("filter") or entry.get("consumer"):
                        entries.append(entry)
    return entries


def mof_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r") + '"'


def sid_bytes(text):
    """A `S-1-…` SID as the uint8 array WMI stores in CreatorSID."""
    parts = text.split("-")
    subs = [int(x) for x in parts[3:]]
    out = [int(parts[1]), len(subs)] + list(int(parts[2]).to_bytes(6, "big"))
    for sub in subs:
        out += list(sub.to_bytes(4, "little"))
    return out


def mof_value(v):
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, list):
        return "{" + ", ".join(mof_value(x) for x in v) + "}"
    return mof_string(str(v))


def copy_objects(entry, copy):
    """The filter, consumer and binding flag of one copy, names suffixed so every copy is distinct."""
    f = entry.get("filter") or None
    c = entry.get("consumer") or None
    suffix = " #%d.%s" % (copy, entry.get("id", ""))  # corpus entries share names ("Updater"): keep each distinct
    filt = None
    if f and f.get("name") is not None:
        filt = {k: v for k, v in f.items() if v is not None}
        filt["name"] = f["name"] + suffix
    cons = None
    if c and c.get("class"):
        cons = {k: v for k, v in c.items() if v is not None}
        cons["name"] = (c.get("name") or "unnamed") + suffix
    bound = bool((entry.get("binding") or {}).get("present")) and filt is not None and cons is not None
    return filt, cons, bound


def write_inputs(entries, copies, mof_path, json_path):
    objects = []
    with open(mof_path, "w", encoding="utf-8") as mof:
        n = 0
        for copy in range(copies):
            for entry in entries:
                filt, cons, bound = copy_objects(entry, copy)
                ns = entry.get("namespace") or "root\\subscription"
                mof.write('#pragma namespace("\\\\\\\\.\\\\%s")\n' % ns.replace("\\", "\\\\"))
                item = {"namespace": ns}
                if filt:
                    mof.write("instance of __EventFilter as $F%d\n{\n    Name = %s;\n    Query = %s;\n" %
                              (n, mof_string(filt["name"]), mof_string(filt.get("query", ""))))
                    if "query_language" in filt:
                        mof.write("    QueryLanguage = %s;\n" % mof_string(filt["query_language"]))
                    if "event_namespace" in filt:
                        mof.write("    EventNamespace = %s;\n" % mof_string(filt["event_namespace"]))
                    mof.write("};\n")
                    item["filter"] = filt
                if cons:
                    mof.write("instance of %s as $C%d\n{\n    Name = %s;\n" % (cons["class"], n, mof_string(cons["name"])))
                    for key, v in cons.items():
                        if key == "CreatorSID" and isinstance(v, str):
                            v = sid_bytes(v)
                        if key not in CONSUMER_SKIP:
                            mof.write("    %s = %s;\n" % (key, mof_value(v)))
                    mof.write("};\n")
                    item["consumer"] = cons
                if bound:
                    mof.write("instance of __FilterToConsumerBinding\n{\n    Filter = $F%d;\n    Consumer = $C%d;\n};\n" % (n, n))
                    item["binding"] = {"filter": filt["name"], "consumer": cons["name"]}
                objects.append(item)
                n += 1
    with open(json_path, "w", encoding="utf-8") as f:
        json.dump(objects, f)


def measure(cmd):
    """Wall seconds and peak resident bytes of one run of cmd (stdout discarded)."""
    start = time.monotonic()
    with open(os.devnull, "wb") as null:
        proc = subprocess.Popen(cmd, stdout=null, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        stderr = proc.stderr.read().decode(errors="replace")
        proc.stderr.close()
    wall = time.monotonic() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        sys.exit("%s failed (%d): %s" % (" ".join(cmd), code, stderr[-2000:]))
    return wall, usage.ru_maxrss * 1024


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--wmisub", required=True)
    parser.add_argument("--reference", required=True)
    parser.add_argument("--copies", default="20000,100000", help="comma-separated subscription counts (rounded to whole corpus copies)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--shared", default=os.environ.get("WMISUB_SHARED_DATA", os.path.join(here, "..", "..", "shared", "data")))
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")
    args = parser.parse_args()

    entries = load_corpus(args.shared)
    if not entries:
        print("cli_pipeline: %s/corpus is absent; skipped" % args.shared)
        return 0
    missed = []
    print("%9s %9s | %8s %8s %6s | %9s %7s" % ("subs", "MOF MB", "wmisub s", "ref s", "time×", "peak MB", "mem×in"))
    for wanted in (int(x) for x in args.copies.split(",")):
        copies = max(1, round(wanted / len(entries)))
        with tempfile.TemporaryDirectory(prefix="wmisub_pipeline_") as tmp:
            mof_path = os.path.join(tmp, "subscriptions.mof")
            json_path = os.path.join(tmp, "subscriptions.json")
            write_inputs(entries, copies, mof_path, json_path)
            size = os.path.getsize(mof_path)
            ours, theirs, peaks = [], [], []
            for _ in range(args.runs):  # interleaved, so drift in machine load hits both alike
                wall, peak = measure([args.wmisub, "scan", "--mof", mof_path, "--format", "json", "--fail-on", "never", "-q"])
                ours.append(wall)
                peaks.append(peak)
                theirs.append(measure([args.reference, json_path])[0])
            # Once more, keeping the report: a pipeline that stopped early would look fast.
            report_path = os.path.join(tmp, "report.json")
            with open(report_path, "wb") as out:
                subprocess.run([args.wmisub, "scan", "--mof", mof_path, "--format", "json", "--fail-on", "never", "-q"],
                               stdout=out, stderr=subprocess.DEVNULL, check=False)
            with open(report_path, encoding="utf-8") as f:
                report = json.load(f)
            expected = copies * len(entries)
            if len(report["subscriptions"]) < expected or report["summary"]["partial"]:
                sys.exit("cli_pipeline: the report holds %d subscriptions of %d (partial: %s)" %
                         (len(report["subscriptions"]), expected, report["summary"]["partial"]))
            t_ratio = statistics.median(ours) / statistics.median(theirs)
            m_ratio = statistics.median(peaks) / size
            print("%9d %9.1f | %8.2f %8.2f %6.2f | %9.0f %7.2f" % (
                copies * len(entries), size / 1e6, statistics.median(ours), statistics.median(theirs), t_ratio,
                statistics.median(peaks) / 1e6, m_ratio))
            if t_ratio > 2.0:
                missed.append("%d subscriptions: time %.2fx the reference (goal 2x)" % (copies * len(entries), t_ratio))
            if m_ratio > 3.0:
                missed.append("%d subscriptions: peak memory %.2fx the input (goal 3x)" % (copies * len(entries), m_ratio))
    for m in missed:
        print("missed: " + m)
    return 1 if (args.check and missed) else 0


if __name__ == "__main__":
    sys.exit(main())
