"""Every config shipped with mmdet, mmseg and mmpretrain whose backbone is a
ResNet-family, ConvNeXt or MobileNetV2 / V3 backbone builds as a whole model
with the SB backbone swapped in, through that library's own builder, with SB
in the blocks its sb_stages flag; the ConvNeXt, MobileNet and GroupNorm
backbones also run a forward on a small input. Prints how many it built per
library, and every skip with its reason."""
import importlib
import os
import os.path as osp
import time
from collections import Counter

import pytest
from mmengine.config import Config
from sb_is_there import assert_sb_placement
from sb_testing import LIBRARIES, registry

STOCK_TYPES = ('ResNet', 'ResNetV1c', 'ResNetV1d', 'ResNeXt', 'ResNet_CIFAR',
               'SEResNet', 'SEResNeXt', 'RegNet', 'ResNeSt',
               'DetectoRS_ResNet', 'DetectoRS_ResNeXt', 'Res2Net', 'HRNet',
               'ConvNeXt', 'MobileNetV2', 'MobileNetV3')
#: families whose backbones also run a forward (a new block design)
FORWARD_TYPES = ('ConvNeXt', 'MobileNetV2', 'MobileNetV3')
#: what a full run built and skipped here (the pinned stack): at least this
#: many configs must build, per library and per family, at most this many
#: may be skipped per kind of reason (a new skip or a lost build fails the
#: test). 2026-11-28: mmdet 507 with 20 GroupNorm configs skipped;
#: 2026-11-29, split norm + RegNet / ResNeSt / DetectoRS / SE types: mmdet
#: 568, mmseg 437, mmpretrain 81; 2026-11-29 (later), + Res2Net and HRNet:
#: 2026-12-06, + ConvNeXt and MobileNetV2 / V3 (issue 32): mmdet 611,
#: mmseg 521, mmpretrain 125, every ConvNeXt / MobileNet backbone run forward
MIN_PER_FAMILY = dict(
    mmdet=dict(ResNet=430, ResNeXt=97, HRNet=29, RegNet=26, ResNeSt=8,
               DetectoRS_ResNet=7, Res2Net=7, ConvNeXt=4, MobileNetV2=3),
    mmseg=dict(ResNetV1c=390, HRNet=66, ResNet=39, ResNeSt=8, MobileNetV2=8,
               ConvNeXt=6, MobileNetV3=4),
    mmpretrain=dict(ResNet=48, RegNet=8, HRNet=7, ResNet_CIFAR=7, ResNeSt=4,
                    ResNeXt=4, Res2Net=3, ResNetV1c=3, ResNetV1d=3,
                    SEResNet=2, SEResNeXt=2, ConvNeXt=28, MobileNetV3=5,
                    MobileNetV2=1))
MIN_BUILT = {lib: sum(n.values()) for lib, n in MIN_PER_FAMILY.items()}
MIN_GN_FORWARD = dict(mmdet=20, mmseg=0, mmpretrain=0)
MAX_SKIPPED = dict(
    mmdet={'the stock model does not build here either': 26,
           'config does not parse here (FileNotFoundError)': 4},
    mmseg={},
    mmpretrain={'config does not parse here (RuntimeError)': 4,
                'config does not parse here (KeyError)': 2,
                'the stock model does not build here either': 1})


def config_root(lib):
    pkg = importlib.import_module(lib)
    return osp.join(osp.dirname(pkg.__file__), '.mim', 'configs')


def iter_configs(lib):
    root = config_root(lib)
    for folder, _, files in sorted(os.walk(root)):
        if '_base_' in folder.split(os.sep):
            continue
        for name in sorted(files):
            if name.endswith('.py'):
                yield osp.join(folder, name)


def swap_backbones(node, families=None):
    """Replaces, in place, every ``backbone`` whose type is a stock ResNet
    family type with its SB name; adds the stock names to ``families``.
    Returns how many it swapped."""
    swapped = 0
    if isinstance(node, dict):
        for key, value in node.items():
            if key == 'backbone' and isinstance(value, dict):
                scope, _, name = str(value.get('type', '')).rpartition('.')
                if name in STOCK_TYPES:
                    value['type'] = f'{scope}.SB{name}' if scope \
                        else f'SB{name}'
                    swapped += 1
                    if families is not None:
                        families.append(name)
            swapped += swap_backbones(value, families)
    elif isinstance(node, (list, tuple)):
        swapped += sum(swap_backbones(v, families) for v in node)
    return swapped


def build_model(lib, cfg):
    from sb_mm.apis.models import build_in_scope
    return build_in_scope(cfg.get('default_scope', lib), cfg.model)


@pytest.fixture
def no_random_init(monkeypatch):
    """Random initialisation is most of the build time and not what this
    test checks (module structure and shapes are): make it a no-op."""
    import torch
    for name in ('uniform_', 'normal_'):
        monkeypatch.setattr(torch.Tensor, name, lambda self, *a, **k: self)


@pytest.mark.slow
@pytest.mark.parametrize('lib', LIBRARIES)
def test_every_resnet_config_builds_with_sb(lib, no_random_init):
    for name in ('sb_mm.mmdet', 'sb_mm.mmseg', 'sb_mm.mmpretrain'):
        importlib.import_module(name)  # configs may use other scopes
    built, skipped, failed, gn_forward = 0, Counter(), [], []
    checked = {}  # (scope, model dict) built and checked -> GN forward run
    sb_types = {name for lib_ in LIBRARIES
                for name in registry(lib_)[0].module_dict
                if name.startswith('SB')}
    per_family = Counter()
    new_forward = Counter()
    start = time.time()
    for path in iter_configs(lib):
        rel = osp.relpath(path, config_root(lib))
        try:
            cfg = Config.fromfile(path)
        except Exception as e:  # noqa: BLE001
            skipped[f'config does not parse here ({type(e).__name__})'] += 1
            continue
        families = []
        if 'model' not in cfg or not swap_backbones(cfg.model, families):
            continue
        # configs that differ in the schedule or the data only hold the
        # same model dict: the same builder builds the same model, so one
        # that built (and was checked) counts again without a rebuild
        key = (cfg.get('default_scope', lib), repr(cfg.model))
        if key in checked:
            built += 1
            per_family[families[0]] += 1
            if checked[key]:
                gn_forward.append(rel)
            continue
        try:
            model = build_model(lib, cfg)
            built += 1
            per_family[families[0]] += 1
        except Exception as e:  # noqa: BLE001
            sb_error = e
        else:
            checked[key] = False
            # the SB backbones really have SB, where their sb_stages say
            backbones = [m for m in model.modules()
                         if type(m).__name__ in sb_types]
            assert len(backbones) >= 1, rel
            for backbone in backbones:
                assert_sb_placement(backbone)
            backbone = cfg.model.get('backbone', {})
            gn = 'GN' in str(backbone.get('norm_cfg', {}).get('type', ''))
            if gn or families[0] in FORWARD_TYPES:
                # a forward too (values are not the question:
                # initialisation is off in this test)
                import torch
                model.backbone.eval()
                with torch.no_grad():
                    outs = model.backbone(torch.zeros(1, 3, 64, 64))
                indices = backbone.get('out_indices', outs)
                assert len(outs) == (1 if isinstance(indices, int)
                                     else len(indices)), rel
                if gn:
                    gn_forward.append(rel)
                    checked[key] = True
                else:
                    new_forward[families[0]] += 1
            continue
        # The SB model failed: is the stock config itself buildable here?
        stock = Config.fromfile(path)
        try:
            build_model(lib, stock)
        except Exception as e:  # noqa: BLE001
            skipped['the stock model does not build here either: '
                    f'{type(e).__name__}: {str(e)[:80]}'] += 1
            continue
        failed.append(f'{rel}: {type(sb_error).__name__}: {sb_error}')
    print(f'\n[{lib}] built {built} configs with the SB backbone '
          f'({len(checked)} distinct models) in {time.time() - start:.0f}s; '
          f'skipped {sum(skipped.values())}')
    for reason, n in skipped.most_common():
        print(f'[{lib}]   skipped {n}: {reason}')
    assert not failed, '\n'.join(failed)
    assert built >= MIN_BUILT[lib], (built, MIN_BUILT[lib])
    per_kind = Counter()
    for reason, n in skipped.items():
        per_kind[reason.split(':')[0]] += n
    for kind, n in per_kind.items():
        assert n <= MAX_SKIPPED[lib].get(kind, 0), (lib, kind, n)
    print(f'[{lib}] GroupNorm backbones built and run forward: '
          f'{len(gn_forward)}')
    print(f'[{lib}] built per family: ' + ', '.join(
        f'{name} {n}' for name, n in per_family.most_common()))
    lost = {name: (per_family[name], n)
            for name, n in MIN_PER_FAMILY[lib].items() if per_family[name] < n}
    assert not lost, f'families that built fewer configs: {lost}'
    assert len(gn_forward) >= MIN_GN_FORWARD[lib], gn_forward
    print(f'[{lib}] ConvNeXt / MobileNet models run forward: '
          f'{dict(new_forward)}')
    for name in FORWARD_TYPES:  # each distinct model ran a forward
        assert new_forward[name] >= min(
            MIN_PER_FAMILY[lib].get(name, 0), 1), (name, new_forward)
