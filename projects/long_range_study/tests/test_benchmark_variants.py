"""The study's variants as rows of the library's benchmark
(``--sb-variants --custom-imports``), parameters as the variants add them."""
import os.path as osp
import subprocess
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))


@pytest.mark.slow
def test_benchmark_rows_of_the_study_variants(tmp_path):
    proc = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'analysis_tools',
                                  'benchmark.py'), '--quick',
         '--no-full-models', '--sizes', '2x64x64', '--rounds', '1',
         '--iters', '1', '--no-memory', '--sb-variants', '--custom-imports',
         'projects.long_range_study.study.benchmark_variants',
         '--out-dir', str(tmp_path)],
        capture_output=True, text=True, timeout=900, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-4000:]
    table = (tmp_path / 'benchmark.md').read_text()
    # SB-R50 + 13 layers x (100 x 3) shared rows; + the 1x1 convs (3 -> C,
    # with bias) of the 13 SB blocks' outputs
    shared = 429_588 + 13 * 300
    to_output = 429_588 + sum(4 * c for c in [256] * 3 + [512] * 4 +
                              [1024] * 6)
    assert f'| SB-R50 shared mix | {23_508_032 + shared:,} |' in table
    assert f'| SB-R50 maps to output | {23_508_032 + to_output:,} |' \
        in table
    assert '| SB-R50 r8 (6 maps) |' in table
    assert '--custom-imports projects.long_range_study.study.' \
        'benchmark_variants`' in table
