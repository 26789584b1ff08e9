"""The benchmark runs and records its result (no timing is asserted: speed is
measured by `make bench`, not by the tests)."""
import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench.py"


def test_bench_checks_agreement_then_writes_its_table_json_and_chart(tmp_path):
    run = subprocess.run([sys.executable, str(BENCH), "--quick", "--sizes", "S1",
                          "--torch", "off", "--out", str(tmp_path)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "malloc steady" in run.stdout and "S1" in run.stdout, run.stdout
    result = json.loads((tmp_path / "bench.json").read_text())
    assert list(result["sizes"]) == ["S1"] and result["malloc"] == "steady"
    assert result["sizes"]["S1"]["ratio_to_numpy"]["minigrad"] > 0, result["sizes"]["S1"]
    assert (tmp_path / "bench.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
