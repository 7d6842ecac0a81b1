"""The benchmark runs in --quick mode and writes its table and plot."""
import os.path as osp
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


@pytest.mark.slow
def test_benchmark_quick_writes_table_and_plot(tmp_path):
    proc = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'analysis_tools',
                                  'benchmark.py'), '--quick',
         '--out-dir', str(tmp_path)],
        capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-4000:]
    table = (tmp_path / 'benchmark.md').read_text()
    for row in ('| R50 |', '| SB-R50 |', '| NL-R50 (5 blocks) |',
                '| GC-R50 |', '| SB+NL-R50 |', '| MaskRCNN-SB-R50 |',
                '| UPerNet-SB-R50 |'):
        assert row in table
    assert 'SB added parameters / NL (5 blocks) added parameters' in table
    assert (tmp_path / 'benchmark.png').stat().st_size > 10_000
    print(table)
