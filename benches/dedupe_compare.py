#!/usr/bin/env python3
"""Duplicate matching on the same contacts in crm, recordlinkage and Splink, in one run.

Run it with `bash scripts/compare-dedupe` (it makes a virtualenv with the pinned
peer tools and this checkout's crm wheel, then calls this script). It needs the
peer scripts of the team's shared folder (`--peers`, default `../shared/peers`
next to the checkout): `gen_contacts.py` generates the contacts with their true
duplicate groups, and `dedupe_scaled.py` runs recordlinkage and Splink on them.
crm's own build and tests never need them.

For each size (100k and 1m contacts), crm scans the Parquet file loaded in
memory (loading not timed; crm's time includes its own normalisation), and each
peer runs in its own process through `dedupe_scaled.py`, whose time excludes its
shared polars normalisation. Quality is pairwise precision, recall and F1
against the true groups, for crm's matched pairs and for the pairs its groups
imply; each peer's best F1 over its thresholds is reported. Times are medians
of `--runs` runs of crm; peers run once (they take minutes).
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def truth_pairs(cluster_ids):
    groups = {}
    for row, c in enumerate(cluster_ids):
        groups.setdefault(c, []).append(row)
    return groups, sum(len(g) * (len(g) - 1) // 2 for g in groups.values())


def score(pred_pairs, truth, total):
    tp = sum(1 for l, r in pred_pairs if truth[l] == truth[r])
    p = tp / len(pred_pairs) if pred_pairs else 0.0
    rc = tp / total
    return {"precision": round(p, 4), "recall": round(rc, 4),
            "f1": round(2 * p * rc / (p + rc), 4) if p + rc else 0.0}


def run_crm(path: Path, runs: int, threads: int):
    import pyarrow.parquet as pq

    import crm

    table = pq.read_table(path)
    truth = table.column("cluster_id").to_pylist()
    _, total = truth_pairs(truth)
    times = []
    result = None
    for _ in range(runs):
        started = time.perf_counter()
        result = crm.dedupe(table, threads=threads)
        times.append(time.perf_counter() - started)
    pairs = result.pairs()
    left = pairs.column("left").to_pylist()
    right = pairs.column("right").to_pylist()
    out = {"tool": "crm", "threads": threads, "total_s": round(statistics.median(times), 3),
           "candidate_pairs": result.candidate_pairs, "pairs": score(list(zip(left, right)), truth, total)}
    by_cluster = {}
    for row, c in enumerate(result.cluster_ids().to_pylist()):
        by_cluster.setdefault(c, []).append(row)
    implied = [(a, b) for rows in by_cluster.values() for i, a in enumerate(rows) for b in rows[i + 1:]]
    out["groups"] = score(implied, truth, total)
    return out


def run_peer(tool: str, size: str, data_dir: Path, peers: Path):
    proc = subprocess.run(
        [sys.executable, str(peers / "dedupe_scaled.py"), "--size", size, "--tool", tool,
         "--data-dir", str(data_dir)],
        check=True, capture_output=True, text=True)
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    candidates = {k: v for k, v in res.items() if isinstance(v, dict) and "f1" in v}
    for v in res.values():
        if isinstance(v, dict) and all(isinstance(x, dict) for x in v.values()):
            candidates.update({k: x for k, x in v.items() if "f1" in x})
    best = max(candidates.items(), key=lambda kv: kv[1]["f1"])
    return {"tool": tool, "total_s": res["total_s"], "best": best[0], "pairs": best[1]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100k,1m")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tools", default="recordlinkage,splink")
    ap.add_argument("--peers", default=str(ROOT.parent / "shared" / "peers"))
    ap.add_argument("--data-dir", default=str(ROOT / "target" / "peers-data"))
    a = ap.parse_args()
    peers, data = Path(a.peers), Path(a.data_dir)
    data.mkdir(parents=True, exist_ok=True)
    for size in a.sizes.split(","):
        path = data / f"contacts_{size}.parquet"
        if not path.exists():
            subprocess.run([sys.executable, str(peers / "gen_contacts.py"), "--sizes", size,
                            "--out-dir", str(data)], check=True)
        rows = [run_crm(path, a.runs, a.threads)]
        for tool in filter(None, a.tools.split(",")):
            rows.append(run_peer(tool, size, data, peers))
        base = rows[0]["total_s"]
        print(f"\n{size} contacts")
        print(f"{'tool':<14}{'time s':>9}{'x crm':>8}{'precision':>11}{'recall':>8}{'F1':>8}")
        for r in rows:
            q = r["pairs"]
            print(f"{r['tool']:<14}{r['total_s']:>9.3f}{r['total_s'] / base:>8.2f}"
                  f"{q['precision']:>11.4f}{q['recall']:>8.4f}{q['f1']:>8.4f}"
                  + (f"  ({r['best']})" if "best" in r else ""))
        g = rows[0]["groups"]
        print(f"{'crm groups':<14}{'':>17}{g['precision']:>11.4f}{g['recall']:>8.4f}{g['f1']:>8.4f}")
        print(json.dumps(rows))


if __name__ == "__main__":
    main()
