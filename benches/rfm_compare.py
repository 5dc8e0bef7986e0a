#!/usr/bin/env python3
"""RFM on the same purchases in crm, polars, pandas and DuckDB, in one run.

Run it with `bash scripts/compare-rfm` (it makes a virtualenv with the pinned
peer tools and this checkout's crm wheel, then calls this script). It needs the
peer scripts of the team's shared folder (`--peers`, default `../shared/peers`
next to the checkout): they generate the purchases and hold the pandas, polars
and DuckDB implementations of the definition. crm's own build and tests never
need them.

For each size (1m: 1M purchases of 100k customers; 10m: 10M of 1M) and tool,
a fresh process loads the Parquet file into memory (not timed), then scores it
`--runs` times; the median compute time and the process's peak RSS are
reported, with each tool's time as a multiple of crm's. crm runs with
`ties="position"` (the peers' tie rule) and its result is checked equal to
polars' (recency, frequency, monetary, r, f, m, fm and segment of every
customer) before any figure is printed.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AS_OF = "2025-01-01"
COLS = ["customer_id", "ts", "amount_cents"]
TOOLS = ["crm", "polars", "pandas", "duckdb"]


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def crm_job(path: Path, threads: int):
    import datetime as dt

    import pyarrow.parquet as pq

    import crm

    table = pq.read_table(path, columns=COLS)
    as_of = dt.datetime.fromisoformat(AS_OF).replace(tzinfo=dt.timezone.utc)

    def run():
        return crm.score_rfm_frame(
            table,
            as_of=as_of,
            customer="customer_id",
            at="ts",
            amount="amount_cents",
            config={"ties": "position"},
            threads=threads,
        )

    return run


def peer_job(tool: str, path: Path, peers: Path):
    sys.path.insert(0, str(peers))
    import rfm_peers  # noqa: E402  (the shared folder's implementations)

    data = getattr(rfm_peers, f"{tool}_load")(str(path))
    compute = getattr(rfm_peers, f"{tool}_rfm")
    return lambda: compute(data, AS_OF)


def worker(args: argparse.Namespace) -> None:
    path = Path(args.data_dir) / f"tx_{args.size}.parquet"
    if args.tool == "crm":
        run = crm_job(path, args.threads)
    else:
        run = peer_job(args.tool, path, Path(args.peers))
    times = []
    result = None
    for _ in range(args.runs):
        result = None
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    if args.dump:
        dump(args.tool, result, Path(args.dump))
    print(json.dumps({"tool": args.tool, "size": args.size, "median_s": statistics.median(times),
                      "times_s": times, "peak_rss_mib": round(peak_rss_mib(), 1)}))


def dump(tool: str, result, out: Path) -> None:
    """The comparable columns, as Parquet, sorted by customer."""
    import polars as pl

    if tool == "crm":
        frame = pl.from_arrow(result)
        frame = frame.with_columns(
            monetary_cents=(pl.col("monetary").cast(pl.Decimal(38, 2)) * 100).cast(pl.Int64)
        )
    else:
        frame = result if isinstance(result, pl.DataFrame) else pl.from_pandas(result)
    frame = frame.select(
        pl.col("customer_id").cast(pl.Int64),
        pl.col("recency_days").cast(pl.Int64),
        pl.col("frequency").cast(pl.Int64),
        pl.col("monetary_cents").cast(pl.Int64),
        *(pl.col(c).cast(pl.Int64) for c in ["r", "f", "m", "fm"]),
        pl.col("segment").cast(pl.Utf8),
    ).sort("customer_id")
    frame.write_parquet(out)


def run_worker(tool: str, size: str, args: argparse.Namespace, dump: Path | None = None) -> dict:
    cmd = [sys.executable, __file__, "--worker", tool, "--size", size, "--runs", str(args.runs),
           "--data-dir", args.data_dir, "--peers", args.peers, "--threads", str(args.threads)]
    if dump:
        cmd += ["--dump", str(dump)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="1m,10m")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1, help="crm's threads (default 1: on 2 cores, 2 did not pay at 10M)")
    ap.add_argument("--peers", default=str(ROOT.parent / "shared" / "peers"))
    ap.add_argument("--data-dir", default=str(ROOT / "target" / "peers-data"))
    ap.add_argument("--worker", choices=TOOLS)
    ap.add_argument("--size")
    ap.add_argument("--dump")
    args = ap.parse_args()
    if args.worker:
        args.tool = args.worker
        worker(args)
        return
    peers = Path(args.peers)
    if not (peers / "rfm_peers.py").exists():
        sys.exit(f"no peer scripts at {peers}: pass --peers DIR (the shared folder's peers/)")
    os.makedirs(args.data_dir, exist_ok=True)
    sizes = args.sizes.split(",")
    missing = [s for s in sizes if not (Path(args.data_dir) / f"tx_{s}.parquet").exists()]
    if missing:
        print(f"generating {','.join(missing)} with the peers' generator ...", flush=True)
        subprocess.run([sys.executable, str(peers / "gen_transactions.py"), "--sizes", ",".join(missing),
                        "--out-dir", args.data_dir, "--no-csv"], check=True)
    report = []
    for size in sizes:
        import polars as pl

        ours, theirs = Path(args.data_dir) / f"crm_{size}.parquet", Path(args.data_dir) / f"polars_{size}.parquet"
        run_worker("crm", size, argparse.Namespace(**{**vars(args), "runs": 1}), dump=ours)
        run_worker("polars", size, argparse.Namespace(**{**vars(args), "runs": 1}), dump=theirs)
        a, b = pl.read_parquet(ours), pl.read_parquet(theirs)
        if not a.equals(b):
            diff = a.join(b, on="customer_id", suffix="_polars").filter(
                pl.any_horizontal(pl.col(c) != pl.col(f"{c}_polars") for c in a.columns if c != "customer_id"))
            sys.exit(f"{size}: crm and polars differ for {len(diff)} customers:\n{diff.head()}")
        print(f"{size}: crm's scores equal polars' for all {len(a):,} customers", flush=True)
        rows = {tool: run_worker(tool, size, args) for tool in TOOLS}
        base = rows["crm"]["median_s"]
        for tool in TOOLS:
            row = rows[tool]
            row["x_crm"] = round(row["median_s"] / base, 2)
            report.append(row)
            print(f"{size:>4} {tool:<7} median {row['median_s']:.3f} s  ({row['x_crm']:>5}x crm)  "
                  f"peak RSS {row['peak_rss_mib']:.0f} MiB", flush=True)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
