"""examples/rfm_segments.py draws the segment chart of generated purchases."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT


def test_the_segment_chart_is_drawn(tmp_path: Path) -> None:
    for module in ("matplotlib", "numpy", "pyarrow"):
        pytest.importorskip(module)
    out = tmp_path / "segments.png"
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "rfm_segments.py"), "--rows", "20000", "--out", str(out)],
        capture_output=True, text=True, check=True,
    )
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert out.stat().st_size > 10_000
    assert result.stdout.startswith("20,000 purchases, 2,000 customers")
    assert str(out) in result.stdout
