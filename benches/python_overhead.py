"""Per-call overhead of the Python binding, as ratios measured in one run.

Build the wheel in release mode first (the test command builds a debug one):
    target/py-venv/bin/maturin build --release --manifest-path crm-py/Cargo.toml --out target/wheels-release
    target/py-venv/bin/pip install --force-reinstall --no-deps target/wheels-release/crm-*.whl
    target/py-venv/bin/python benches/python_overhead.py
"""

from __future__ import annotations

import timeit
from datetime import datetime, timezone

import crm


def plain(x: int) -> int:
    return x


def main() -> None:
    engine = crm.Crm(now=datetime(2026, 1, 5, 9, tzinfo=timezone.utc), seed=1)
    ana = crm.Actor("ana", roles=["sales"])
    lead = engine.create_lead(ana, company="Acme", contact_name="Jo", owner="ana")
    cases = {
        "plain Python call": lambda: plain(1),
        "crm.Crm.now()": engine.now,
        "crm.Crm.get(lead)": lambda: engine.get(ana, "lead", lead.id),
        "crm.Crm.history(lead)": lambda: engine.history(ana, "lead", lead.id),
    }
    number = 20_000
    timings = {name: min(timeit.repeat(case, number=number, repeat=5)) / number for name, case in cases.items()}
    base = timings["plain Python call"]
    for name, seconds in timings.items():
        print(f"{name:<24} {seconds * 1e9:9.0f} ns   {seconds / base:7.1f}x a plain call")


if __name__ == "__main__":
    main()
