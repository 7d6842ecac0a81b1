"""The benchmark runs in --quick mode and writes its table and plot."""
import os.path as osp
import subprocess
import sys

import pytest
from sb_testing import load_tool

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


@pytest.mark.slow
def test_benchmark_quick_writes_table_and_plot(tmp_path):
    proc = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'analysis_tools',
                                  'benchmark.py'), '--quick',
         '--sizes', '2x64x64', '--rounds', '1', '--iters', '1',
         '--out-dir', str(tmp_path)],
        capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-4000:]
    table = (tmp_path / 'benchmark.md').read_text()
    for row in ('| R50 |', '| SB-R50 |', '| NL-R50 (5 blocks) |',
                '| GC-R50 |', '| SB+NL-R50 |', '| MaskRCNN-SB-R50 |',
                '| UPerNet-SB-R50 |'):
        assert row in table
    assert 'SB added parameters / NL (5 blocks) added parameters' in table
    # the README's fixed figures
    assert '| SB-R50 | 23,937,620 | 429,588 |' in table
    assert '| NL-R50 (5 blocks) | 30,858,304 | 7,350,272 |' in table
    assert '| SB-R50 (sb off) | 23,508,032 | 0 |' in table
    sections = table.split('## Input ')[1:]
    assert len(sections) == 1  # --sizes 2x64x64
    for section in sections:
        rows = {}
        for line in section.splitlines():
            cells = [c.strip() for c in line.strip('|').split('|')]
            if len(cells) == 8 and cells[1][:1].isdigit():
                rows[cells[0]] = cells
        flops = {n: float(r[1]) for n, r in rows.items()}
        assert flops['SB-R50'] > flops['R50'] == flops['SB-R50 (sb off)']
        assert flops['NL-R50 (5 blocks)'] > flops['SB-R50']
        for name, cells in rows.items():
            # finite and positive (at --quick sizes the two readings are a
            # few MiB each and not ordered: 11 / 10 was seen)
            infer_mib, train_mib = (float(v) for v in cells[7].split(' / '))
            assert 0 < infer_mib < 1e5 and 0 < train_mib < 1e5, cells[7]
            assert 0 < float(cells[2]) < 1e6  # infer ms
    assert (tmp_path / 'benchmark.png').stat().st_size > 10_000
    print(table)


def test_cost_breakdown_zeroes_only_the_branch(capsys):
    """The breakdown's last model keeps SB's channels but not its branch;
    the noise row is R50 itself."""
    import torch
    tool = load_tool('tools/analysis_tools/sb_cost_breakdown.py')
    for extra in ([], ['--train']):
        tool.main(['--shape', '2,3,64,64', '--rounds', '1'] + extra)
        out = capsys.readouterr().out
        for name in ('R50 ', 'SB-R50 (sb off) ', 'SB-R50 ',
                     'SB-R50, branch -> zeros', 'noise, SB off vs R50'):
            assert name in out
    assert out.startswith('training step')
    tool.main(['--shape', '1,3,64,64', '--rounds', '1', '--layers'])
    out = capsys.readouterr().out
    # stages 1-3 of SB-R50 (stride in conv2: a stage's first SB layer sees
    # the previous stage's size)
    for shape in ('(1, 64, 16, 16)', '(1, 128, 16, 16)', '(1, 128, 8, 8)',
                  '(1, 256, 8, 8)', '(1, 256, 4, 4)'):
        assert shape in out
    assert out.count('SB / conv2') == 5
    from sb_mm.layers import SpatialBias
    sb = SpatialBias(8)
    zero = tool._zero_branch(sb, torch.randn(2, 8, 9, 11))
    assert zero.shape == (2, 3, 9, 11) and not zero.any()
    # the variants are applied to the built models, and only to their own
    models = tool.breakdown_models()
    layers = {name: [m for m in model.modules() if isinstance(m, SpatialBias)]
              for name, model in models.items()}
    assert not layers['R50'] and not layers['SB-R50 (sb off)']
    assert all(len(v) == 13 for k, v in layers.items()
               if k not in ('R50', 'SB-R50 (sb off)'))
    for name, sbs in layers.items():
        for m in sbs:
            m.eval()
            out = m(torch.randn(1, m.in_channels, 12, 12))
            assert out.shape == (1, 3, 12, 12)
            assert (not out.any()) == (name == 'SB-R50, branch -> zeros')


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


_FRAGMENTING_CALL = '''
import sys
import numpy as np
from sb_mm.benchmark.measure import (fix_heap_for_memory_readings,
                                     peak_memory_mib)
MiB = 2 ** 20
def call():  # live memory never exceeds 30 MiB
    a = np.ones(30 * MiB // 8); del a  # glibc: mmap threshold -> 30 MiB
    a = np.ones(24 * MiB // 8)  # now from the heap
    pin = np.ones(MiB // 8)  # keeps a's hole off the heap's top
    del a
    c = np.ones(25 * MiB // 8)  # does not fit a's hole: the heap grows
    del c, pin
if sys.argv[1] == 'fixed':
    assert fix_heap_for_memory_readings()
print(round(peak_memory_mib(call, 'cpu')))
'''


@pytest.mark.skipif(not sys.platform.startswith('linux'),
                    reason='glibc malloc and /proc are Linux-only')
def test_fixed_heap_threshold_reads_live_memory_only():
    """Why the benchmark fixes glibc's mmap threshold before reading memory:
    with the default (dynamic) threshold a call's resident peak counts the
    freed holes of its heap (about 24 + 1 + 25 MiB here), with a fixed one
    it counts the live blocks (30 MiB)."""
    def reading(mode):
        out = subprocess.run(
            [sys.executable, '-c', _FRAGMENTING_CALL, mode], cwd=REPO,
            capture_output=True, text=True, check=True)
        return int(out.stdout.split()[-1])

    dynamic, fixed = reading('dynamic'), reading('fixed')
    assert 28 <= fixed <= 34, fixed
    assert dynamic >= 45, dynamic


def test_sizes_argument():
    tool = load_tool('tools/analysis_tools/benchmark.py')
    args = tool.parse_args(['--sizes', '8x224x224', '1X800x1216'])
    assert args.sizes == [(8, 224, 224), (1, 800, 1216)]
    for bad in ('224x224', '8x0x224', '8xax2'):
        with pytest.raises(SystemExit):
            tool.parse_args(['--sizes', bad])


@pytest.mark.slow
def test_each_row_reports_its_own_model(tmp_path, monkeypatch):
    """The table's time and memory cells are each model's own readings:
    the measurements are replaced by readings that differ per model (the
    n-th model seen: n GFLOPs, n ms for everything, 10 n MiB inference,
    10 n + 5 MiB training step) and every row must show its model's. The memory
    readings take the real path (``--memory-only`` and its JSON), in this
    process instead of a fresh one."""
    import json
    tool = load_tool('tools/analysis_tools/benchmark.py')
    order = {}

    def rank(name):
        return order.setdefault(name, len(order) + 1)

    def interleaved(fns, rounds, iters, device, progress=None):
        return {n: [rank(n) / 1000] * rounds for n in fns}

    calls = []

    def peak(fns, repeats, device, progress=None):
        calls.append(1)  # inference, then the training step, per size
        extra = 5 if len(calls) % 2 == 0 else 0
        return {n: 10.0 * rank(n) + extra for n in fns}

    def memory_here(argv):
        path = str(tmp_path / 'memory.json')
        tool.main(list(argv) + ['--memory-only', path])
        with open(path) as f:
            return {tuple(shape): {n: tuple(v) for n, v in readings.items()}
                    for shape, readings in json.load(f)}

    names = {}

    def flops(model, shape, device):  # per model, by identity
        return 1e9 * rank(names[id(model)])

    build = tool.backbone_builders

    def builders(**kw):  # remember which name each built model has
        def named(name, fn):
            def make():
                model = fn()
                names[id(model)] = name
                return model
            return make
        return {n: named(n, fn) for n, fn in build(**kw).items()}

    monkeypatch.setattr(tool, 'backbone_builders', builders)
    monkeypatch.setattr(tool, 'flops_of', flops)
    monkeypatch.setattr(tool, 'interleaved', interleaved)
    monkeypatch.setattr(tool, 'peak_memory_interleaved', peak)
    monkeypatch.setattr(tool, 'measure_memory_in_fresh_process', memory_here)
    tool.main(['--sizes', '2x64x64', '--rounds', '1', '--iters', '1',
               '--no-full-models', '--out-dir', str(tmp_path)])
    table = (tmp_path / 'benchmark.md').read_text()
    rows = {}
    for line in table.split('## Input ')[1].splitlines():
        cells = [c.strip() for c in line.strip('|').split('|')]
        if len(cells) == 8 and cells[1][:1].isdigit():
            rows[cells[0]] = cells
    assert set(rows) == set(order) and len(rows) >= 5, (rows, order)
    for name, cells in rows.items():
        n = order[name]
        assert cells[7] == f'{10 * n:.0f} / {10 * n + 5:.0f}', (name, cells)
        assert float(cells[2]) == pytest.approx(n), (name, cells)
        assert float(cells[1]) == pytest.approx(n), (name, cells)


@pytest.mark.parametrize('family,nl,gc', [('convnext-t', 5, 3 + 9 + 3),
                                          ('mobilenetv2', 5, 3 + 4 + 3 + 3
                                           + 1)])
def test_family_models_are_what_their_names_say(family, nl, gc):
    """The stock backbone, SB in the default stages, SB off (no SB layer),
    NL after 5 blocks at 1/8 - 1/16 and GC after every block at 1/8 -
    1/32, counted from the built modules."""
    from mmcv.cnn import ContextBlock, NonLocal2d

    from sb_mm.benchmark.models import FAMILIES, backbone_builders
    from sb_mm.layers import SpatialBias
    names = FAMILIES[family]
    models = {n: build() for n, build in
              backbone_builders(family=family).items()}
    assert list(models) == [names['ref'], names['sb'], names['off'],
                            names['nl'], f'GC-{names["title"]}']

    def count(model, cls):
        return sum(isinstance(m, cls) for m in model.modules())
    ref = models[names['ref']]
    assert not hasattr(ref, 'sb_stages')
    assert count(models[names['sb']], SpatialBias) == sum(
        len(blocks) for blocks, flag in zip(
            models[names['sb']]._sb_stage_blocks(),
            models[names['sb']].sb_stages) if flag) > 0
    assert count(models[names['off']], SpatialBias) == 0
    assert count(models[names['nl']], NonLocal2d) == nl
    assert count(models[names['nl']], SpatialBias) == 0
    assert count(models[f'GC-{names["title"]}'], ContextBlock) == gc
    # SB off, NL and GC keep every stock tensor under its stock name
    stock = set(ref.state_dict())
    for name in (names['off'], names['nl'], f'GC-{names["title"]}'):
        assert stock <= set(models[name].state_dict()), name


@pytest.mark.slow
def test_benchmark_quick_of_another_family(tmp_path):
    proc = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'analysis_tools',
                                  'benchmark.py'), '--quick', '--family',
         'mobilenetv2', '--sizes', '1x64x64', '--rounds', '1', '--iters',
         '1', '--no-memory', '--out-dir', str(tmp_path)],
        capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-4000:]
    table = (tmp_path / 'benchmark.md').read_text()
    for row in ('| MobileNetV2 |', '| SB-MobileNetV2 |',
                '| SB-MobileNetV2 (sb off) |', '| NL-MobileNetV2 (5 blocks) |',
                '| GC-MobileNetV2 |'):
        assert row in table
    assert '--family mobilenetv2' in table
    assert 'SB-MobileNetV2 / NL-MobileNetV2 (5 blocks) throughput' in table
    assert 'MaskRCNN' not in table
    # --no-memory: no readings (no fresh process), and the table says so
    assert 'peak memory: not measured (--no-memory)' in table
    command = next(line for line in table.splitlines()
                   if line.startswith('- command:'))
    assert ' --no-memory' in command, command
    rows = [line for line in table.splitlines()
            if line.startswith('| ') and 'MobileNetV2 ' in line and
            line.count('|') == 9 and not line.startswith('| model')]
    assert len(rows) == 5 and all(
        row.endswith('| not measured |') for row in rows), rows
