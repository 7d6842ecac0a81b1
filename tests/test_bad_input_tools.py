"""Bad input through the tools, end to end: every row of the common-errors
table (docs/en/notes/common_errors.md, ``test_bad_input.CASES``) whose check
a tool calls, made the way a user makes it (a config, a ``--cfg-options``, a
file on the command line), through ``tools/train.py``, ``tools/test.py``,
``demo/image_demo.py`` and the model converters. The tools run in this
process (their ``main(argv)``), so a check whose call is removed from a tool
turns its rows red. The table's two forward-time rows (``input_channels``,
``input_dims``) are checked inside the backbone's ``forward`` and no tool
feeds it its own tensors: they stay in test_bad_input.py."""
import json
import os.path as osp
import re
import shutil

import pytest
import torch
from sb_testing import load_tool
from test_bad_input import CASES

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CLS = osp.join(REPO, 'configs', 'demo', 'in1k_sb_demo.py')
DET = osp.join(REPO, 'configs', 'demo', 'coco_maskrcnn_sb_demo.py')
SEG = osp.join(REPO, 'configs', 'demo', 'ade20k_upernet_sb_demo.py')
TOOLS = dict(train='tools/train.py', test='tools/test.py',
             demo='demo/image_demo.py',
             convert='tools/model_converters/mmpretrain2backbone.py')


def run(tool, *argv):
    """``main(argv)`` of a tool script, loaded from its file."""
    return load_tool(TOOLS[tool]).main(list(argv))


def child(tmp, base, text):
    """A config that inherits ``base`` and changes what ``text`` says."""
    path = tmp / f'bad_{len(list(tmp.glob("bad_*.py")))}.py'
    path.write_text(f'_base_ = {base!r}\n{text}\n')
    return str(path)


# -- how each row's mistake reaches a tool ----------------------------------
BACKBONE = {  # case -> the bad backbone setting, as a config writes it
    'sb_stages_string': "sb_stages='TTTF'",
    'sb_stages_string_flags': "sb_stages=('True', 'False', 'False', "
                              "'False')",
    'sb_stages_length': 'sb_stages=(True, False)',
    'sb_stages_number': 'sb_stages=(True, 2, False, False)',
    'sb_stages_none_flag': 'sb_stages=(True, None, False, False)',
    'sb_cfg_not_dict': "sb_cfg='grid 10'",
    'sb_cfg_unknown_key': 'sb_cfg=dict(grid=10)',
    'sb_cfg_grid_zero': 'sb_cfg=dict(grid_size=0)',
    'sb_cfg_grid_float': 'sb_cfg=dict(grid_size=10.0)',
    'sb_cfg_reduced_bool': 'sb_cfg=dict(reduced_channels=True)',
    'sb_cfg_kernel_too_large': 'sb_cfg=dict(kernel_size=6)',
    'sb_cfg_fused_string': "sb_cfg=dict(fused='yes')",
    'sb_cfg_norm_string': "sb_cfg=dict(norm_cfg='BN')",
    'block_plugins_stages_string':
        "sb_stages=(False, ) * 4, block_plugins=[dict(cfg=dict("
        "type='ContextBlock', ratio=0.25), stages='TFFF')]",
    'block_plugins_blocks':
        "block_plugins=[dict(cfg=dict(type='ContextBlock', ratio=0.25), "
        "blocks='first')]",
    'block_plugins_no_cfg': "block_plugins=[dict(type='ContextBlock')]",
}


def _backbone_row(case):
    return lambda tmp, tool: ('train', child(
        tmp, CLS, f'model = dict(backbone=dict({BACKBONE[case]}))'),
        '--work-dir', str(tmp / 'w'))


def _unknown_type(imports, type_='SBResNet50'):
    return lambda tmp, tool: ('train', child(
        tmp, DET, f'custom_imports = dict(imports={imports!r})\n'
        f"model = dict(backbone=dict(type='{type_}'))"),
        '--work-dir', str(tmp / 'w'))


def _config_file(text):
    def make(tmp, tool):
        path = tmp / 'cfg.py'
        if text is not None:
            path.write_text(text)
        args = [str(path)] + (['ckpt.pth'] if tool == 'test' else [])
        return (tool, *args)
    return make


def _coco_file(write):
    """The val / test annotation file replaced by a bad one (train.py
    checks the val loader too, test.py the test loader)."""
    def make(tmp, tool):
        ann = tmp / 'ann.json'
        write(ann)
        loader = 'val_dataloader' if tool == 'train' else 'test_dataloader'
        args = ['--cfg-options', f'{loader}.dataset.ann_file={ann}',
                '--work-dir', str(tmp / 'w')]
        return (tool, DET, *(['ckpt.pth'] if tool == 'test' else []), *args)
    return make


def _polygon(path):
    data = json.loads(open('data/demo/coco/annotations/'
                           'instances_val2017.json').read())
    data['annotations'][0]['segmentation'] = [[0, 0, 4, 4]]
    path.write_text(json.dumps(data))


def _seg_data(break_it):
    """The demo ADE20K data copied, then one image / map pair broken."""
    def make(tmp, tool):
        root = tmp / 'ade'
        shutil.copytree('data/demo/ade/ADEChallengeData2016', root)
        maps = sorted((root / 'annotations' / 'training').glob('*.png'))
        break_it(maps[0])
        return ('train', SEG, '--work-dir', str(tmp / 'w'), '--cfg-options',
                f'train_dataloader.dataset.data_root={root}')
    return make


def _smaller_map(path):
    import cv2
    seg = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    cv2.imwrite(str(path), seg[:, :-2])


def _checkpoint(transform):
    """A checkpoint file made bad by ``transform``, given to a tool."""
    def make(tmp, tool):
        path = tmp / 'c.pth'
        torch.save({'state_dict': {'w': torch.zeros(3)}}, path)
        transform(path)
        return dict(
            test=('test', CLS, str(path), '--work-dir', str(tmp / 'w')),
            resume=('train', CLS, '--resume', str(path), '--work-dir',
                    str(tmp / 'w')),
            demo=('demo', 'data/demo/imagenet/val', CLS,
                  '--weights', str(path), '--out-dir', str(tmp / 'o')),
            convert=('convert', str(path), str(tmp / 'out.pth')))[tool]
    return make


def _other_architecture(tmp, tool):
    """A checkpoint of the demo classifier with one tensor of another
    shape (a checkpoint of another architecture), given to test.py."""
    from mmengine.config import Config

    from sb_mm.apis.models import build_model
    state = build_model(Config.fromfile(CLS))[0].state_dict()
    state['backbone.layer1.0.conv1.weight'] = torch.zeros(7, 7, 3, 3)
    path = tmp / 'other.pth'
    torch.save({'state_dict': state}, path)
    return ('test', CLS, str(path), '--work-dir', str(tmp / 'w'))


def _missing(path):
    path.unlink()


def _cut(path):
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])


# (case, tool, make(tmp, tool) -> (tool script, *argv), the message's pattern
# where the tool's path differs from the case's own)
ROWS = [(case, 'train', _backbone_row(case), None) for case in BACKBONE]
ROWS += [
    ('unknown_type_no_import', 'train', _unknown_type([]), None),
    ('unknown_type_typo', 'train', _unknown_type(['sb_mm.mmdet']), None),
    ('convnext_without_scope', 'train',
     _unknown_type(['sb_mm.mmdet'], 'SBConvNeXt'), None),
    ('seg_map_size', 'train', _seg_data(_smaller_map),
     r'segmentation map .*\.png is \d+x\d+ \(w x h\), its image'),
    ('seg_map_missing', 'train', _seg_data(_missing),
     r'segmentation map not found for .*\.jpg: .*\.png'),
    ('checkpoint_other_architecture', 'test', _other_architecture,
     r'other\.pth does not fit this model: backbone\.layer1\.0\.conv1\.'
     r'weight is \[7, 7, 3, 3\] in the checkpoint, \[64, 64, 3, 3\] in '
     r'the model'),
]
for tool in ('train', 'test'):
    ROWS += [
        ('config_missing', tool, _config_file(None),
         r'config file not found: .*cfg\.py'),
        ('base_missing', tool, _config_file("_base_ = './missing.py'\n"),
         r'cfg\.py: a _base_ config it inherits cannot be found .*'
         r'missing\.py'),
        ('config_syntax', tool, _config_file('model = dict(\n'), None),
        ('coco_ann_missing', tool, _coco_file(lambda p: None),
         r'COCO annotation file not found: .*ann\.json'),
        ('coco_ann_not_json', tool,
         _coco_file(lambda p: p.write_text('{"images": [')),
         r'COCO annotation file .*ann\.json is not JSON'),
        ('coco_polygon_two_points', tool, _coco_file(_polygon),
         r'ann\.json: annotation id \d+ \(image id \d+\) has polygon 0 '
         r'with 4 numbers; a polygon needs at least 3 points'),
    ]
for tool in ('test', 'resume', 'demo', 'convert'):
    ROWS += [
        ('checkpoint_missing', tool, _checkpoint(_missing),
         r'checkpoint not found: .*c\.pth'),
        ('checkpoint_empty', tool,
         _checkpoint(lambda p: p.write_bytes(b'')), None),
        ('checkpoint_truncated', tool, _checkpoint(_cut), None),
        ('checkpoint_not_torch', tool,
         _checkpoint(lambda p: p.write_text('hello')), None),
    ]


def _row_id(row):
    return f'{row[0]}-{row[1]}'


def test_every_row_a_tool_checks_goes_through_a_tool():
    """Every case of the table except the two forward-time ones."""
    assert {row[0] for row in ROWS} == set(CASES) - {'input_channels',
                                                      'input_dims'}


@pytest.mark.parametrize('row', ROWS, ids=_row_id)
def test_bad_input_through_the_tool(row, workspace, tmp_path, monkeypatch):
    case, tool, make, pattern = row
    monkeypatch.chdir(workspace)  # the configs' data roots are relative
    argv = make(tmp_path, tool)
    error, pattern = CASES[case][2], pattern or CASES[case][3]
    with pytest.raises(error) as info:
        run(*argv)
    message = str(info.value.args[0]) if info.value.args else ''
    assert re.search(pattern, message), message
    # the mistake stops the tool before anything is trained or written
    assert not osp.exists(tmp_path / 'w' / 'epoch_1.pth')
    assert not osp.exists(tmp_path / 'out.pth')
