"""model-index.yml and the metafiles: every shipped config is listed, and the
figures are what the tools measure (stock get_flops.py where it works)."""
import glob
import os.path as osp
import re
import subprocess
import sys

import pytest
import yaml
from sb_testing import load_tool

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def metafile_models():
    with open(osp.join(REPO, 'model-index.yml')) as f:
        index = yaml.safe_load(f)
    models = []
    for rel in index['Import']:
        path = osp.join(REPO, rel)
        assert osp.isfile(path), rel
        with open(path) as f:
            meta = yaml.safe_load(f)
        collections = {c['Name'] for c in meta['Collections']}
        for model in meta['Models']:
            assert model['In Collection'] in collections, model['Name']
            models.append(model)
    return models


def test_every_shipped_config_is_in_the_model_index():
    models = metafile_models()
    listed = [m['Config'] for m in models]
    assert len(listed) == len(set(listed))
    for rel in listed:
        assert osp.isfile(osp.join(REPO, rel)), rel
    shipped = sorted(osp.relpath(p, REPO)
                     for p in glob.glob(osp.join(REPO, 'configs', '*.py')))
    assert sorted(listed) == shipped
    names = [m['Name'] for m in models]
    assert len(names) == len(set(names))
    # as in OpenMMLab's model indexes: a model's Name is its config's name
    for m in models:
        assert m['Name'] == osp.splitext(osp.basename(m['Config']))[0]
    for m in models:
        meta = m['Metadata']
        assert isinstance(meta['FLOPs'], int) and meta['FLOPs'] > 0
        assert isinstance(meta['Parameters'], int) and meta['Parameters'] > 0
        # only measured figures: no accuracy without a real run
        assert 'Results' not in m and 'Weights' not in m, m['Name']


def run(*args):
    proc = subprocess.run([sys.executable, *args], cwd=REPO,
                          capture_output=True, text=True, timeout=900)
    return proc.returncode, proc.stdout + proc.stderr


def figures(out):
    shape = re.findall(r'Input shape: \(?([0-9, ]+)\)?', out)[-1]
    flops = re.findall(r'Flops: (\S+)', out)[-1]
    params = re.findall(r'Params: (\S+)', out)[-1]
    return shape, flops, params


def _fmt(n):
    from mmengine.analysis.print_helper import _format_size
    return _format_size(n)


#: FLOPs are counted (a traced forward, minutes for the large detectors) for
#: one config of each library; the parameter count of every entry is checked
FLOPS_CHECKED = ('configs/in1k_r50_sb.py', 'configs/coco_maskrcnn_r50_sb.py',
                 'configs/ade20k_upernet_r50_sb.py')


@pytest.mark.slow
def test_metafile_figures_are_what_get_flops_measures():
    complexity = load_tool('tools/analysis_tools/get_flops.py').complexity
    for m in metafile_models():
        if m['Config'] not in FLOPS_CHECKED:
            continue
        meta = m['Metadata']
        got = complexity(osp.join(REPO, m['Config']), meta['Input Shape'])
        assert (got['flops'], got['params']) == (
            meta['FLOPs'], meta['Parameters']), m['Name']


@pytest.mark.slow
def test_metafile_parameters_are_the_built_models():
    """As get_flops counts them: the whole model, but MMPretrain's neck-less
    head included and MMSegmentation's auxiliary head left out."""
    from sb_mm.apis.models import load_model
    for m in metafile_models():
        model, _, lib = load_model(osp.join(REPO, m['Config']))
        if lib == 'mmseg' and getattr(model, 'auxiliary_head', None):
            model.auxiliary_head = None
        count = sum(p.numel() for p in model.parameters())
        assert count == m['Metadata']['Parameters'], m['Name']


@pytest.mark.slow
def test_stock_get_flops_of_mmdet_and_mmpretrain_run_on_sb_configs():
    import mmdet
    import mmpretrain
    models = {m['Config']: m['Metadata'] for m in metafile_models()}
    tool = osp.join(osp.dirname(mmpretrain.__file__), '.mim', 'tools',
                    'analysis_tools', 'get_flops.py')
    code, out = run(tool, 'configs/in1k_r50_sb.py', '--shape', '224')
    assert code == 0, out[-3000:]
    meta = models['configs/in1k_r50_sb.py']
    assert figures(out)[1:] == (_fmt(meta['FLOPs']),
                                _fmt(meta['Parameters'])), out[-1500:]

    import tempfile

    from sb_mm.datasets import make_all
    with tempfile.TemporaryDirectory() as tmp:
        make_all(osp.join(tmp, 'demo'), small=True)
        tool = osp.join(osp.dirname(mmdet.__file__), '.mim', 'tools',
                        'analysis_tools', 'get_flops.py')
        # the demo pictures (192 x 256) resized by the stock pipeline to
        # 800 x 1067, padded to 800 x 1088
        code, out = run(
            tool, 'configs/coco_maskrcnn_r50_sb.py', '--num-images', '1',
            '--cfg-options',
            f'val_dataloader.dataset.data_root={tmp}/demo/coco/',
            'val_dataloader.dataset.ann_file='
            'annotations/instances_val2017.json',
            'val_dataloader.dataset.data_prefix.img=val2017/')
    assert code == 0, out[-3000:]
    meta = models['configs/coco_maskrcnn_r50_sb.py']
    assert figures(out) == ('800, 1088', _fmt(meta['FLOPs']),
                            _fmt(meta['Parameters'])), out[-1500:]


@pytest.mark.slow
def test_stock_mmseg_get_flops_fails_on_stock_configs_too():
    """Why tools/analysis_tools/get_flops.py exists: mmseg 1.2.2's stock tool
    passes both input_shape and inputs to mmengine 0.10.7's counter. If this
    test fails, the stock tool works again: say so in
    docs/en/user_guides/tools.md."""
    import mmseg
    tool = osp.join(osp.dirname(mmseg.__file__), '.mim', 'tools',
                    'analysis_tools', 'get_flops.py')
    stock = osp.join(osp.dirname(mmseg.__file__), '.mim', 'configs',
                     'upernet', 'upernet_r50_4xb4-80k_ade20k-512x512.py')
    code, out = run(tool, stock, '--shape', '512', '512')
    assert code != 0
    assert '"input_shape" and "inputs" cannot be both set' in out


def _sb_macs(config, shape):
    """Multiply-adds that spatial bias adds to ``config``'s model at
    ``shape``, counted by hand from the shapes one forward sees (not by the
    FLOPs counter): per SB layer the 1x1 reduction (C -> r at H x W), the
    mixing Conv1d (g*g -> g*g, k taps, m outputs) and the consumer conv's m
    extra input channels at its output size."""
    import torch

    from sb_mm.apis.models import load_model
    from sb_mm.layers.spatial_bias import SpatialBias
    model, _, _ = load_model(osp.join(REPO, config))
    backbone = model.backbone
    backbone.eval()  # the libraries' train() returns None
    counts, hooks = [], []

    def on_sb(module, args, output):
        _, c, h, w = args[0].shape
        r, g = module.reduced_channels, module.grid_size
        counts.append(c * r * h * w + (g * g) ** 2 * module.kernel_size *
                      module.out_channels)

    def on_consumer(extra):
        def hook(module, args, output):
            conv = getattr(module, 'conv', module)
            kh, kw = conv.kernel_size
            counts.append(extra * conv.out_channels // conv.groups * kh * kw
                          * output.shape[-2] * output.shape[-1])
        return hook

    for m in backbone.modules():
        if isinstance(m, SpatialBias):
            hooks.append(m.register_forward_hook(on_sb))
    for name, stock_in in backbone._sb_widened_convs.items():
        conv = backbone.get_submodule(name)
        extra = getattr(conv, 'conv', conv).in_channels - stock_in
        hooks.append(conv.register_forward_hook(on_consumer(extra)))
    with torch.no_grad():
        backbone(torch.rand(1, 3, *shape))
    for h in hooks:
        h.remove()
    return sum(counts)


#: one config a library whose FLOPs the counter gives in seconds
SB_COST_CHECKED = ('configs/in1k_r50_sb.py', 'configs/cifar100_r50_sb.py',
                   'configs/ade20k_upernet_r50_sb.py')


@pytest.mark.slow
@pytest.mark.parametrize('config', SB_COST_CHECKED)
def test_metafile_flops_hold_what_sb_adds(config):
    """Independent of the counter: the entry's FLOPs minus those of the
    same model with SB off (counted now) is what SB adds by hand count (the
    counter also counts SB's norm, pooling and resize: up to 10% more)."""
    complexity = load_tool('tools/analysis_tools/get_flops.py').complexity
    meta = {m['Config']: m['Metadata'] for m in metafile_models()}[config]
    shape = meta['Input Shape']
    got = meta['FLOPs']
    off = complexity(osp.join(REPO, config), shape, dict(
        model=dict(backbone=dict(sb_stages=(False, ) * 4))))['flops']
    by_hand = _sb_macs(config, shape)
    assert by_hand > 0
    assert by_hand <= got - off <= 1.1 * by_hand, (got - off, by_hand)


@pytest.mark.slow
def test_every_classification_entry_has_the_counters_flops():
    """The classifiers are cheap to count: all of them, against stale
    figures (in1k_r50_sb, the detector and the segmentor: the test above
    with the stock tools)."""
    complexity = load_tool('tools/analysis_tools/get_flops.py').complexity
    for m in metafile_models():
        name = osp.basename(m['Config'])
        if not name.startswith(('in1k_', 'cifar100_')) or \
                m['Config'] in FLOPS_CHECKED:
            continue
        got = complexity(osp.join(REPO, m['Config']),
                         m['Metadata']['Input Shape'])
        assert got['flops'] == m['Metadata']['FLOPs'], m['Name']
