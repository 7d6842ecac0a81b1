"""SB in the other families (SE-ResNet, SE-ResNeXt, RegNet, ResNeSt,
DetectoRS, Res2Net, HRNet; ConvNeXt and MobileNet, whose own checks are in
test_convnext_mobilenet.py): one mixin, the same guarantees as SB-ResNet.
That SB is really there in each (placed, changing the output, learning) is
checked with every other SB type in test_sb_is_there.py."""
import pytest
import torch
from sb_is_there import trained_like
from sb_testing import build_backbone
from test_convnext_mobilenet import NEW_FAMILIES

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
# (library, stock type, kwargs, stage count, SB layers by default)
ALL = [(lib, name, kw, 4, blocks) for lib, name, kw, blocks in FAMILIES] + [
    (lib, name, kw, len(stages), blocks)
    for lib, name, kw, stages, blocks in NEW_FAMILIES]
IDS = [f'{lib}-{name}' + ''.join(f'-{k}={v}' for k, v in kw.items()
                                 if k in ('arch', 'linear_pw_conv'))
       for lib, name, kw, _, _ in ALL]


def _outputs(model, x):
    model.eval()  # the libraries' train() returns None: no chaining
    with torch.no_grad():
        out = model(x)
    return list(out) if isinstance(out, (list, tuple)) else [out]


def _trained_like(model):
    torch.manual_seed(1)
    trained_like(model)
    return model


@pytest.mark.parametrize('lib,name,kw,stages,blocks', ALL, ids=IDS)
def test_sb_off_is_the_stock_backbone_bit_for_bit(lib, name, kw, stages,
                                                  blocks):
    stock = _trained_like(build_backbone(lib, type=name, **kw))
    sb = build_backbone(lib, type=f'SB{name}', sb_stages=(False, ) * stages,
                        **kw)
    assert [(k, v.shape) for k, v in sb.state_dict().items()] == \
        [(k, v.shape) for k, v in stock.state_dict().items()]
    sb.load_state_dict(stock.state_dict())
    x = torch.randn(2, 3, 64, 96)
    for a, b in zip(_outputs(stock, x), _outputs(sb, x), strict=True):
        assert torch.equal(a, b)


@pytest.mark.parametrize('lib,name,kw,stages,blocks', ALL, ids=IDS)
def test_stock_checkpoint_loads_function_preservingly(lib, name, kw, stages,
                                                      blocks, tmp_path):
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
    # the maps change the consumer's input: only its zero columns keep
    # the stock function (seen failing with the columns left random)
    for a, b in zip(_outputs(stock, x), _outputs(sb, x), strict=True):
        torch.testing.assert_close(b, a, rtol=1e-5,
                                   atol=1e-5 * float(a.abs().max()))
