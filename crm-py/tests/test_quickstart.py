"""The Python quickstart runs and tells the same story as the Rust one."""

from __future__ import annotations

import subprocess
import sys

from conftest import ROOT


def test_quickstart_tells_the_story() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "quickstart.py")],
        capture_output=True, text=True, check=True,
    )
    out = result.stdout
    assert "contract C-000001 drafted for 48000.00 EUR" in out
    assert 'ticket "Two trucks show no position" is closed' in out
    assert "outbox: send_quote_template for ana" in out
    assert "qualifying it again is refused: cannot qualify lead" in out
    history = out.split("History", 1)[1]
    assert "lead        convert      by ana   qualified -> converted" in history
    assert "customer    onboard      by ana   prospect -> new (first deal won)" in history
