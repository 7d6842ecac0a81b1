"""The paper's CIFAR-100 table rebuilt (configs/paper/cifar100_r38_* and
cifar100_r65_*, docs/en/reproduce.md#cifar-100): the authors' CIFAR ResNet
as an MMPretrain backbone (the same function as their network, written out
here from its description), every row's parameters and FLOPs as the table
gives them, and the table's best ResNet-38 pair trained through
tools/train.py."""
import os.path as osp

import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from sb_testing import build_backbone, run_tool

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
PAPER = osp.join(REPO, 'configs', 'paper')

#: the table (third-party copy of the paper, tomesphere.com/paper/
#: 2302.12505): config, parameters (M, its 0.01 rounding), MFLOPs
TABLE = [
    ('cifar100_r38_1xb128_paper.py', 0.43, 62.2),
    ('cifar100_r38_sb-s1_1xb128_paper.py', 0.45, 63.6),
    ('cifar100_r38_sb-s12_1xb128_paper.py', 0.46, 64.2),
    ('cifar100_r38_sb-s123_1xb128_paper.py', 0.48, 64.6),
    ('cifar100_r65_1xb128_paper.py', 0.71, 103.3),
    ('cifar100_r65_sb-s1_1xb128_paper.py', 0.74, 105.8),
    ('cifar100_r65_sb-s12_1xb128_paper.py', 0.77, 106.9),
    ('cifar100_r65_sb-s123_1xb128_paper.py', 0.80, 107.5),
]


def build_classifier(name):
    from sb_mm.apis.models import build_in_scope
    cfg = Config.fromfile(osp.join(PAPER, name))
    return build_in_scope('mmpretrain', cfg.model.to_dict())


def count(model):
    """(parameters, FLOPs) by mmengine's counter at 3x32x32."""
    from mmengine.analysis import get_model_complexity_info
    model.eval()
    info = get_model_complexity_info(model, input_shape=(3, 32, 32),
                                     show_table=False, show_arch=False)
    return info['params'], info['flops']


@pytest.mark.parametrize('row', TABLE, ids=lambda r: r[0][:-3])
def test_table_row_parameters_and_flops(row):
    name, params, mflops = row
    got_params, got_flops = count(build_classifier(name))
    assert round(got_params / 1e6, 2) == params, got_params
    assert abs(got_flops / 1e6 - mflops) <= 0.3, got_flops


def test_the_inferred_grid_is_the_only_one_that_fits():
    """The table's SB rows fit a 6x6 grid and no other: the parameters of
    the 10x10 grid of the authors' code (0.12 M a stage) and of the 5x5 and
    7x7 grids miss the table."""
    from sb_mm.apis.models import build_in_scope
    cfg = Config.fromfile(osp.join(PAPER,
                                   'cifar100_r38_sb-s123_1xb128_paper.py'))
    fits = []
    for grid in (5, 6, 7, 10):
        model_cfg = cfg.model.to_dict()
        model_cfg['backbone']['sb_cfg'] = dict(grid_size=grid)
        got, _ = count(build_in_scope('mmpretrain', model_cfg))
        fits.append(round(got / 1e6, 2) == 0.48)
    assert fits == [False, True, False, False]


# -- the authors' network, written out from its description -----------------
class _AuthorsBottleneck(nn.Module):
    def __init__(self, inplanes, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.downsample = None
        if stride != 1 or inplanes != planes * 4:
            self.downsample = nn.Sequential(
                nn.Conv2d(inplanes, planes * 4, 1, stride, bias=False),
                nn.BatchNorm2d(planes * 4))

    def forward(self, x):
        out = torch.relu(self.bn1(self.conv1(x)))
        out = torch.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        identity = x if self.downsample is None else self.downsample(x)
        return torch.relu(out + identity)


class _AuthorsCIFARResNet(nn.Module):
    """3x3 stem of 16 at stride 1, no pool; three stages of (depth - 2) / 9
    bottlenecks of 16 / 32 / 64 planes, strides 1 / 2 / 2; 8x8 average
    pool; linear classifier."""

    def __init__(self, depth, classes=100):
        super().__init__()
        n = (depth - 2) // 9
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        layers, inplanes = [], 16
        for planes, stride in ((16, 1), (32, 2), (64, 2)):
            blocks = []
            for i in range(n):
                blocks.append(_AuthorsBottleneck(inplanes, planes,
                                                 stride if i == 0 else 1))
                inplanes = planes * 4
            layers.append(nn.Sequential(*blocks))
        self.layers = nn.Sequential(*layers)
        self.fc = nn.Linear(256, classes)

    def forward(self, x):
        x = self.layers(torch.relu(self.bn1(self.conv1(x))))
        return self.fc(nn.functional.avg_pool2d(x, 8).flatten(1))


@pytest.mark.parametrize('depth', [38, 65])
def test_backbone_is_the_authors_network(depth):
    """Parameter for parameter (in the authors' order) the same shapes, and
    with the same weights the same logits, in train and eval mode."""
    torch.manual_seed(0)
    cfg = Config.fromfile(
        osp.join(PAPER, f'cifar100_r{depth}_1xb128_paper.py'))
    from sb_mm.apis.models import build_in_scope
    ours = build_in_scope('mmpretrain', cfg.model.to_dict())
    ref = _AuthorsCIFARResNet(depth)
    ours_state = {k: v for k, v in ours.state_dict().items()
                  if not k.startswith('data_preprocessor')}
    ref_state = ref.state_dict()
    assert [v.shape for v in ours_state.values()] == \
        [v.shape for v in ref_state.values()]
    for key, value in zip(ref_state, ours_state.values()):
        ref_state[key] = torch.rand_like(value) + 0.5 \
            if value.is_floating_point() else value
    ref.load_state_dict(ref_state)
    ours.load_state_dict(dict(zip(ours_state, ref_state.values())),
                         strict=False)
    x = torch.randn(4, 3, 32, 32)
    for train in (True, False):
        ours.train(train)
        ref.train(train)
        with torch.no_grad():
            torch.testing.assert_close(ours(x, mode='tensor'), ref(x))


def test_depth_must_be_9n_plus_2():
    with pytest.raises(ValueError, match=r'depth must be 9n \+ 2'):
        build_backbone('mmpretrain', type='CIFARBottleneckResNet', depth=50)
    net = build_backbone('mmpretrain', type='SBCIFARBottleneckResNet',
                         depth=20, sb_stages=(False, True, False))
    assert [len(getattr(net, n)) for n in net.res_layers] == [2, 2, 2]
    assert not hasattr(net.layer1[0].conv2, 'sb')
    assert hasattr(net.layer2[1].conv2, 'sb')


@pytest.mark.slow
def test_best_resnet38_pair_trains_through_train_py(workspace, tmp_path):
    """The table's best ResNet-38 row ("++", SB in stages 1-2) and its plain
    row train through tools/train.py on generated CIFAR-100 files; every SB
    tensor of the SB model moves. Weight decay is off for the run, so a
    tensor that moves received a gradient."""
    from sb_mm.layers import SpatialBias
    data = workspace / 'data' / 'demo' / 'cifar100'
    for name in ('cifar100_r38_1xb128_paper',
                 'cifar100_r38_sb-s12_1xb128_paper'):
        torch.manual_seed(0)
        model = build_classifier(f'{name}.py')
        model.init_weights()
        start = tmp_path / f'{name}_init.pth'
        torch.save({'state_dict': model.state_dict(), 'meta': {}}, start)
        work = tmp_path / name
        loaders = []
        for loader, pictures in (('train', 16), ('val', 8), ('test', 8)):
            loaders += [
                f'{loader}_dataloader.dataset.type=GeneratedCIFAR100',
                f'{loader}_dataloader.dataset.data_root={data}',
                f'{loader}_dataloader.dataset.indices={pictures}',
                f'{loader}_dataloader.batch_size=8',
                f'{loader}_dataloader.num_workers=0',
                f'{loader}_dataloader.persistent_workers=False']
        out = run_tool(
            workspace, osp.join(REPO, 'tools', 'train.py'),
            osp.join(PAPER, f'{name}.py'), '--work-dir', str(work),
            '--cfg-options', *loaders, 'train_cfg.max_epochs=1',
            'optim_wrapper.optimizer.weight_decay=0', f'load_from={start}')
        assert 'accuracy/top1' in out and (work / 'epoch_1.pth').is_file()
        trained = torch.load(work / 'epoch_1.pth',
                             weights_only=False)['state_dict']
        before = model.state_dict()
        moved = {k for k, v in before.items()
                 if v.is_floating_point() and not torch.equal(v, trained[k])}
        sb_layers = [n for n, m in model.named_modules()
                     if isinstance(m, SpatialBias)]
        assert bool(sb_layers) == ('sb' in name)
        if 'sb' not in name:
            continue
        sb_tensors = [k for k, v in model.named_parameters()
                      if '.sb.' in k or '.sb_norm.' in k]
        # 8 blocks x (reduce conv, its BN weight and bias, mix weight and
        # bias, sb_norm weight and bias)
        assert len(sb_tensors) == 8 * 7
        assert set(sb_tensors) <= moved
        for layer in sb_layers:  # the consumer's SB input columns
            block = layer.rsplit('.', 2)[0]
            key = f'{block}.conv3.weight'
            width = model.get_submodule(f'{block}.conv2').out_channels
            assert before[key].shape[1] == width + 3
            assert not torch.equal(before[key][:, width:],
                                   trained[key][:, width:])
