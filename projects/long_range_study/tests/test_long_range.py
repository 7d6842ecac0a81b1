"""The long-range study's pieces: the generated tasks (geometry, labels,
determinism, read by the stock dataset classes), the ERF tool, and the study
runner end to end (--quick)."""
import filecmp
import json
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest
from sb_testing import load_tool

from projects.long_range_study.study import data as lr

#: the project (configs/, tools/)
PROJECT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def _tool(name):
    return load_tool(f'projects/long_range_study/tools/{name}.py')


@pytest.fixture(scope='module')
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp('lr') / 'data' / 'long_range'
    lr.make_long_range(str(root), small=True)
    return root


# -- the tasks ----------------------------------------------------------------
def _cue_colour(img_region) -> int:
    """0 red / 1 blue from the mean BGR of a cue region."""
    b, _, r = img_region.reshape(-1, 3).mean(0)
    return 0 if r > b else 1


def _squares(img):
    """[(x0, x1, colour)] of the red / blue squares of an XOR picture, left
    first, read off its pixels."""
    pix = img.astype(np.int32)
    out = []
    for colour, ref in enumerate(lr.CUE_COLOURS):
        mask = (np.abs(pix - ref).max(-1) <= 40).astype(np.uint8)
        n, _, stats, _ = cv2.connectedComponentsWithStats(mask)
        for k in range(1, n):
            if stats[k, cv2.CC_STAT_AREA] >= 200:  # 16 x 16, not noise
                x0 = stats[k, cv2.CC_STAT_LEFT]
                out.append((x0, x0 + stats[k, cv2.CC_STAT_WIDTH] - 1, colour))
    return sorted(out)


@pytest.mark.parametrize('cue', lr.CUES)
def test_xor_task_label_relates_two_far_squares(data, cue):
    root = data / cue / 'xor_imagenet'
    lines = (root / 'meta' / 'val.txt').read_text().split('\n')[:-1]
    labels = []
    for line in lines:
        rel, label = line.split()
        (lx0, lx1, left), (rx0, _, right) = _squares(
            cv2.imread(str(root / 'val' / rel)))
        # 'swapped' shows the right square in the other colour, same label
        assert int(label) == int((left != right) != (cue == 'swapped')), rel
        assert lx0 >= 0 and lx1 < 32
        if cue != 'near':  # farther apart than the trunk's 99 px field
            assert rx0 - lx1 > 99
        else:
            assert rx0 - lx1 < 40
        labels.append(int(label))
    assert sorted(set(labels)) == [0, 1]


@pytest.mark.parametrize('cue', lr.CUES)
def test_cue_segmentation_labels_follow_the_far_bar(data, cue):
    base = data / cue / 'cue_ade' / 'ADEChallengeData2016'
    names = sorted((base / 'annotations' / 'validation').iterdir())
    colours = set()
    for path in names:
        label = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        img = cv2.imread(str(base / 'images' / 'validation' /
                             (path.stem + '.jpg')))
        bar = img[-lr.BAR:] if cue == 'near' else img[:lr.BAR]
        colour = _cue_colour(bar)
        if cue == 'swapped':
            colour = 1 - colour
        assert set(np.unique(label)) == {0, colour + 1}
        rows = np.nonzero(label.any(1))[0]
        if cue != 'near':
            assert rows.min() >= lr.TARGET_TOP
        else:
            assert rows.max() < label.shape[0] - lr.BAR
        colours.add(colour)
    assert colours == {0, 1}


def test_swapped_pictures_differ_from_far_ones_in_the_cue_only(data):
    """Same seed, same draws: a swapped picture is its far twin with the
    cue's colour flipped (the labels are the far ones)."""
    read = lambda cue, *p: cv2.imread(str(data / cue / '/'.join(p)))  # noqa
    far = read('far', 'xor_imagenet', 'val', 'val_00000003.png')
    swapped = read('swapped', 'xor_imagenet', 'val', 'val_00000003.png')
    x0, x1, colour = _squares(far)[-1]  # the right square
    assert _squares(swapped)[-1] == (x0, x1, 1 - colour)
    assert np.array_equal(far[:, :x0], swapped[:, :x0])  # PNG: exact
    assert (far != swapped).any(-1).sum() == 16 * 16
    far = read('far', 'cue_coco', 'val2017', '000002.jpg').astype(int)
    swapped = read('swapped', 'cue_coco', 'val2017', '000002.jpg')
    assert _cue_colour(far[:lr.BAR]) != _cue_colour(swapped[:lr.BAR])
    # JPEG blocks of 16 rows: below them the pictures agree
    assert np.abs(far[16:] - swapped[16:].astype(int)).max() <= 3


def test_cue_coco_categories_follow_the_bar(data):
    root = data / 'far' / 'cue_coco'
    coco = json.loads(
        (root / 'annotations' / 'instances_val2017.json').read_text())
    assert [c['name'] for c in coco['categories']] == list(lr.CUED_CLASSES)
    by_image = {}
    for ann in coco['annotations']:
        by_image.setdefault(ann['image_id'], set()).add(ann['category_id'])
        assert ann['bbox'][1] >= lr.TARGET_TOP
    for image in coco['images']:
        img = cv2.imread(str(root / 'val2017' / image['file_name']))
        assert by_image[image['id']] == {_cue_colour(img[:lr.BAR]) + 1}


def test_generators_are_deterministic_and_refuse_unknown_cues(tmp_path):
    a = lr.make_xor_imagenet(str(tmp_path / 'a'), 8, 4)
    b = lr.make_xor_imagenet(str(tmp_path / 'b'), 8, 4)
    cmp = filecmp.dircmp(a, b)
    assert not cmp.diff_files and cmp.common_dirs
    for sub in ('train/same', 'val'):
        assert not filecmp.dircmp(osp.join(a, sub),
                                  osp.join(b, sub)).diff_files
    c = lr.make_xor_imagenet(str(tmp_path / 'c'), 8, 4, seed=99)
    assert filecmp.dircmp(osp.join(a, 'val'), osp.join(c, 'val')).diff_files
    with pytest.raises(ValueError, match="cue must be one of"):
        lr.make_cue_coco(str(tmp_path / 'd'), cue='middle')


def test_stock_dataset_classes_read_the_tasks(data):
    from mmdet.datasets import CocoDataset
    from mmpretrain.datasets import ImageNet
    from mmseg.datasets import ADE20KDataset
    cls = ImageNet(data_root=str(data / 'far' / 'xor_imagenet'), split='val',
                   metainfo=dict(classes=lr.XOR_CLASSES))
    assert len(cls) == 20 and {cls.get_cat_ids(i)[0] for i in range(20)} \
        == {0, 1}
    seg = ADE20KDataset(
        data_root=str(data / 'far' / 'cue_ade' / 'ADEChallengeData2016'),
        data_prefix=dict(img_path='images/validation',
                         seg_map_path='annotations/validation'))
    assert len(seg) == 4
    det = CocoDataset(
        data_root=str(data / 'far' / 'cue_coco'),
        ann_file='annotations/instances_val2017.json',
        data_prefix=dict(img='val2017/'),
        metainfo=dict(classes=lr.CUED_CLASSES))
    assert len(det) == 4
    assert {i['bbox_label'] for k in range(4)
            for i in det.get_data_info(k)['instances']} <= {0, 1}


# -- the effective receptive field --------------------------------------------
def test_erf_of_a_local_trunk_stops_at_its_receptive_field(tmp_path):
    """The plain two-stage trunk (receptive field 99 px) has no gradient
    beyond 56 px from the centre; spatial bias and NL have. (With the
    libraries' default zero_init_residual every residual branch, SB's
    included, is silent at initialisation, so it is switched off here.)"""
    erf = _tool('erf')
    out = tmp_path / 'erf.png'
    numbers = tmp_path / 'erf.json'
    study = osp.join(PROJECT, 'configs')
    erf.main([osp.join(study, 'xor_in1k_r.py'), '--also',
              osp.join(study, 'xor_in1k_sb.py'),
              osp.join(study, 'xor_in1k_nl.py'), '--shape', '96', '192',
              '--num-images', '2', '--radius', '56', '--out', str(out),
              '--json', str(numbers), '--cfg-options',
              'model.backbone.zero_init_residual=False'])
    shares = json.loads(numbers.read_text())['far_share']
    assert shares['xor_in1k_r (init)'] == [0.0, 0.0]
    assert shares['xor_in1k_sb (init)'][0] > 0.0
    assert shares['xor_in1k_sb (init)'][1] > 0.0
    assert shares['xor_in1k_nl (init)'][1] > 0.0
    assert out.stat().st_size > 10_000


# -- the study runner ---------------------------------------------------------
@pytest.mark.slow
def test_study_quick_runs_every_model_and_every_task(tmp_path):
    """--quick --plan smoke: every model on the classification task, SB on
    the segmentation and detection tasks (one seed, a few iterations): each
    run's figure, the cue-swapped evaluations the plan asks for, the
    parameter counts and the report."""
    work = tmp_path / 'study'
    proc = subprocess.run(
        [sys.executable, osp.join(PROJECT, 'tools', 'long_range_study.py'),
         '--quick',
         '--plan', 'smoke', '--work-dir', str(work),
         '--doc', str(tmp_path / 'doc')],
        capture_output=True, text=True, timeout=1500)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    results = json.loads((work / 'results.json').read_text())
    study = _tool('long_range_study')
    plan = study.PLANS['smoke']
    expected = {(t, m) for g in plan for t in g['tasks'] for m in g['models']}
    assert {t for t, _ in expected} == set(study.STUDY_TASKS)
    assert {m for _, m in expected} == set(study.MODELS)
    assert {(r['task'], r['model']) for r in results['runs']} == expected
    swapped_runs = {(t, m) for g in plan if g['swapped'] == 'first'
                    for t in g['tasks'] for m in g['models']}
    assert {t for t, _ in swapped_runs} == set(study.STUDY_TASKS)
    for run in results['runs']:
        # the table's figure is the last validation the training printed
        log = (work / 'runs' / run['task'] / run['model'] / 'seed0' /
               'train.log').read_text()
        key = study.TASKS[run['task']]['metric']
        printed = float(log.rsplit(f'{key}: ', 1)[1].split()[0])
        scale = 100.0 if key.startswith('coco/') else 1.0
        assert run['metric'] == pytest.approx(printed * scale, abs=1e-3)
        assert run['time_per_iter'] > 0
        # the swapped-cue evaluation ran test.py on the trained checkpoint
        path = (work / 'runs' / run['task'] / run['model'] / 'seed0' /
                'swapped.json')
        if (run['task'], run['model']) not in swapped_runs:
            assert run['swapped'] is None and not path.exists()
            continue
        swapped = json.loads(path.read_text())
        assert run['swapped'] == swapped['metric']
        assert swapped['checkpoint'].endswith('.pth')
    params = results['params']['xor_in1k']
    r = params['r']['total']
    assert params['sb']['total'] > r and params['nl']['total'] > r
    assert params['sbnl']['total'] == (params['sb']['total'] +
                                       params['nl']['total'] - r)
    for task in ('cue_ade', 'cue_coco'):
        assert results['params'][task]['sb']['total'] > 0
    md = (tmp_path / 'doc' / 'long_range_study_table.md').read_text()
    for name in ('ResNet', 'SB-ResNet', 'ResNet + NL', 'ResNet + GC',
                 'SB + NL'):
        assert f'| {name} |' in md
    for png in ('long_range_study_curves.png', 'long_range_study_cost.png'):
        assert (tmp_path / 'doc' / 'figures' / png).stat().st_size > 10_000


def test_every_plan_names_models_with_configs():
    """Each (task, model) of every named plan has its config and a name in
    the report (a plan with a typo would fail after its first trainings)."""
    from projects.long_range_study.study import tasks
    for name, groups in tasks.PLANS.items():
        for group in groups:
            for task in group['tasks']:
                for model in group['models']:
                    assert osp.isfile(tasks.config_path(task, model)), \
                        (name, task, model)
                    assert model in tasks.MODEL_NAMES, (name, model)
