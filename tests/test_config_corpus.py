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
#: processes the configs are built in (this project's machines: 2 cores)
WORKERS = 2
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


def no_random_init():
    """Random initialisation is most of the build time and not what this
    test checks (module structure and shapes are): make it a no-op (in the
    worker processes, which end with the test)."""
    import torch
    for name in ('uniform_', 'normal_'):
        setattr(torch.Tensor, name, lambda self, *a, **k: self)


def _start_worker():
    import torch
    torch.set_num_threads(1)  # one process a core
    no_random_init()
    for name in ('sb_mm.mmdet', 'sb_mm.mmseg', 'sb_mm.mmpretrain'):
        importlib.import_module(name)  # configs may use other scopes
    _SB_TYPES.update(name for lib in LIBRARIES
                     for name in registry(lib)[0].module_dict
                     if name.startswith('SB'))


#: the SB backbone types of the three registries (set in each worker)
_SB_TYPES = set()


#: (scope, model dict) built and checked in this worker -> GN forward run
_CHECKED = {}


def check_folder(lib, paths):
    """Builds and checks the configs of one folder (``paths``) in a worker
    process; returns what it built, skipped and failed."""
    built, skipped, failed, gn_forward = 0, Counter(), [], []
    per_family, new_forward = Counter(), Counter()
    for path in paths:
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
        if key in _CHECKED:
            built += 1
            per_family[families[0]] += 1
            if _CHECKED[key]:
                gn_forward.append(rel)
            continue
        try:
            model = build_model(lib, cfg)
        except Exception as e:  # noqa: BLE001
            sb_error = e
        else:
            built += 1
            per_family[families[0]] += 1
            _CHECKED[key] = False
            try:
                gn = _check_built(cfg, model, families[0])
            except AssertionError as e:
                failed.append(f'{rel}: {e}')
                continue
            if gn:
                gn_forward.append(rel)
                _CHECKED[key] = True
            elif families[0] in FORWARD_TYPES:
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
    return dict(built=built, skipped=skipped, failed=failed,
                gn_forward=gn_forward, per_family=per_family,
                new_forward=new_forward)


def _check_built(cfg, model, family):
    """SB where the sb_stages say in every SB backbone of ``model``; a
    forward of the GroupNorm, ConvNeXt and MobileNet backbones. Returns
    whether the backbone has GroupNorm."""
    backbones = [m for m in model.modules()
                 if type(m).__name__ in _SB_TYPES]
    assert len(backbones) >= 1, 'no SB backbone in the built model'
    for backbone in backbones:
        assert_sb_placement(backbone)
    backbone = cfg.model.get('backbone', {})
    gn = 'GN' in str(backbone.get('norm_cfg', {}).get('type', ''))
    if gn or family in FORWARD_TYPES:
        # a forward too (values are not the question: initialisation is
        # off in this test)
        import torch
        model.backbone.eval()
        with torch.no_grad():
            outs = model.backbone(torch.zeros(1, 3, 64, 64))
        indices = backbone.get('out_indices', outs)
        assert len(outs) == (1 if isinstance(indices, int)
                             else len(indices)), 'outputs'
    return gn


def config_folders(lib):
    """The configs of ``lib`` by folder, the largest folders first (so
    that the pool's last tasks are short)."""
    folders = {}
    for path in iter_configs(lib):
        folders.setdefault(osp.dirname(path), []).append(path)
    return sorted(folders.values(), key=len, reverse=True)


@pytest.mark.slow
@pytest.mark.parametrize('lib', LIBRARIES)
def test_every_resnet_config_builds_with_sb(lib):
    """In two worker processes (one a core, forked: each folder's configs
    in one of them, so that configs of the same model share one build)."""
    import multiprocessing
    start = time.time()
    total = dict(built=0, skipped=Counter(), failed=[], gn_forward=[],
                 per_family=Counter(), new_forward=Counter())
    with multiprocessing.get_context('fork').Pool(
            WORKERS, initializer=_start_worker) as pool:
        for part in pool.starmap(check_folder, [
                (lib, paths) for paths in config_folders(lib)], chunksize=1):
            for key, value in part.items():
                total[key] += value
    built, skipped, failed = total['built'], total['skipped'], total['failed']
    gn_forward, per_family = total['gn_forward'], total['per_family']
    new_forward = total['new_forward']
    print(f'\n[{lib}] built {built} configs with the SB backbone in '
          f'{time.time() - start:.0f}s ({WORKERS} processes); '
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
