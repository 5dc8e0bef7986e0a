#!/usr/bin/env python3
"""Lifetime value: crm's BG/NBD and Gamma-Gamma fits against the `lifetimes`
package on the same purchases, in one run.

Run it with `bash scripts/compare-clv` (it makes a virtualenv with the
peers' pinned lifetimes, pandas and pyarrow and this checkout's crm wheel,
then calls this script). It needs the peer scripts of the team's shared
folder (`--peers`, default `../shared/peers` next to the checkout): they
generate the purchases and run lifetimes (`clv_peers.py --fit`). crm's own
build and tests never need them.

Both sides work from the same Parquet file (1m: 1M purchases of 100k
customers) as of 2025-01-01: lifetimes' summary, BetaGeoFitter and
GammaGammaFitter (no penalizer) and its 12-month CLV; crm.fit_clv (summary,
both fits and the 12-month CLV in one call). The script prints the two sets
of parameters, their largest relative difference, and the time of each
(lifetimes' summary + fits + CLV as a multiple of crm's), and exits 1 when a
parameter differs by more than the tolerance (0.1 % by default).
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AS_OF = "2025-01-01"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--peers", default=str(ROOT.parent / "shared" / "peers"))
    ap.add_argument("--data-dir", default=str(ROOT / "target" / "peers-data"))
    ap.add_argument("--size", default="1m")
    ap.add_argument("--tolerance", type=float, default=1e-3)
    a = ap.parse_args()
    peers = Path(a.peers)
    data = Path(a.data_dir)
    path = data / f"tx_{a.size}.parquet"
    if not path.exists():
        data.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, str(peers / "gen_transactions.py"), "--sizes", a.size,
                        "--out-dir", str(data)], check=True)

    # lifetimes, through the peers' script, in its own process.
    peer = subprocess.run([sys.executable, str(peers / "clv_peers.py"), "--size", a.size, "--data-dir",
                           str(data), "--tool", "lifetimes", "--fit", "--runs", "1", "--as-of", AS_OF],
                          check=True, capture_output=True, text=True)
    lifetimes = json.loads(peer.stdout.strip().splitlines()[-1])
    lifetimes_s = (lifetimes["lifetimes_summary_s"] + lifetimes["bgnbd_fit_s"]
                   + lifetimes["gammagamma_fit_s"] + lifetimes["clv_predict_s"])

    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    import crm

    table = pq.read_table(path, columns=["customer_id", "ts", "amount_cents"])
    amounts = pc.multiply(pc.cast(table["amount_cents"], pa.decimal128(20, 0)),
                          pa.scalar(Decimal("0.01"), pa.decimal128(3, 2)))
    as_of = dt.datetime.fromisoformat(AS_OF).replace(tzinfo=dt.timezone.utc)
    began = time.perf_counter()
    model = crm.fit_clv(table["customer_id"], table["ts"], amounts, as_of=as_of, months=12,
                        monthly_discount=0.01)
    crm_s = time.perf_counter() - began
    ours = {"r": model.bg_nbd.r, "alpha": model.bg_nbd.alpha, "a": model.bg_nbd.a, "b": model.bg_nbd.b,
            "p": model.gamma_gamma.p, "q": model.gamma_gamma.q, "v": model.gamma_gamma.v}
    theirs = dict(lifetimes["bgnbd_params"]) | dict(lifetimes["gammagamma_params"])
    differences = {k: abs(ours[k] - theirs[k]) / abs(theirs[k]) for k in ours}
    clv_total = sum(row["clv"] for row in model.customers.rows())
    out = {
        "size": a.size,
        "as_of": AS_OF,
        "crm": ours,
        "lifetimes": theirs,
        "largest_relative_difference": max(differences.values()),
        "relative_differences": differences,
        "tolerance": a.tolerance,
        "clv_total": {"crm": str(clv_total), "lifetimes": lifetimes["clv_total"]},
        "seconds": {"crm_fit_clv": round(crm_s, 3), "lifetimes_summary_fits_clv": round(lifetimes_s, 3)},
        "lifetimes_time_over_crm": round(lifetimes_s / crm_s, 1),
        "versions": lifetimes.get("versions", {}),
    }
    print(json.dumps(out, indent=2))
    return 0 if out["largest_relative_difference"] <= a.tolerance else 1


if __name__ == "__main__":
    sys.exit(main())
