#!/usr/bin/env python3
"""Real labelled sensor series with published results: two TCPD series, from the river wheel.

The Turing Change Point Dataset (TCPD; van den Burg and Williams 2020,
arXiv:2003.06222) has human change-point annotations (five annotators per series)
and published scores of many detectors (TCPDBench). river 0.26.1 (BSD-3-Clause)
ships two of its multivariate sensor series with their annotations:

    occupancy  509 readings, one every 16 minutes (Feb 2015): temperature, humidity,
               light and CO2 of an office room (Candanedo and Feldheim 2016, UCI)
    run_log    376 readings, every few seconds: a runner's pace and distance during
               an interval training session (G.J.J. van den Burg, 2019)

This script downloads the wheel with pip from PyPI, nothing else (skipped when the
wheel is already in the cache folder; its sha256 is checked either way), reads the
CSVs and the annotations out of the zip without importing river (the annotations
are the literal dicts in occupancy.py and run_log.py, read with ast.literal_eval),
and writes each series in the detector evaluation's common CSV format
(internal/detecteval, external.go): one device named after the series, the time
from the CSV written as RFC 3339 UTC (the CSV's times have no zone), the values as
they are in the CSV, and label, kind and field empty (the annotations are change
points, not anomaly labels; they are in manifest.json, 0-based reading indices per
annotator). Standard library only; run it with any python3 that has pip.

Usage: tcpd_streams.py OUT_DIR [--cache DIR]
"""

from __future__ import annotations

import argparse
import ast
import csv
import hashlib
import io
import json
import os
import subprocess
import sys
import time
import zipfile
from datetime import datetime

RIVER_VERSION = "0.26.1"
# One wheel, whatever the machine: the data files are the same in every river wheel,
# pinning one makes its checksum checkable.
WHEEL = f"river-{RIVER_VERSION}-cp311-cp311-manylinux_2_28_x86_64.whl"
WHEEL_SHA256 = "6a11e1a9749beec3ea138efeb0205b2c5cea8d424e9deee306c8980faec01bef"
PIP_PLATFORM = ["--python-version", "3.11", "--implementation", "cp", "--abi", "cp311", "--platform", "manylinux_2_28_x86_64"]

SERIES = {
    "occupancy": {
        "columns": {"V1": "temperature_c", "V2": "humidity_pct", "V3": "light_lux", "V4": "co2_ppm"},
        "description": "Office room occupancy sensors: temperature (C), relative humidity (%), light (lux), CO2 (ppm); the UCI data subsampled to one reading in 16 (every 16 minutes), 4-10 Feb 2015.",
        "data_citation": "Luis M. Candanedo and Veronique Feldheim. Accurate occupancy detection of an office room from light, temperature, humidity and CO2 measurements using statistical learning models. Energy and Buildings 112 (2016): 28-39.",
    },
    "run_log": {
        "columns": {"Pace": "pace", "Distance": "distance"},
        "description": "Interval training running log: pace and distance from a runner's phone, while an app says when to run and when to walk.",
        "data_citation": "G.J.J. van den Burg, 2019 (TCPD dataset run_log, MIT).",
    },
}

CITATIONS = [
    "Gerrit J.J. van den Burg and Christopher K.I. Williams. An Evaluation of Change Point Detection Algorithms. arXiv:2003.06222, 2020. (TCPD and TCPDBench: github.com/alan-turing-institute/TCPD, github.com/alan-turing-institute/TCPDBench)",
    SERIES["occupancy"]["data_citation"],
    f"river {RIVER_VERSION} (BSD-3-Clause), whose wheel ships the series and annotations in river/drift/datasets/: https://pypi.org/project/river/{RIVER_VERSION}/",
]

LICENCE = (
    "river's code is BSD-3-Clause; TCPD's code is MIT. The occupancy data is from the UCI repository "
    "(Candanedo and Feldheim 2016); TCPD says it is unclear whether that data can be redistributed and so "
    "downloads it rather than shipping it, while river ships it in its wheel. run_log is MIT (c) 2019 "
    "G.J.J. van den Burg. These files are fetched at build time and are not committed."
)


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def wheel(cache: str) -> str:
    """The river wheel in the cache folder, downloaded with pip when absent."""
    path = os.path.join(cache, WHEEL)
    if not os.path.exists(path):
        os.makedirs(cache, exist_ok=True)
        cmd = [sys.executable, "-m", "pip", "download", f"river=={RIVER_VERSION}", "--no-deps", "--only-binary=:all:",
               *PIP_PLATFORM, "--disable-pip-version-check", "--quiet", "-d", cache]
        if subprocess.run(cmd).returncode != 0 or not os.path.exists(path):
            raise SystemExit(f"tcpd_streams: could not download {WHEEL} with pip ({' '.join(cmd)})")
    got = sha256(path)
    if got != WHEEL_SHA256:
        raise SystemExit(f"tcpd_streams: {path} has sha256 {got}, want {WHEEL_SHA256}")
    return path


def annotations(source: str, name: str) -> tuple:
    """The annotations= and n_samples= literals of the dataset class in river's <name>.py."""
    found = {}
    for node in ast.walk(ast.parse(source, filename=f"{name}.py")):
        if isinstance(node, ast.keyword) and node.arg in ("annotations", "n_samples"):
            found[node.arg] = ast.literal_eval(node.value)
    if "annotations" not in found or "n_samples" not in found:
        raise SystemExit(f"tcpd_streams: no annotations= or n_samples= in river/drift/datasets/{name}.py")
    ann = found["annotations"]
    if not isinstance(ann, dict) or not all(isinstance(v, list) and all(isinstance(i, int) for i in v) for v in ann.values()):
        raise SystemExit(f"tcpd_streams: river/drift/datasets/{name}.py: annotations are not lists of indices")
    return {str(k): v for k, v in ann.items()}, found["n_samples"]


def convert(name: str, text: str, ann: dict, n_samples: int, out: str) -> dict:
    spec = SERIES[name]
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], [r for r in rows[1:] if r]
    want = ["time", *spec["columns"]]
    if header != want:
        raise SystemExit(f"tcpd_streams: {name}.csv header {header}, want {want}")
    if len(body) != n_samples:
        raise SystemExit(f"tcpd_streams: {name}.csv has {len(body)} rows, river says {n_samples}")
    fields = list(spec["columns"].values())
    times = []
    lines = ["device,time," + ",".join(fields) + ",label,kind,field\n"]
    for i, r in enumerate(body):
        if len(r) != len(header):
            raise SystemExit(f"tcpd_streams: {name}.csv row {i + 2}: {len(r)} columns, want {len(header)}")
        t = datetime.strptime(r[0], "%Y-%m-%d %H:%M:%S")
        if times and t <= times[-1]:
            raise SystemExit(f"tcpd_streams: {name}.csv row {i + 2}: time {r[0]} does not follow {times[-1]}")
        times.append(t)
        for v in r[1:]:
            if v != "":
                float(v)  # a number, written as it is
        lines.append(f"{name},{t.strftime('%Y-%m-%dT%H:%M:%SZ')},{','.join(r[1:])},0,,\n")
    for k, idx in ann.items():
        if any(not 0 <= i < len(body) for i in idx):
            raise SystemExit(f"tcpd_streams: annotator {k} of {name} marks a reading outside 0..{len(body) - 1}")
    with open(os.path.join(out, f"{name}.csv"), "w", encoding="utf-8", newline="") as f:
        f.writelines(lines)
    gaps = sorted((b - a).total_seconds() for a, b in zip(times, times[1:]))
    return {
        "file": f"{name}.csv",
        "series": name,
        "kinds": [],
        "description": spec["description"],
        "fields": fields,
        "columns": spec["columns"],
        "readings": len(body),
        "first": times[0].strftime("%Y-%m-%dT%H:%M:%SZ"),
        "last": times[-1].strftime("%Y-%m-%dT%H:%M:%SZ"),
        "cadence_seconds": gaps[len(gaps) // 2],
        "cadence_min_max_seconds": [gaps[0], gaps[-1]],
        "annotations": ann,
        "data_citation": spec["data_citation"],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", help="output folder (created)")
    ap.add_argument("--cache", default=os.path.join(".build", "detecteval", "cache"), help="folder for the river wheel (default .build/detecteval/cache)")
    args = ap.parse_args()
    began = time.monotonic()
    path = wheel(args.cache)
    os.makedirs(args.out, exist_ok=True)
    streams = []
    with zipfile.ZipFile(path) as z:
        for name in SERIES:
            ann, n = annotations(z.read(f"river/drift/datasets/{name}.py").decode("utf-8"), name)
            streams.append(convert(name, z.read(f"river/drift/datasets/{name}.csv").decode("utf-8"), ann, n, args.out))
    manifest = {
        "source": "tcpd",
        "title": "Turing Change Point Dataset series occupancy and run_log, as shipped in the river wheel",
        "package": "river",
        "version": RIVER_VERSION,
        "wheel": WHEEL,
        "wheel_sha256": WHEEL_SHA256,
        "licence": LICENCE,
        "citations": CITATIONS,
        "devices": 1,
        "labels": "change points, not anomalies: annotations maps each annotator to the 0-based indices of the readings that start a new segment; label/kind/field in the CSVs are empty",
        "protocol": "TCPDBench: F1 with a margin of 5 readings and cover against all annotators (internal/detecteval/tcpd.go); published 'default' scores in the same file",
        "streams": streams,
    }
    with open(os.path.join(args.out, "manifest.json"), "w", encoding="utf-8", newline="") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    print(f"tcpd_streams: {len(streams)} series in {args.out} ({time.monotonic() - began:.1f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
