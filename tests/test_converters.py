"""Checkpoint converters (tools/model_converters/*): the authors' timm-based
SB-ResNet layout <-> sb_mm, and mmpretrain classifiers -> mmdet / mmseg."""
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from sb_testing import build_backbone

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONVERTERS = osp.join(ROOT, 'tools', 'model_converters')


# -- the authors' layout, built from its description (issue 12) -------------
class AuthorsSB(nn.Module):
    """``SB.feature_reduction`` (1x1 conv, BN, ReLU) -> adaptive pool to g x g
    -> ``SB.sb_conv`` Conv1d(g*g, g*g, k) over the reduced channels ->
    bilinear resize."""

    def __init__(self, channels, reduced=5, grid=10, kernel=3):
        super().__init__()
        self.grid = grid
        self.feature_reduction = nn.Sequential(
            nn.Conv2d(channels, reduced, 1, bias=False),
            nn.BatchNorm2d(reduced), nn.ReLU(inplace=True))
        self.sb_conv = nn.Conv1d(grid * grid, grid * grid, kernel)

    def forward(self, x, size):
        y = F.adaptive_avg_pool2d(self.feature_reduction(x), self.grid)
        batch = y.shape[0]
        y = self.sb_conv(y.flatten(2).transpose(1, 2))  # (B, g*g, m)
        y = y.transpose(1, 2).reshape(batch, -1, self.grid, self.grid)
        return F.interpolate(y, size=size, mode='bilinear',
                             align_corners=False)


class AuthorsBottleneck(nn.Module):
    """torchvision's Bottleneck with ``SB`` after conv1; bn2 / conv3 take
    planes + m channels, the SB maps after conv2's."""

    def __init__(self, block):
        super().__init__()
        planes = block.conv2.out_channels
        self.conv1, self.bn1 = block.conv1, block.bn1
        self.conv2 = block.conv2
        self.SB = AuthorsSB(planes)
        self.bn2 = nn.BatchNorm2d(planes + 3)
        self.conv3 = nn.Conv2d(planes + 3, block.conv3.out_channels, 1,
                               bias=False)
        self.bn3, self.downsample = block.bn3, block.downsample
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        conv = self.conv2(out)
        out = torch.cat([conv, self.SB(out, conv.shape[-2:])], dim=1)
        out = self.relu(self.bn2(out))
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


def authors_resnet50(num_classes=1000):
    torchvision = pytest.importorskip('torchvision')
    model = torchvision.models.resnet50(num_classes=num_classes)
    for name in ('layer1', 'layer2', 'layer3'):  # the paper's stages 1-3
        layer = getattr(model, name)
        for i in range(len(layer)):
            layer[i] = AuthorsBottleneck(layer[i])
    return model


def randomise(model):
    """Random weights and BN statistics, so that a wrong map shows."""
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for name, t in model.state_dict().items():
            if t.dtype.is_floating_point:
                if name.endswith('running_var'):
                    t.copy_(torch.rand(t.shape, generator=g) + 0.5)
                else:
                    t.copy_(torch.randn(t.shape, generator=g) * 0.05)
    return model.eval()


def sb_classifier(num_classes=1000):
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS

    import sb_mm.mmpretrain  # noqa: F401
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(dict(
            type='ImageClassifier',
            backbone=dict(type='SBResNet', depth=50),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=num_classes,
                      in_channels=2048))).eval()


def convert(script, src, dst, *extra):
    out = subprocess.run(
        [sys.executable, osp.join(CONVERTERS, script), str(src), str(dst),
         *extra], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout


@pytest.fixture(scope='module')
def authors(tmp_path_factory):
    torch.manual_seed(0)
    model = randomise(authors_resnet50())
    path = tmp_path_factory.mktemp('authors') / 'sb_resnet50_timm.pth'
    torch.save({'state_dict': model.state_dict()}, path)
    return model, path


@pytest.fixture(scope='module')
def to_mmpretrain(authors, tmp_path_factory):
    """``(path, log)``: the authors' checkpoint converted to MMPretrain's
    classifier layout (once: the tests below read it, none writes it)."""
    dst = tmp_path_factory.mktemp('converted') / 'sb_r50_mmpretrain.pth'
    return dst, convert('sb_timm2mmpretrain.py', authors[1], dst)


@pytest.fixture(scope='module')
def to_backbone(authors, tmp_path_factory):
    """``(path, log)``: the same with ``--backbone-only``."""
    dst = tmp_path_factory.mktemp('converted') / 'sb_r50_backbone.pth'
    return dst, convert('sb_timm2mmpretrain.py', authors[1], dst,
                        '--backbone-only')


def test_authors_layout_to_mmpretrain_same_outputs(authors, to_mmpretrain):
    model, _ = authors
    dst, log = to_mmpretrain
    # torchvision's ResNet-50 has 318 tensors besides fc; 13 SB blocks x 13
    # (1x1 conv, 5 of its BN, Conv1d weight and bias; the 5 of bn2's sb_norm,
    # split off the authors' one bn2)
    assert '489 tensors: 318 stock ResNet, 169 spatial bias in 13 blocks' \
        in log, log
    assert '2 classifier' in log, log
    ours = sb_classifier()
    state = torch.load(dst, weights_only=True)['state_dict']
    result = ours.load_state_dict(state, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        expected = model(x)
        got = ours(x, mode='tensor')
    assert got.shape == (2, 1000)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize('lib', ['mmdet', 'mmseg'])
def test_authors_layout_to_backbone_only_same_features(authors, to_backbone,
                                                       lib):
    model, _ = authors
    dst, log = to_backbone
    assert 'dropped, as asked by --backbone-only: fc.weight, fc.bias' in log
    backbone = build_backbone(
        lib, type='SBResNet', depth=50,
        init_cfg=dict(type='Pretrained', checkpoint=str(dst)))
    backbone.init_weights()
    backbone.eval()
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        ours = backbone(x)[-1]
        m = model
        ref = m.layer4(m.layer3(m.layer2(m.layer1(
            m.maxpool(m.relu(m.bn1(m.conv1(x))))))))
    torch.testing.assert_close(ours, ref, rtol=1e-5, atol=1e-5)


def test_round_trip_gives_back_the_same_tensors(authors, to_mmpretrain,
                                                tmp_path):
    model, _ = authors
    mid, back = to_mmpretrain[0], tmp_path / 'timm.pth'
    convert('mmpretrain2sb_timm.py', mid, back)
    original = model.state_dict()
    returned = torch.load(back, weights_only=True)
    assert list(returned) == list(original)
    for key, value in original.items():
        assert torch.equal(returned[key], value), key


def test_weights_trained_in_sb_mm_go_back_to_the_authors_layout(
        authors, to_mmpretrain, tmp_path):
    """A classifier's own state dict (bn2 split into the stock norm and its
    sb_norm) -> the authors' layout (one bn2 over planes + 3): the authors'
    model loads it strictly and computes the same logits."""
    model, _ = authors
    mid = to_mmpretrain[0]
    ours = sb_classifier()
    ours.load_state_dict(torch.load(mid, weights_only=True)['state_dict'])
    assert 'backbone.layer1.0.bn2.sb_norm.weight' in ours.state_dict()
    trained = tmp_path / 'trained.pth'
    torch.save({'state_dict': ours.state_dict()}, trained)
    back = tmp_path / 'timm.pth'
    convert('mmpretrain2sb_timm.py', trained, back)
    theirs = authors_resnet50().eval()
    result = theirs.load_state_dict(torch.load(back, weights_only=True),
                                    strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        torch.testing.assert_close(theirs(x), model(x), rtol=1e-5, atol=1e-5)


def test_unplaceable_keys_stop_the_conversion_and_are_named(authors,
                                                            tmp_path):
    model, _ = authors
    state = dict(model.state_dict())
    state['layer2.0.SB.attention.weight'] = torch.zeros(3)
    src = tmp_path / 'odd.pth'
    torch.save(state, src)
    out = subprocess.run(
        [sys.executable, osp.join(CONVERTERS, 'sb_timm2mmpretrain.py'),
         str(src), str(tmp_path / 'x.pth')], capture_output=True, text=True,
        cwd=ROOT, timeout=300)
    assert out.returncode != 0
    assert 'layer2.0.SB.attention.weight' in out.stderr
    assert not (tmp_path / 'x.pth').exists()


def test_converter_refuses_a_checkpoint_that_runs_code(tmp_path):
    marker = tmp_path / 'ran'

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), 'w'))

    src = tmp_path / 'evil.pth'
    torch.save({'state_dict': {'conv1.weight': torch.zeros(1)},
                'x': Payload()}, src)
    out = subprocess.run(
        [sys.executable, osp.join(CONVERTERS, 'sb_timm2mmpretrain.py'),
         str(src), str(tmp_path / 'x.pth')], capture_output=True, text=True,
        cwd=ROOT, timeout=300)
    assert out.returncode != 0
    assert f'refused to load checkpoint {src}' in out.stderr
    assert not marker.exists()


# -- mmpretrain -> mmdet / mmseg: the pretrain -> fine-tune recipe ----------
#: the pretraining config on the demo pictures, 2 iterations
PRETRAIN_ON_DEMO = """_base_ = [{config!r}]
data_root = 'data/demo/imagenet'
metainfo = dict(classes=('circle', 'square', 'triangle'))
model = dict(head=dict(num_classes=3))
data_preprocessor = dict(num_classes=3)
train_dataloader = dict(
    batch_size=4, num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, metainfo=metainfo, pipeline=[
        dict(type='LoadImageFromFile'),
        dict(type='RandomResizedCrop', scale=56),
        dict(type='PackInputs')]))
train_cfg = dict(_delete_=True, by_epoch=False, max_iters=2)
val_cfg = None
val_dataloader = None
val_evaluator = None
test_cfg = None
test_dataloader = None
test_evaluator = None
param_scheduler = dict(_delete_=True, type='ConstantLR', factor=1.0,
                       by_epoch=False)
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=2))
"""


@pytest.mark.slow
@pytest.mark.parametrize('pretrain,finetune', [
    ('in1k_r50_sb.py', 'coco_maskrcnn_r50_sb.py'),
    ('in1k_r50v1c_sb.py', 'ade20k_upernet_r50_sb.py'),
])
def test_mmpretrain_checkpoint_initialises_detector_and_segmentor(
        tmp_path, pretrain, finetune):
    """Trains the ImageNet SB-ResNet-50 config for 2 iterations on the demo
    pictures, then builds the COCO / ADE20K config with
    ``init_cfg=dict(type='Pretrained', checkpoint=..., prefix='backbone.')``:
    every backbone tensor arrives, none is missing or unexpected."""
    from sb_mm.datasets import make_all
    make_all(str(tmp_path / 'data' / 'demo'), small=True)
    work = tmp_path / 'pretrain'
    config = tmp_path / 'pretrain_on_demo.py'
    config.write_text(PRETRAIN_ON_DEMO.format(
        config=osp.join(ROOT, 'configs', pretrain)))
    env = dict(os.environ, OMP_NUM_THREADS='2')
    proc = subprocess.run(
        [sys.executable, osp.join(ROOT, 'tools', 'train.py'), str(config),
         '--work-dir', str(work)], cwd=tmp_path, env=env,
        capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    ckpt = work / 'iter_2.pth'
    pretrained = torch.load(ckpt, weights_only=True)['state_dict']

    from mmengine.config import Config
    from mmengine.logging import MMLogger

    from sb_mm.apis.models import build_model
    cfg = Config.fromfile(osp.join(ROOT, 'configs', finetune))
    cfg.model.backbone.init_cfg = dict(type='Pretrained',
                                       checkpoint=str(ckpt),
                                       prefix='backbone.')
    cfg.model.pop('pretrained', None)
    model, _ = build_model(cfg)
    logger = MMLogger.get_instance('sb_mm_convert_test', log_level='INFO')
    import logging
    records = []
    handler = logging.Handler()
    handler.emit = records.append
    logger.addHandler(handler)
    try:
        with torch.no_grad():
            model.init_weights()
    finally:
        logger.removeHandler(handler)
    text = '\n'.join(r.getMessage() for r in records)
    assert 'missing keys' not in text and 'unexpected key' not in text, \
        text[-3000:]
    state = model.backbone.state_dict()
    expected = {k[len('backbone.'):]: v for k, v in pretrained.items()
                if k.startswith('backbone.')}
    if 'v1c' in pretrain:  # mmpretrain's ConvModule stem -> flat Sequential
        assert 'stem.0.conv.weight' in expected and 'stem.3.weight' in state
        for i in range(3):
            for part, flat in (('conv', 3 * i), ('bn', 3 * i + 1)):
                for key in [k for k in expected
                            if k.startswith(f'stem.{i}.{part}.')]:
                    expected[f'stem.{flat}.{key.split(".", 3)[3]}'] = \
                        expected.pop(key)
    assert set(expected) == set(state), (
        sorted(set(expected) ^ set(state))[:10])
    for key, value in expected.items():
        assert torch.equal(state[key], value), key


@pytest.mark.parametrize('src,dst', [('mmseg', 'mmpretrain'),
                                     ('mmdet', 'mmpretrain'),
                                     ('mmpretrain', 'mmseg')])
def test_deep_stem_loads_across_the_two_layouts(src, dst):
    """V1c's deep stem: a flat ``Sequential`` in mmdet / mmseg
    (``stem.{3i}`` conv, ``stem.{3i+1}`` norm), three ``ConvModule`` in
    mmpretrain (``stem.{i}.conv`` / ``.bn``). A state dict of either layout
    loads strictly into the other and computes the same features."""
    from sb_testing import assert_same_features, build_backbone
    torch.manual_seed(0)
    source = build_backbone(src, type='SBResNetV1c', depth=18,
                            out_indices=(0, 1, 2, 3))
    with torch.no_grad():  # non-trivial stem statistics
        for m in source.stem.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2)
                m.weight.uniform_(0.5, 1.5)
    target = build_backbone(dst, type='SBResNetV1c', depth=18,
                            out_indices=(0, 1, 2, 3))
    flat = {src, dst} - {'mmpretrain'}
    layouts = {k.split('.')[2] for k in source.state_dict()
               if k.startswith('stem.')}
    assert layouts == ({'weight', 'bias', 'running_mean', 'running_var',
                        'num_batches_tracked'} if src in flat
                       else {'conv', 'bn'})
    target.load_state_dict(source.state_dict(), strict=True)
    assert_same_features(source, target, torch.randn(1, 3, 64, 64))
