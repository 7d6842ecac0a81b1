"""Bad input gets an error that names what is wrong, where the mistake is
made. One row a case; docs/en/notes/common_errors.md is checked against
CASES (test_common_errors_page_matches_the_cases)."""
import json
import os.path as osp
import re
import subprocess
import sys

import numpy as np
import pytest
import torch
from sb_testing import build_backbone

from sb_mm.apis import checks, cli

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def sb(lib='mmdet', **kw):
    cfg = dict(type='SBResNet', depth=18)
    cfg.update(kw)
    return build_backbone(lib, **cfg)


# -- the cases: id -> (what goes wrong, callable(tmp_path), error, regex) ---
def _write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return str(path)


def _coco(tmp, polygon):
    return _write(tmp / 'ann.json', json.dumps(dict(
        images=[dict(id=1, file_name='a.jpg', width=8, height=8)],
        annotations=[dict(id=7, image_id=1, category_id=1, bbox=[0, 0, 2, 2],
                          area=4, iscrowd=0, segmentation=[polygon])],
        categories=[dict(id=1, name='x')])))


def _seg_pair(tmp, img_size, seg_size):
    import cv2
    img_dir, seg_dir = tmp / 'img', tmp / 'ann'
    img_dir.mkdir()
    seg_dir.mkdir()
    cv2.imwrite(str(img_dir / 'a.jpg'), np.zeros((*img_size, 3), np.uint8))
    cv2.imwrite(str(seg_dir / 'a.png'), np.zeros(seg_size, np.uint8))
    from sb_mm.apis.checks import check_segmentation_maps
    check_segmentation_maps(str(img_dir), str(seg_dir), '.jpg', '.png')


def _ckpt(tmp, transform):
    path = tmp / 'c.pth'
    torch.save({'state_dict': {'w': torch.zeros(3)}}, path)
    transform(path)
    from sb_mm.apis.checks import check_checkpoint_file
    check_checkpoint_file(str(path))


def _other_arch(tmp):
    model = sb()
    state = model.state_dict()
    state['layer1.0.conv1.weight'] = torch.zeros(7, 7, 3, 3)
    path = tmp / 'other.pth'
    torch.save({'state_dict': state}, path)
    from sb_mm.apis.checks import check_checkpoint_matches
    check_checkpoint_matches(model, str(path))


def _unknown_type(tmp, imports, type_='SBResNet50'):
    from mmengine.config import Config

    from sb_mm.apis.models import build_model
    cfg = Config(dict(default_scope='mmdet',
                      custom_imports=dict(imports=imports),
                      model=dict(type=type_, depth=50)))
    build_model(cfg)


def _config(tmp, text):
    from sb_mm.apis.cli import load_config
    load_config(_write(tmp / 'cfg.py', text))


def _forward(x, **kw):
    model = sb(**kw)
    model.eval()  # the libraries' ResNet.train() returns None
    model(x)


CASES = {
    'sb_stages_string': (
        "`sb_stages='TTTF'` (a string)",
        lambda t: sb(sb_stages='TTTF'), ValueError,
        r"sb_stages must be a list or tuple of 4 bools"),
    'sb_stages_string_flags': (
        "`sb_stages=('True', 'False', ...)`",
        lambda t: sb(sb_stages=('True', 'False', 'False', 'False')),
        ValueError, r"sb_stages\[0\] must be True or False, got 'True'"),
    'sb_stages_length': (
        '`sb_stages` with another count than `num_stages`',
        lambda t: sb(sb_stages=(True, False)), ValueError,
        r'sb_stages has 2 flags, but the backbone has num_stages=4'),
    'sb_stages_number': (
        '`sb_stages=(True, 2, ...)`',
        lambda t: sb(sb_stages=(True, 2, False, False)), ValueError,
        r'sb_stages\[1\] must be True or False, got 2'),
    'sb_stages_none_flag': (
        '`sb_stages=(True, None, ...)`',
        lambda t: sb(sb_stages=(True, None, False, False)), ValueError,
        r'sb_stages\[1\] must be True or False, got None'),
    'sb_cfg_not_dict': (
        '`sb_cfg` not a dict', lambda t: sb(sb_cfg='grid 10'), ValueError,
        r"sb_cfg must be a dict, got 'grid 10'"),
    'sb_cfg_unknown_key': (
        'an unknown `sb_cfg` key (e.g. `grid`)',
        lambda t: sb(sb_cfg=dict(grid=10)), ValueError,
        r"sb_cfg: unknown key\(s\) \['grid'\]; valid keys are"),
    'sb_cfg_grid_zero': (
        '`grid_size=0`', lambda t: sb(sb_cfg=dict(grid_size=0)), ValueError,
        r'grid_size must be >= 1, got 0'),
    'sb_cfg_grid_float': (
        '`grid_size=10.0`', lambda t: sb(sb_cfg=dict(grid_size=10.0)),
        ValueError, r'grid_size must be an int, got 10.0'),
    'sb_cfg_reduced_bool': (
        '`reduced_channels=True`',
        lambda t: sb(sb_cfg=dict(reduced_channels=True)), ValueError,
        r'reduced_channels must be an int, got True'),
    'sb_cfg_kernel_too_large': (
        '`kernel_size` larger than `reduced_channels`',
        lambda t: sb(sb_cfg=dict(kernel_size=6)), ValueError,
        r'kernel_size \(6\) must not exceed reduced_channels \(5\)'),
    'sb_cfg_fused_string': (
        "`fused='yes'`", lambda t: sb(sb_cfg=dict(fused='yes')), ValueError,
        r"fused must be a bool, got 'yes'"),
    'sb_cfg_norm_string': (
        "`norm_cfg='BN'`", lambda t: sb(sb_cfg=dict(norm_cfg='BN')),
        ValueError, r"norm_cfg must be a dict, got 'BN'"),
    'block_plugins_stages_string': (
        "`block_plugins` with `stages='TF'`",
        lambda t: sb(sb_stages=(False,) * 4, block_plugins=[dict(
            cfg=dict(type='ContextBlock', ratio=0.25), stages='TFFF')]),
        ValueError, r'block_plugins stages must be a list or tuple'),
    'block_plugins_blocks': (
        "`block_plugins` with `blocks='first'`",
        lambda t: sb(block_plugins=[dict(
            cfg=dict(type='ContextBlock', ratio=0.25), blocks='first')]),
        ValueError,
        r"blocks must be 'all', 'last' or a list of block indices, "
        r"got 'first'"),
    'block_plugins_no_cfg': (
        '`block_plugins` entry without `cfg`',
        lambda t: sb(block_plugins=[dict(type='ContextBlock')]), ValueError,
        r'block_plugins: each entry is dict\(cfg=dict\(type=...\)'),
    'unknown_type_no_import': (
        'an SB type without `custom_imports` of sb_mm',
        lambda t: _unknown_type(t, []), KeyError,
        r"'SBResNet50' is not a type the mmdet registries know\. SB types "
        r"in mmdet: .*SBResNet, SBResNetV1c, .*add custom_imports="
        r"dict\(imports=\['sb_mm.mmdet'\]"),
    'unknown_type_typo': (
        'a misspelt SB type', lambda t: _unknown_type(t, ['sb_mm.mmdet']),
        KeyError, r"'SBResNet50' is not a type the mmdet registries know\. "
        r'SB types in mmdet: SBDetectoRS_ResNeXt, SBDetectoRS_ResNet, '
        r'SBHRNet, SBMobileNetV2, SBRegNet, SBRes2Net, SBResNeSt, SBResNeXt, '
        r'SBResNet, SBResNetV1c, SBResNetV1d\. \(registry'),
    'convnext_without_scope': (
        "`type='SBConvNeXt'` in an MMDetection / MMSegmentation config",
        lambda t: _unknown_type(t, ['sb_mm.mmdet'], 'SBConvNeXt'), KeyError,
        r"'SBConvNeXt' is not a type the mmdet registries know\. .* "
        r"SBConvNeXt is MMPretrain's: name it type='mmpretrain\.SBConvNeXt' "
        r"and add 'sb_mm\.mmpretrain' to custom_imports"),
    'config_missing': (
        'a config file that does not exist',
        lambda t: cli.load_config(str(t / "nope.py")), FileNotFoundError,
        r'config file not found: .*nope\.py'),
    'base_missing': (
        'a `_base_` that cannot be resolved',
        lambda t: _config(t, "_base_ = './missing_base.py'\n"),
        FileNotFoundError,
        r'cfg\.py: a _base_ config it inherits cannot be found .*'
        r'missing_base\.py'),
    'config_syntax': (
        'a config that is not valid Python',
        lambda t: _config(t, 'model = dict(\n'), SyntaxError,
        r'cfg\.py \(or a _base_ it inherits\) is not valid Python'),
    'coco_ann_missing': (
        'a COCO annotation file that does not exist',
        lambda t: checks.check_coco_annotations(str(t / 'none.json')),
        FileNotFoundError,
        r'COCO annotation file not found: .*none\.json'),
    'coco_ann_not_json': (
        'a COCO annotation file that is not JSON',
        lambda t: checks.check_coco_annotations(
            _write(t / 'a.json', '{"images": [')),
        ValueError, r'COCO annotation file .*a\.json is not JSON'),
    'coco_polygon_two_points': (
        'a COCO polygon with fewer than 3 points',
        lambda t: checks.check_coco_annotations(_coco(t, [0, 0, 4, 4])),
        ValueError,
        r'ann\.json: annotation id 7 \(image id 1\) has polygon 0 with 4 '
        r'numbers; a polygon needs at least 3 points'),
    'seg_map_size': (
        'a segmentation map whose size differs from its image',
        lambda t: _seg_pair(t, (8, 8), (8, 6)), ValueError,
        r'segmentation map .*a\.png is 6x8 \(w x h\), its image .*a\.jpg 8x8'),
    'seg_map_missing': (
        'an image without its segmentation map',
        lambda t: checks.check_segmentation_maps(*_img_only(t)),
        FileNotFoundError,
        r'segmentation map not found for .*a\.jpg: .*a\.png'),
    'checkpoint_missing': (
        'a checkpoint that does not exist',
        lambda t: checks.check_checkpoint_file(str(t / 'no.pth')),
        FileNotFoundError,
        r'checkpoint not found: .*no\.pth'),
    'checkpoint_empty': (
        'an empty checkpoint file',
        lambda t: _ckpt(t, lambda p: p.write_bytes(b'')), ValueError,
        r'checkpoint .*c\.pth is empty \(0 bytes\)'),
    'checkpoint_truncated': (
        'a truncated checkpoint',
        lambda t: _ckpt(t, lambda p: p.write_bytes(
            p.read_bytes()[:len(p.read_bytes()) // 2])), ValueError,
        r'checkpoint .*c\.pth is cut short'),
    'checkpoint_not_torch': (
        'a file that is not a checkpoint',
        lambda t: _ckpt(t, lambda p: p.write_text('hello')), ValueError,
        r'c\.pth is not a readable torch checkpoint'),
    'checkpoint_other_architecture': (
        'a checkpoint from another architecture',
        _other_arch, ValueError,
        r'other\.pth does not fit this model: layer1\.0\.conv1\.weight is '
        r'\[7, 7, 3, 3\] in the checkpoint, \[64, 64, 3, 3\] in the model'),
    'input_channels': (
        'an input with the wrong number of channels',
        lambda t: _forward(torch.zeros(1, 4, 32, 32)), ValueError,
        r'SBResNet: the input has 4 channels, the backbone was built with '
        r'in_channels=3'),
    'input_dims': (
        'an input that is not (B, C, H, W)',
        lambda t: _forward(torch.zeros(3, 32, 32)), ValueError,
        r'SBResNet: expected a \(B, C, H, W\) input, got shape '
        r'\(3, 32, 32\)'),
}


def _img_only(t):
    import cv2
    (t / 'img').mkdir()
    (t / 'ann').mkdir()
    cv2.imwrite(str(t / 'img' / 'a.jpg'), np.zeros((8, 8, 3), np.uint8))
    return str(t / 'img'), str(t / 'ann'), '.jpg', '.png'


def test_there_are_at_least_25_cases():
    assert len(CASES) >= 25


@pytest.mark.parametrize('case', sorted(CASES))
def test_bad_input_is_named(case, tmp_path):
    _, call, error, pattern = CASES[case]
    with pytest.raises(error) as info:
        call(tmp_path)
    message = str(info.value.args[0]) if info.value.args else ''
    assert re.search(pattern, message), message


def test_sb_stages_as_config_lists_and_zero_one_still_work():
    model = sb(sb_stages=[1, 0, False, True])
    assert model.sb_stages == (True, False, False, True)
    model = sb(sb_stages=np.array([True, False, False, False]).tolist())
    assert model.sb_stages == (True, False, False, False)


def test_nan_and_inf_inputs_propagate_without_error():
    """Documented behaviour: no check, no crash; NaN / Inf in the input give
    NaN / Inf in the features (as in the stock ResNet) rather than an error,
    so a data problem shows in the loss (mmengine stops on a NaN loss only
    if asked to)."""
    model = sb()
    model.eval()
    x = torch.zeros(1, 3, 32, 32)
    x[0, 0, 5, 5] = float('nan')
    out = model(x)
    assert torch.isnan(out[-1]).any()
    x[0, 0, 5, 5] = float('inf')
    out = model(x)
    assert not torch.isfinite(out[-1]).all()


# the ways the libraries build a stem: conv1 a Conv2d (mmdet, mmpretrain,
# mmpretrain's CIFAR stem), a deep stem whose first module is a Conv2d
# (mmseg V1c) or a ConvModule (mmpretrain V1d)
STEMS = [('mmdet', 'SBResNet', dict(depth=18)),
         ('mmseg', 'SBResNetV1c', dict(depth=18)),
         ('mmpretrain', 'SBResNet', dict(depth=18)),
         ('mmpretrain', 'SBResNetV1d', dict(depth=18)),
         ('mmpretrain', 'SBResNet_CIFAR', dict(depth=18))]


@pytest.mark.parametrize('lib,name,kw', STEMS,
                         ids=[f'{lib}-{name}' for lib, name, _ in STEMS])
def test_wrong_input_is_named_whatever_the_stem(lib, name, kw):
    """The channel check reads the stem the backbone was built with (here
    in_channels=4, so 3 channels are wrong), and a 3-D input is named;
    the whole message, with the backbone's type."""
    model = build_backbone(lib, type=name, in_channels=4, **kw)
    model.eval()
    with pytest.raises(ValueError) as info:
        model(torch.zeros(1, 3, 32, 32))
    assert str(info.value) == (
        f'{name}: the input has 3 channels, the backbone was built with '
        'in_channels=4')
    with pytest.raises(ValueError) as info:
        model(torch.zeros(4, 32, 32))
    assert str(info.value) == (
        f'{name}: expected a (B, C, H, W) input, got shape (4, 32, 32)')
    assert model(torch.zeros(1, 4, 32, 32))[-1].shape[:2] == (1, 512)


def test_common_errors_page_matches_the_cases():
    text = open(osp.join(REPO, 'docs', 'en', 'notes',
                         'common_errors.md')).read()
    rows = re.findall(r'^\| `([a-z_]+)` \|', text, flags=re.M)
    assert sorted(rows) == sorted(CASES)


@pytest.mark.slow
def test_train_py_stops_at_the_mistake(tmp_path):
    """Through tools/train.py: a bad sb_stages and a broken COCO polygon in
    the demo data stop before training, with the message."""
    from sb_mm.datasets import make_all
    make_all(str(tmp_path / 'data' / 'demo'), small=True)
    cfg = osp.join(REPO, 'configs', 'demo', 'coco_maskrcnn_sb_demo.py')

    def train(*options):
        return subprocess.run(
            [sys.executable, osp.join(REPO, 'tools', 'train.py'), cfg,
             '--work-dir', str(tmp_path / 'w'), '--cfg-options', *options],
            cwd=tmp_path, capture_output=True, text=True, timeout=600)

    out = train("model.backbone.sb_stages='TTTF'")
    assert out.returncode != 0
    assert 'sb_stages must be a list or tuple of 4 bools' in out.stderr
    ann = tmp_path / 'data' / 'demo' / 'coco' / 'annotations' / \
        'instances_train2017.json'
    data = json.loads(ann.read_text())
    data['annotations'][3]['segmentation'] = [[1, 2, 3, 4]]
    ann.write_text(json.dumps(data))
    out = train('train_cfg.max_epochs=1')
    assert out.returncode != 0
    assert (f'annotation id {data["annotations"][3]["id"]}' in out.stderr
            and 'needs at least 3 points' in out.stderr), out.stderr[-2000:]
    assert 'Epoch(train)' not in out.stdout + out.stderr


def test_checkpoint_check_accepts_stock_and_own_checkpoints(tmp_path):
    """The architecture check is not a false alarm: a stock ResNet
    checkpoint (stock-shaped tensors of the widened layers) and the model's
    own checkpoint fit an SB model."""
    from sb_mm.apis.checks import check_checkpoint_matches
    model = sb()
    stock = build_backbone('mmdet', type='ResNet', depth=18)
    for name, state in (('stock', stock.state_dict()),
                        ('own', model.state_dict())):
        path = tmp_path / f'{name}.pth'
        torch.save({'state_dict': state}, path)
        check_checkpoint_matches(model, str(path))


def test_stock_tensor_fits_names_what_loads_into_an_sb_backbone():
    """The mixin's public answer to "does this checkpoint tensor fit":
    own shapes; a widened consumer's stock weight (input columns short by
    exactly the maps); a split norm saved as one layer over C + m (sb_mm
    0.1, the authors); nothing else."""
    from sb_mm.layers.norm_with_spatial_bias import merge_norm_state
    model = sb()  # SB ResNet-18: conv1 emits, norm1 split, conv2 widened
    for key, value in build_backbone('mmdet', type='ResNet',
                                     depth=18).state_dict().items():
        assert model.stock_tensor_fits(key, value.shape), key
    merged = dict(model.state_dict())
    assert merge_norm_state(merged, 'layer1.0.bn1.')
    assert model.stock_tensor_fits('layer1.0.bn1.weight',
                                   merged['layer1.0.bn1.weight'].shape)
    assert merged['layer1.0.bn1.weight'].shape == (64 + 3, )
    for wrong in (64 + 2, 64 + 4):
        assert not model.stock_tensor_fits('layer1.0.bn1.weight', (wrong, ))
    width = model.layer1[0].conv2.weight.shape
    assert not model.stock_tensor_fits(
        'layer1.0.conv2.weight', (width[0], width[1] - 2, *width[2:]))
    assert not model.stock_tensor_fits(
        'layer1.0.conv2.weight', (width[0] - 1, width[1] - 3, *width[2:]))
    assert not model.stock_tensor_fits('layer1.0.conv1.weight',
                                       (64, 63, 3, 3))
    assert not model.stock_tensor_fits('layer1.0.bn2.weight', (70, ))
    assert not model.stock_tensor_fits('no.such.weight', (1, ))
