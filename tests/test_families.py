"""SB in the other ResNet-style families (SE-ResNet, SE-ResNeXt, RegNet,
ResNeSt, DetectoRS, Res2Net, HRNet): one mixin, the same guarantees as
SB-ResNet. That SB is really there in each (placed, changing the
output, learning) is checked with every other SB type in
test_sb_is_there.py."""
import pytest
import torch
from sb_testing import build_backbone

# HRNet-W18 as the stock configs define it (mmdet, mmseg)
HRNET_W18 = dict(
    stage1=dict(num_modules=1, num_branches=1, block='BOTTLENECK',
                num_blocks=(4, ), num_channels=(64, )),
    stage2=dict(num_modules=1, num_branches=2, block='BASIC',
                num_blocks=(4, 4), num_channels=(18, 36)),
    stage3=dict(num_modules=4, num_branches=3, block='BASIC',
                num_blocks=(4, 4, 4), num_channels=(18, 36, 72)),
    stage4=dict(num_modules=3, num_branches=4, block='BASIC',
                num_blocks=(4, 4, 4, 4), num_channels=(18, 36, 72, 144)))
HRNET_BLOCKS = 4 + 2 * 4 + 4 * 3 * 4  # layer1 + stage2 + stage3

# (library, stock type, kwargs, SB blocks in the default stages 1-3)
FAMILIES = [
    ('mmpretrain', 'SEResNet', dict(depth=50), 13),
    ('mmpretrain', 'SEResNeXt', dict(depth=50, groups=32,
                                      width_per_group=4), 13),
    ('mmpretrain', 'RegNet', dict(arch='regnetx_400mf'), 1 + 2 + 7),
    ('mmpretrain', 'ResNeSt', dict(depth=50), 13),
    ('mmdet', 'RegNet', dict(arch='regnetx_400mf'), 1 + 2 + 7),
    ('mmdet', 'ResNeSt', dict(depth=50), 13),
    ('mmdet', 'DetectoRS_ResNet', dict(depth=50), 13),
    ('mmdet', 'DetectoRS_ResNeXt', dict(depth=50, groups=32, base_width=4),
     13),
    ('mmseg', 'ResNeSt', dict(depth=50), 13),
    ('mmdet', 'Res2Net', dict(depth=50), 13),
    ('mmpretrain', 'Res2Net', dict(depth=50), 13),
    ('mmdet', 'HRNet', dict(extra=HRNET_W18), HRNET_BLOCKS),
    ('mmseg', 'HRNet', dict(extra=HRNET_W18), HRNET_BLOCKS),
    ('mmpretrain', 'HRNet', dict(arch='w18'), HRNET_BLOCKS),
]
# HRNet's branches are fused by upsampling: sides a multiple of 32
IDS = [f'{lib}-{name}' for lib, name, _, _ in FAMILIES]


def _outputs(model, x):
    model.eval()  # the libraries' train() returns None: no chaining
    with torch.no_grad():
        out = model(x)
    return list(out) if isinstance(out, (list, tuple)) else [out]


def _trained_like(model):
    """Non-trivial weights and statistics, as a trained checkpoint has."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
    return model


@pytest.mark.parametrize('lib,name,kw,blocks', FAMILIES, ids=IDS)
def test_sb_off_is_the_stock_backbone_bit_for_bit(lib, name, kw, blocks):
    stock = _trained_like(build_backbone(lib, type=name, **kw))
    sb = build_backbone(lib, type=f'SB{name}', sb_stages=(False, ) * 4, **kw)
    assert [(k, v.shape) for k, v in sb.state_dict().items()] == \
        [(k, v.shape) for k, v in stock.state_dict().items()]
    sb.load_state_dict(stock.state_dict())
    x = torch.randn(2, 3, 64, 96)
    for a, b in zip(_outputs(stock, x), _outputs(sb, x)):
        assert torch.equal(a, b)


@pytest.mark.parametrize('lib,name,kw,blocks', FAMILIES, ids=IDS)
def test_stock_checkpoint_loads_function_preservingly(lib, name, kw, blocks,
                                                      tmp_path):
    torch.manual_seed(0)
    stock = _trained_like(build_backbone(lib, type=name, **kw))
    path = tmp_path / 'stock.pth'
    torch.save(stock.state_dict(), path)
    sb = build_backbone(lib, type=f'SB{name}', **kw,
                        init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    sb.init_weights()
    assert sum(name.endswith('.sb') for name, _ in sb.named_modules()) \
        == blocks
    x = torch.randn(2, 3, 64, 128)
    for a, b in zip(_outputs(stock, x), _outputs(sb, x)):
        torch.testing.assert_close(b, a, rtol=1e-5,
                                   atol=1e-5 * float(a.abs().max()))
