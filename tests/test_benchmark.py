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


def test_cost_breakdown_zeroes_only_the_branch(capsys):
    """The breakdown's third model keeps SB's channels but not its branch."""
    import importlib.util

    import torch
    spec = importlib.util.spec_from_file_location(
        'sb_cost_breakdown',
        osp.join(REPO, 'tools', 'analysis_tools', 'sb_cost_breakdown.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    tool.main(['--shape', '1,3,64,64', '--rounds', '1'])
    out = capsys.readouterr().out
    for name in ('R50 ', 'SB-R50 ', 'SB-R50, branch -> zeros'):
        assert name in out
    from sb_mm.layers import SpatialBias
    sb = SpatialBias(8)
    zero = tool._zero_branch(sb, torch.randn(2, 8, 9, 11))
    assert zero.shape == (2, 3, 9, 11) and not zero.any()


def test_peak_memory_sees_a_known_allocation():
    """A call that touches 64 MiB reads about 64 MiB; a no-op reads ~0,
    each the median of interleaved readings."""
    import numpy as np

    from sb_mm.benchmark.measure import peak_memory_interleaved

    def touch_64_mib():
        a = np.ones(64 * 2**20 // 8)  # float64, written: resident
        assert a[-1] == 1.0

    peaks = peak_memory_interleaved(
        {'alloc': touch_64_mib, 'noop': lambda: None}, 3, 'cpu')
    assert 56 <= peaks['alloc'] <= 80, peaks
    assert peaks['noop'] < 8, peaks
