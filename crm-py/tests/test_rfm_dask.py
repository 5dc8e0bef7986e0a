"""examples/rfm_dask.py: RFM aggregated per Dask partition
(``crm.rfm_aggregate``) and scored once (``crm.score_rfm_aggregates``) equals
``crm.score_rfm_frame`` over all the purchases in one process, including what
was left out (rows after ``as_of``, customers with refunds only)."""

from __future__ import annotations

import importlib.util
from types import ModuleType
from typing import Any

import pytest

import crm

from conftest import ROOT


def example(name: str) -> ModuleType:
    """An example script, imported from examples/ by its path."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "examples" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def purchases(ids: str, rows: int = 50_000, seed: int = 3) -> Any:
    """Generated purchases as a pandas frame: refunds, rows after as_of,
    customers with refunds only, ids dense (1..5000) or sparse (63-bit)."""
    np = pytest.importorskip("numpy")
    pd = pytest.importorskip("pandas")
    rng = np.random.default_rng(seed)
    customers = rng.integers(1, 5_000, rows)
    if ids == "sparse":
        customers = rng.integers(1, 2**62, 5_000)[customers]
    as_of = np.datetime64("2025-01-01T00:00:00", "us")
    ts = as_of - rng.integers(-5 * 86_400, 700 * 86_400, rows).astype("timedelta64[s]")
    cents = rng.integers(1, 80_000, rows)
    cents[rng.random(rows) < 0.05] *= -1
    frame = pd.DataFrame({"customer_id": customers.astype("int64"), "ts": ts, "amount_cents": cents.astype("int64")})
    # Two customers with refunds only, in different partitions.
    extra = pd.DataFrame({
        "customer_id": [-1, -2],
        "ts": [as_of - np.timedelta64(3, "D")] * 2,
        "amount_cents": [-500, -700],
    })
    return pd.concat([extra.iloc[:1], frame, extra.iloc[1:]], ignore_index=True)


@pytest.mark.parametrize("ids", ["dense", "sparse"])
def test_dask_partitions_score_as_one_process(ids: str) -> None:
    pytest.importorskip("dask.dataframe")
    pa = pytest.importorskip("pyarrow")
    rfm_dask = example("rfm_dask")
    data = purchases(ids)
    whole = crm.score_rfm_frame(
        pa.Table.from_pandas(data, preserve_index=False), as_of=rfm_dask.AS_OF, **rfm_dask.COLUMNS
    )
    scored = rfm_dask.score_with_dask(data, partitions=7)
    assert isinstance(scored, pa.Table)
    assert scored.num_rows == whole.num_rows > 4_000
    assert scored.equals(whole)
    assert scored.schema.metadata == whole.schema.metadata
    meta = scored.schema.metadata
    assert int(meta[b"crm.rfm.skipped.future"]) > 0
    assert int(meta[b"crm.rfm.skipped.refund_only"]) == 2
