"""Score customers by RFM from a purchases table and draw the segment chart.

    python examples/rfm_segments.py                      # 1M generated purchases
    python examples/rfm_segments.py tx_10m.parquet       # or a Parquet file of yours
    python examples/rfm_segments.py --out segments.png --rows 200000

A Parquet file needs the columns customer_id (integer), ts (timestamp) and
amount_cents (integer cents), e.g. what the team's peers/gen_transactions.py
writes. Without one, purchases are generated here (many one-time buyers, a
heavy tail of frequent ones, two years of times). Needs pyarrow and
matplotlib besides crm.

The picture: customers and revenue per segment (what each group is worth,
and how many there are to reach), and the R x FM grid of customer counts
(where the base sits between "just bought" and "long gone").
"""

from __future__ import annotations

import argparse
import datetime as dt

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

import crm  # noqa: E402

AS_OF = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
ORDER = [
    "Champions", "Loyal Customers", "Potential Loyalist", "New Customers", "Promising",
    "Need Attention", "About To Sleep", "At Risk", "Can't Lose Them", "Hibernating", "Lost",
]


def generate(rows: int, seed: int = 7) -> pa.Table:
    """`rows` purchases of rows/10 customers, sorted by time."""
    rng = np.random.default_rng(seed)
    customers = max(1, rows // 10)
    weights = rng.lognormal(0.0, 1.5, customers)
    counts = 1 + rng.multinomial(rows - customers, weights / weights.sum())
    first = rng.uniform(0, 730, customers)
    last = np.minimum(first + rng.exponential(300, customers), 729.99)
    ids = np.repeat(np.arange(1, customers + 1, dtype=np.int64), counts)
    days = first[ids - 1] + rng.uniform(0, 1, rows) * (last[ids - 1] - first[ids - 1])
    micros = (np.datetime64("2023-01-01", "us") + (days * 86_400e6).astype("timedelta64[us]"))
    cents = np.maximum(1, np.rint(rng.lognormal(3.3, 0.8, rows) * 100)).astype(np.int64)
    order = np.argsort(micros, kind="stable")
    return pa.table({
        "customer_id": ids[order],
        "ts": pa.array(micros[order], pa.timestamp("us")),
        "amount_cents": cents[order],
    })


def draw(scored: pa.Table, out: str) -> None:
    segments = scored.column("segment").to_pylist()
    monetary = pc.cast(scored.column("monetary"), pa.float64()).to_numpy()
    count = {s: 0 for s in ORDER}
    revenue = {s: 0.0 for s in ORDER}
    for segment, money in zip(segments, monetary):
        count[segment] += 1
        revenue[segment] += money
    total_customers, total_revenue = sum(count.values()), sum(revenue.values())

    fig, (left, right) = plt.subplots(1, 2, figsize=(14, 6), gridspec_kw={"width_ratios": [3, 2]})
    y = np.arange(len(ORDER))
    left.barh(y - 0.2, [100 * count[s] / total_customers for s in ORDER], 0.4, label="% of customers")
    left.barh(y + 0.2, [100 * revenue[s] / total_revenue for s in ORDER], 0.4, label="% of revenue")
    left.set_yticks(y, ORDER)
    left.invert_yaxis()
    left.set_xlabel("%")
    left.legend(loc="lower right")
    left.set_title(f"{total_customers:,} customers by RFM segment, as of {AS_OF.date()}")

    r = scored.column("r").to_numpy()
    fm = scored.column("fm").to_numpy()
    grid = np.zeros((5, 5), dtype=np.int64)
    np.add.at(grid, (5 - r, fm - 1), 1)
    image = right.imshow(grid, cmap="Blues")
    right.set_xticks(range(5), [f"FM {i}" for i in range(1, 6)])
    right.set_yticks(range(5), [f"R {i}" for i in range(5, 0, -1)])
    for (row, col), value in np.ndenumerate(grid):
        right.text(col, row, f"{value:,}", ha="center", va="center", fontsize=8)
    right.set_title("customers per recency x frequency-monetary cell")
    fig.colorbar(image, ax=right, shrink=0.7)
    fig.tight_layout()
    fig.savefig(out, dpi=120)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("parquet", nargs="?", help="purchases (customer_id, ts, amount_cents)")
    ap.add_argument("--rows", type=int, default=1_000_000, help="purchases to generate without a file")
    ap.add_argument("--out", default="rfm_segments.png")
    args = ap.parse_args()
    purchases = pq.read_table(args.parquet, columns=["customer_id", "ts", "amount_cents"]) if args.parquet else generate(args.rows)
    scored = crm.score_rfm_frame(purchases, as_of=AS_OF, customer="customer_id", at="ts", amount="amount_cents")
    draw(scored, args.out)
    champions = pc.sum(pc.equal(scored.column("segment"), "Champions")).as_py()
    print(f"{purchases.num_rows:,} purchases, {scored.num_rows:,} customers, {champions:,} champions: {args.out}")


if __name__ == "__main__":
    main()
