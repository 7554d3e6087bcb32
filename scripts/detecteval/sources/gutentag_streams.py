#!/usr/bin/env python3
"""Labelled telemetry streams from GutenTAG, an anomaly generator the project did not write.

GutenTAG (PyPI timeeval-gutentag 1.5.0, MIT; Wenig, Schmidl and Papenbrock, HPI,
github.com/TimeEval/gutentag) makes each device's five channels and injects the
anomalies. This script only chooses the channels' shapes, places the anomalies at
exact positions, maps GutenTAG's kinds onto the detector evaluation's names and
writes the streams in the evaluation's common CSV format (internal/detecteval,
external.go):

    device,time,temperature_c,humidity_pct,vibration_mm_s,pressure_kpa,battery_v,label,kind,field

Each device sends one reading a minute from 2026-03-01T00:00:00Z for four days: a
first day with no anomaly (warm-up), then three days with several labelled
episodes, placed well apart. One file holds a clean stream (GutenTAG series with no
anomaly) and one file per kind:

    GutenTAG kind                  -> our kind     fields
    extremum (global, length 1)    -> spike        all five
    mean (offset)                  -> level_shift  all five
    trend (linear polynomial)      -> drift        all five
    platform (value 0.0)           -> stuck        all five
    variance                       -> variance     all five
    frequency                      -> frequency    temperature_c, vibration_mm_s, battery_v (the periodic ones)
    amplitude                      -> amplitude    temperature_c, vibration_mm_s, battery_v
    (made here, see below)         -> correlation  humidity_pct, pressure_kpa

Channels. temperature_c (daily sine), vibration_mm_s (sine, a 15 to 40 minute
cycle) and battery_v (sine, a 5 to 8 hour cycle) are GutenTAG sines with white
noise. humidity_pct and pressure_kpa are GutenTAG formula channels: each is its own
smooth random walk plus a shared weather driver (another random walk), humidity
falling as pressure rises. Offsets, amplitudes, periods and noise vary per device,
drawn from the seed. Sizes of level shifts, drifts and noise bursts are set in
each field's spread: its standard deviation on the device's clean stream.

GutenTAG's own semantics are kept, including its quirks:
  * platform: GutenTAG sets the value before adding the channel's offset, so
    value 0.0 holds the field at its baseline (the offset); GutenTAG still adds the
    channel's white noise over the platform, so "stuck" here is a flat signal with
    sensor noise, not a repeated value.
  * trend: GutenTAG leaves the field at the drifted level for the rest of the
    series but labels only the ramp; the labels here are GutenTAG's.
  * frequency: the faster sine starts at phase 0, so each frequency episode starts
    where the channel's own sine starts a period (as GutenTAG's own placement does);
    its end is not phase-matched.
  * extremum is one reading long; global extrema are 0.5 to 1.5 times the channel's
    range away from the signal.

Correlation. GutenTAG's mode-correlation kind works only on random-mode-jump
channels (square waves that jump between +a and -a in step across channels) and
flips one channel's sign. None of the five telemetry fields is such a square wave,
so it cannot express "two fields that normally move together break apart while
each stays in its range" on these channels. This script makes that kind itself on
top of GutenTAG's output: humidity_pct and pressure_kpa share GutenTAG's driver
channel W; a second GutenTAG random walk W2, independent of W, is mapped onto W's
distribution by rank (so it has W's mean, variance and range). In an episode one of
the two fields has W replaced by W2 (blended in and out over the first and last
fifth of the episode, so there is no step); the other field keeps following W. The
episode is labelled with kind "correlation" and the field whose driver was
replaced. Its size (the mean change over the episode, in the field's spread) is in
manifest.json.

manifest.json records the source, GutenTAG's version, the licence, the seed, the
devices, the cadence, the fields, the versions of numpy/scipy/pandas (the values
depend on them; requirements-eval.txt pins them) and every stream with its kinds and
episodes. The same seed and packages give byte-identical files.

Usage: gutentag_streams.py OUT_DIR [--seed N] [--devices N] [--episodes N]
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import sys
import time
from datetime import datetime, timedelta, timezone

os.environ.setdefault("TQDM_DISABLE", "1")  # GutenTAG's progress bars

import numpy as np  # noqa: E402
import pandas  # noqa: E402
import scipy  # noqa: E402

import gutenTAG  # noqa: E402
from gutenTAG import GutenTAG  # noqa: E402
from gutenTAG.base_oscillations.utils.math_func_support import prepare_base_signal  # noqa: E402

FIELDS = ["temperature_c", "humidity_pct", "vibration_mm_s", "pressure_kpa", "battery_v"]
START = datetime(2026, 3, 1, tzinfo=timezone.utc)
CADENCE = 60  # seconds
PER_DAY = 24 * 3600 // CADENCE
DAYS = 4  # one of warm-up, three with episodes
N = PER_DAY * DAYS

# GutenTAG channels, in the order formulas can refer to them (earlier channels only).
CH_TEMPERATURE, CH_VIBRATION, CH_BATTERY = 0, 1, 2
CH_DRIVER, CH_HUMIDITY_OWN, CH_PRESSURE_OWN, CH_DRIVER2 = 3, 4, 5, 6
CH_HUMIDITY, CH_PRESSURE = 7, 8
CHANNEL = {
    "temperature_c": CH_TEMPERATURE,
    "humidity_pct": CH_HUMIDITY,
    "vibration_mm_s": CH_VIBRATION,
    "pressure_kpa": CH_PRESSURE,
    "battery_v": CH_BATTERY,
}
SINES = ["temperature_c", "vibration_mm_s", "battery_v"]
COUPLED = ["humidity_pct", "pressure_kpa"]

# Our kind -> (GutenTAG kind, episode length in readings, fields it applies to).
KINDS = {
    "spike": ("extremum", 1, FIELDS),
    "level_shift": ("mean", 180, FIELDS),
    "drift": ("trend", 240, FIELDS),
    "stuck": ("platform", 180, FIELDS),
    "variance": ("variance", 120, FIELDS),
    "frequency": ("frequency", 240, SINES),
    "amplitude": ("amplitude", 240, SINES),
    "correlation": (None, 240, COUPLED),
}


def device_name(d: int) -> str:
    return f"gutentag-{d:02d}"


def device_params(seed: int, d: int) -> dict:
    """The shapes of device d's channels, drawn from the seed."""
    r = np.random.default_rng([seed, 1, d])
    u = lambda lo, hi: float(r.uniform(lo, hi))  # noqa: E731
    return {
        "temperature": {"period": float(PER_DAY), "amplitude": u(2.0, 4.0), "offset": u(18.0, 26.0), "variance": u(0.02, 0.04)},
        "vibration": {"period": u(15.0, 40.0), "amplitude": u(0.3, 0.7), "offset": u(1.5, 3.0), "variance": u(0.08, 0.15)},
        "battery": {"period": u(300.0, 480.0), "amplitude": u(0.05, 0.15), "offset": u(3.6, 3.9), "variance": u(0.02, 0.05)},
        "driver": {"smoothing": u(0.005, 0.01)},
        "humidity": {"own": u(2.0, 4.0), "coupling": u(6.0, 10.0), "offset": u(40.0, 60.0), "noise": u(0.1, 0.3)},
        "pressure": {"own": u(0.3, 0.8), "coupling": u(0.8, 1.5), "offset": u(99.5, 102.5), "noise": u(0.01, 0.03)},
    }


def sine(p: dict) -> dict:
    # GutenTAG's sine frequency is in periods per 100 points.
    return {"kind": "sine", "frequency": 100.0 / p["period"], "amplitude": p["amplitude"], "offset": p["offset"], "variance": p["variance"]}


def base_oscillations(p: dict) -> list:
    walk = lambda amplitude, smoothing: {"kind": "random-walk", "amplitude": amplitude, "smoothing": smoothing, "variance": 0.0}  # noqa: E731
    scaled = lambda ch, k: {"base": ch, "operation": {"kind": "*", "operand": float(k)}}  # noqa: E731
    plus = lambda a, b: {"base": a, "operation": {"kind": "+", "operand": b}}  # noqa: E731
    return [
        sine(p["temperature"]),
        sine(p["vibration"]),
        sine(p["battery"]),
        walk(1.0, p["driver"]["smoothing"]),
        walk(p["humidity"]["own"], 0.01),
        walk(p["pressure"]["own"], 0.02),
        walk(1.0, p["driver"]["smoothing"]),
        # humidity falls as the shared driver rises; pressure rises with it
        {"kind": "formula", "formula": plus(CH_HUMIDITY_OWN, scaled(CH_DRIVER, -p["humidity"]["coupling"])), "offset": p["humidity"]["offset"], "variance": p["humidity"]["noise"]},
        {"kind": "formula", "formula": plus(CH_PRESSURE_OWN, scaled(CH_DRIVER, p["pressure"]["coupling"])), "offset": p["pressure"]["offset"], "variance": p["pressure"]["noise"]},
    ]


class Warnings(logging.Handler):
    """Collects GutenTAG's warnings: each one means an anomaly was not injected."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def generate(names: list, configs: list, seed: int, warnings: Warnings) -> dict:
    """Runs GutenTAG on one time series per device; returns name -> (values, labels)."""
    cfg = {"timeseries": [{"name": n, "length": N, "base-oscillations": c["bo"], "anomalies": c["anomalies"]} for n, c in zip(names, configs)]}
    before = len(warnings.messages)
    out = GutenTAG.from_dict(cfg, seed=seed).generate(return_timeseries=True)
    if len(warnings.messages) > before:
        raise SystemExit("gutentag_streams: GutenTAG did not inject every anomaly: " + "; ".join(warnings.messages[before:]))
    got = {}
    for ts in out:
        if ts.training_type.value != "test":
            continue
        df = ts.timeseries
        got[ts.name] = (df[[f"value-{i}" for i in range(len(configs[0]["bo"]))]].to_numpy(dtype=np.float64, copy=True), df["is_anomaly"].to_numpy())
    return got


def fields_of(values: np.ndarray) -> np.ndarray:
    """The five output fields, in FIELDS order, from GutenTAG's channels."""
    return values[:, [CHANNEL[f] for f in FIELDS]]


def period_starts(p: dict) -> np.ndarray:
    """Indices where a sine channel starts a period, by GutenTAG's own phase."""
    phase = np.mod(prepare_base_signal(N, 100.0 / p["period"]), 2 * math.pi)
    return np.flatnonzero(np.r_[True, np.diff(phase) < 0])


def plan(kind: str, seed: int, d: int, params: dict, spread: np.ndarray, episodes: int) -> list:
    """Device d's episodes of one kind: exact positions, fields and GutenTAG parameters."""
    gt_kind, length, fields = KINDS[kind]
    r = np.random.default_rng([seed, 2, list(KINDS).index(kind), d])
    slot = (N - PER_DAY) // episodes
    out = []
    for j in range(episodes):
        lo = PER_DAY + j * slot + 60
        hi = PER_DAY + (j + 1) * slot - length - 120  # last start: leaves a gap before the next slot
        order = [fields[(d + j + k) % len(fields)] for k in range(len(fields))]
        for field in order:
            if kind == "frequency":
                starts = [int(s) for s in period_starts(params[field.split("_")[0]]) if lo <= s <= hi]
                if not starts:
                    continue  # this sine starts no period in the slot: try the next field
                start = starts[int(r.integers(len(starts)))]
            else:
                start = int(r.integers(lo, hi + 1))
            break
        else:
            raise SystemExit(f"gutentag_streams: no field for a {kind} episode in slot {j} of device {d}")
        s = float(spread[FIELDS.index(field)])
        sign = 1.0 if r.random() < 0.5 else -1.0
        ep = {"device": device_name(d), "kind": kind, "field": field, "start": start, "end": start + length}
        if gt_kind == "extremum":
            ep["gutentag"] = {"kind": "extremum", "min": bool(sign < 0), "local": False}
        elif gt_kind == "mean":
            ep["gutentag"] = {"kind": "mean", "offset": sign * (2.5 + 1.5 * r.random()) * s}
        elif gt_kind == "trend":
            ep["gutentag"] = {"kind": "trend", "oscillation": {"kind": "polynomial", "polynomial": [0.0, sign * (4.0 + 2.0 * r.random()) * s / length]}}
        elif gt_kind == "platform":
            ep["gutentag"] = {"kind": "platform", "value": 0.0}
        elif gt_kind == "variance":
            # GutenTAG's noise is variance * amplitude (formula channels: amplitude 1).
            p = params[field.split("_")[0]]
            amplitude = p["amplitude"] if field in SINES else 1.0
            noise = p["variance"] * amplitude if field in SINES else p["noise"]
            ep["gutentag"] = {"kind": "variance", "variance": max(6.0 * noise, 0.5 * s) / amplitude}
        elif gt_kind == "frequency":
            ep["gutentag"] = {"kind": "frequency", "frequency_factor": 2.5 + 1.5 * r.random()}
        elif gt_kind == "amplitude":
            ep["gutentag"] = {"kind": "amplitude", "amplitude_factor": 2.0 + r.random()}
        out.append(ep)
    return out


def break_correlation(values: np.ndarray, eps: list, params: dict, spread: np.ndarray) -> None:
    """Replaces, in each episode, one coupled field's share of the driver W by W2 mapped onto W's distribution."""
    w, w2 = values[:, CH_DRIVER], values[:, CH_DRIVER2]
    w2 = np.sort(w)[np.argsort(np.argsort(w2, kind="stable"), kind="stable")]  # W2's ranks, W's values
    for ep in eps:
        a, b = ep["start"], ep["end"]
        ramp = min(max(1, (b - a) // 5), (b - a) // 2)
        blend = np.ones(b - a)
        edge = 0.5 - 0.5 * np.cos(np.pi * np.arange(ramp) / ramp)
        blend[:ramp], blend[b - a - ramp:] = edge, edge[::-1]
        coupling = -params["humidity"]["coupling"] if ep["field"] == "humidity_pct" else params["pressure"]["coupling"]
        delta = coupling * (w2[a:b] - w[a:b]) * blend
        values[a:b, CHANNEL[ep["field"]]] += delta
        ep["size_in_spread"] = round(float(np.mean(np.abs(delta)) / spread[FIELDS.index(ep["field"])]), 4)


def number(v: float) -> str:
    s = f"{v:.4f}"
    return "0.0000" if s == "-0.0000" else s


def write_csv(path: str, devices: int, values: list, episodes: list) -> None:
    """values[d] is (N, 5) in FIELDS order; episodes are this stream's, by device."""
    label = [[("0", "", "")] * N for _ in range(devices)]
    for d in range(devices):
        for ep in episodes[d]:
            for i in range(ep["start"], ep["end"]):
                label[d][i] = ("1", ep["kind"], ep["field"])
    text = [[",".join(number(x) for x in row) for row in values[d]] for d in range(devices)]
    names = [device_name(d) for d in range(devices)]
    lines = ["device,time," + ",".join(FIELDS) + ",label,kind,field\n"]
    for i in range(N):
        at = (START + timedelta(seconds=CADENCE * i)).strftime("%Y-%m-%dT%H:%M:%SZ")
        for d in range(devices):
            lines.append(f"{names[d]},{at},{text[d][i]},{','.join(label[d][i])}\n")
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.writelines(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", help="output folder (created)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--devices", type=int, default=10)
    ap.add_argument("--episodes", type=int, default=4, help="episodes per device and kind")
    args = ap.parse_args()
    if args.devices < 1 or not 1 <= args.episodes <= 6:
        ap.error("--devices must be at least 1 and --episodes 1 to 6")
    os.makedirs(args.out, exist_ok=True)
    warnings = Warnings()
    logging.getLogger("GutenTAG").addHandler(warnings)
    began = time.monotonic()

    params = [device_params(args.seed, d) for d in range(args.devices)]
    bos = [base_oscillations(p) for p in params]

    # The clean stream: no anomalies. Its spread per device and field sizes the anomalies.
    names = [f"clean/{device_name(d)}" for d in range(args.devices)]
    got = generate(names, [{"bo": bo, "anomalies": []} for bo in bos], args.seed, warnings)
    clean = [fields_of(got[n][0]) for n in names]
    if any(got[n][1].any() for n in names):
        raise SystemExit("gutentag_streams: GutenTAG labelled the clean stream")
    spread = [c.std(axis=0) for c in clean]
    write_csv(os.path.join(args.out, "clean.csv"), args.devices, clean, [[] for _ in range(args.devices)])
    streams = [{"file": "clean.csv", "kinds": [], "episodes": []}]

    for kind, (gt_kind, _, _) in KINDS.items():
        eps = [plan(kind, args.seed, d, params[d], spread[d], args.episodes) for d in range(args.devices)]
        names = [f"{kind}/{device_name(d)}" for d in range(args.devices)]
        configs = []
        for d in range(args.devices):
            anomalies = []
            if gt_kind is not None:
                anomalies = [{"exact-position": e["start"], "length": e["end"] - e["start"], "channel": CHANNEL[e["field"]], "kinds": [e["gutentag"]]} for e in eps[d]]
            configs.append({"bo": bos[d], "anomalies": anomalies})
        got = generate(names, configs, args.seed, warnings)
        values = []
        for d, n in enumerate(names):
            v, labels = got[n]
            want = np.zeros(N, dtype=bool)
            for e in eps[d]:
                want[e["start"]:e["end"]] = True
            if gt_kind is None:
                break_correlation(v, eps[d], params[d], spread[d])
            elif not np.array_equal(labels.astype(bool), want):
                raise SystemExit(f"gutentag_streams: GutenTAG's labels for {n} are not the planned episodes")
            values.append(fields_of(v))
        write_csv(os.path.join(args.out, f"{kind}.csv"), args.devices, values, eps)
        streams.append({"file": f"{kind}.csv", "kinds": [kind], "gutentag_kind": gt_kind or "none (made here: see correlation)", "episodes": [e for d in eps for e in d]})

    manifest = {
        "source": "gutentag",
        "title": "GutenTAG synthetic multivariate telemetry with labelled anomalies",
        "package": "timeeval-gutentag",
        "version": gutenTAG.__version__,
        "licence": "MIT (Copyright (c) 2020-2021 Phillip Wenig and Sebastian Schmidl)",
        "homepage": "https://github.com/TimeEval/gutentag",
        "citations": ["Phillip Wenig, Sebastian Schmidl, Thorsten Papenbrock. TimeEval: A Benchmarking Toolkit for Time Series Anomaly Detection Algorithms. PVLDB 15(12): 3678-3681, 2022. doi:10.14778/3554821.3554873 (the citation GutenTAG asks for)"],
        "environment": {"numpy": np.__version__, "scipy": scipy.__version__, "pandas": pandas.__version__},
        "seed": args.seed,
        "devices": args.devices,
        "cadence_seconds": CADENCE,
        "start": START.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "readings_per_device": N,
        "warm_up_readings": PER_DAY,
        "fields": FIELDS,
        "kind_map": {gt: ours for ours, (gt, _, _) in KINDS.items() if gt},
        "notes": [
            "platform (stuck): value 0.0 holds the field at its offset; GutenTAG still adds the channel's white noise.",
            "trend (drift): the field stays at the drifted level after the episode; only the ramp is labelled (GutenTAG's labels).",
            "frequency: episodes start where the channel's sine starts a period; only the periodic fields (sines) get them.",
            "correlation: made here on top of GutenTAG's channels (GutenTAG's mode-correlation needs random-mode-jump square waves): "
            "humidity_pct and pressure_kpa share a GutenTAG random-walk driver; in an episode one of them follows an independent "
            "GutenTAG random walk mapped onto the driver's distribution, blended in and out over a fifth of the episode.",
            "Sizes: level shifts 2.5-4 spreads, drifts 4-6 spreads at the end of the ramp, variance bursts max(6x the noise, 0.5 spread); "
            "a spread is the field's standard deviation on the device's clean stream.",
        ],
        "streams": streams,
    }
    with open(os.path.join(args.out, "manifest.json"), "w", encoding="utf-8", newline="") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    print(f"gutentag_streams: {len(streams)} streams of {args.devices} devices x {N} readings in {args.out} ({time.monotonic() - began:.1f} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
