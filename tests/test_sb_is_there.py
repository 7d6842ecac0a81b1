"""Every registered SB backbone of every library really has spatial bias:
in the stages ``sb_stages`` flags, changing the output, learning (the check
is ``sb_is_there.assert_sb_is_there``). The table must name every SB type
the three registries hold, so a new type cannot go unchecked. The fast
tier runs the depth-18 settings; the slow one every registered type at its
usual depth."""
import pytest
import torch
from sb_is_there import assert_sb_is_there
from sb_testing import LIBRARIES, build_backbone, registry
from test_convnext_mobilenet import NEW_FAMILIES
from test_families import FAMILIES

R50 = dict(depth=50)
X50 = dict(depth=50, groups=32, base_width=4)
# (library, SB type, kwargs); the families' rows come from test_families
ROWS = [
    ('mmdet', 'SBResNet', R50),
    ('mmdet', 'SBResNeXt', X50),
    ('mmdet', 'SBResNetV1c', R50),
    ('mmdet', 'SBResNetV1d', R50),
    ('mmseg', 'SBResNet', R50),
    ('mmseg', 'SBResNeXt', X50),
    ('mmseg', 'SBResNetV1c', R50),
    ('mmseg', 'SBResNetV1d', R50),
    ('mmpretrain', 'SBResNet', R50),
    ('mmpretrain', 'SBResNeXt', dict(depth=50, groups=32,
                                      width_per_group=4)),
    ('mmpretrain', 'SBResNetV1c', R50),
    ('mmpretrain', 'SBResNetV1d', R50),
    ('mmpretrain', 'SBResNet_CIFAR', dict(depth=18)),
    # the paper's CIFAR ResNet: 3 stages, SB in each by default
    ('mmpretrain', 'SBCIFARBottleneckResNet',
     dict(depth=38, sb_stages=(True, True, True))),
] + [(lib, f'SB{name}', kw) for lib, name, kw, _ in FAMILIES] + [
    (lib, f'SB{name}', kw) for lib, name, kw, _, _ in NEW_FAMILIES]
#: default sb_stages other than the ResNets' (True, True, True, False)
DEFAULT_STAGES = {(lib, f'SB{name}', repr(kw)): stages
                  for lib, name, kw, stages, _ in NEW_FAMILIES}
# the same check beyond the defaults: basic blocks, other stages, other SB
# settings (the study's variants: projects/long_range_study/tests)
SETTINGS = [
    ('mmdet', 'SBResNet', dict(depth=18)),
    ('mmseg', 'SBResNetV1c', dict(depth=18, sb_stages=(False, True, False,
                                                        True))),
    ('mmpretrain', 'SBResNet', dict(depth=18, sb_cfg=dict(
        reduced_channels=8, grid_size=5))),
    # beyond the ResNets: the channel-last consumer, and squeeze-excitation
    # between the depthwise conv and the consumer
    ('mmpretrain', 'SBConvNeXt', dict(arch='atto')),
    ('mmseg', 'SBMobileNetV3', dict(arch='small', sb_stages=(
        False, True, False, True, False, False, False, False, False, False,
        True))),
]


def _id(row):
    lib, name, kw = row
    extra = {k: v for k, v in kw.items()
             if k in ('sb_stages', 'sb_cfg', 'arch', 'linear_pw_conv')}
    return f'{lib}-{name}' + (f'-{extra}' if extra else '') + \
        (f"-d{kw['depth']}" if 'depth' in kw else '')


def _input(name):
    # HRNet fuses branches by upsampling (sides a multiple of 32);
    # DetectoRS' SAC pads by reflection (4 x 4 at least in stage 4)
    side = 128 if name.startswith('SBDetectoRS') else 64
    return torch.randn(2, 3, side, side)


def test_the_table_names_every_registered_sb_type():
    registered = {(lib, name) for lib in LIBRARIES
                  for name in registry(lib)[0].module_dict
                  if name.startswith('SB')}
    assert registered == {(lib, name) for lib, name, _ in ROWS}


@pytest.mark.parametrize('row', SETTINGS + [
    pytest.param(row, marks=pytest.mark.slow) for row in ROWS], ids=_id)
def test_sb_is_there(row):
    lib, name, kw = row
    backbone = build_backbone(lib, type=name, **kw)
    # the stages asked for (default: 1-3, the paper's), not others
    assert backbone.sb_stages == tuple(kw.get('sb_stages', DEFAULT_STAGES.get(
        (lib, name, repr(kw)), (True, True, True, False))))
    assert_sb_is_there(backbone, _input(name))


@pytest.mark.slow
def test_sb_is_there_in_detectors_with_sac_and_rfp():
    """DetectoRS as its configs build it: switchable atrous convs in
    stages 2-4, and the recursive feature pyramid's second pass
    (``rfp_forward``, which adds the neck's features to each stage)."""
    sb = build_backbone('mmdet', type='SBDetectoRS_ResNet', depth=50,
                        sac=dict(type='SAC', use_deform=True),
                        stage_with_sac=(False, True, True, True),
                        rfp_inplanes=256, output_img=True)
    x = torch.randn(2, 3, 128, 128)
    feats = [None] + [torch.randn(2, 256, s, s) for s in (16, 8, 4)]
    assert type(sb.layer2[0].conv2).__name__ == 'SAConv2dWithSpatialBias'
    assert_sb_is_there(sb, x,
                       forward=lambda model, x: model.rfp_forward(x, feats))
