"""Pictures and predictions out: tools/analysis_tools/visualize_sb.py,
SBMapVisualizationHook and demo/image_demo.py (the stock inferencers) on sb_mm
configs, in all three libraries."""
import json
import os
import os.path as osp
import subprocess
import sys

import cv2
import pytest
import torch
from sb_testing import run_tool as run

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
DEMO = osp.join(REPO, 'configs', 'demo')
CONFIGS = {
    'mmdet': 'coco_maskrcnn_sb_demo.py',
    'mmseg': 'ade20k_upernet_sb_demo.py',
    'mmpretrain': 'in1k_sb_demo.py',
}
#: an image of each demo dataset (relative to data/demo)
IMAGES = {
    'mmdet': 'coco/val2017',
    'mmseg': 'ade/ADEChallengeData2016/images/validation',
    'mmpretrain': 'imagenet/val',
}


@pytest.fixture(scope='module')
def vis_workspace(workspace):
    """The demo workspace and, per library, a checkpoint of the demo model
    (its initial weights, saved as mmengine saves them)."""
    root = workspace
    from sb_mm.apis.models import load_model
    ckpts = {}
    for lib, name in CONFIGS.items():
        torch.manual_seed(0)
        model, _, _ = load_model(osp.join(DEMO, name))
        path = root / f'{lib}.pth'
        torch.save(dict(meta=dict(note='initial weights'),
                        state_dict=model.state_dict()), path)
        ckpts[lib] = path
    return root, ckpts


def first_image(root, lib):
    folder = root / 'data' / 'demo' / IMAGES[lib]
    return str(folder / sorted(os.listdir(folder))[0])


def test_grid_maps_resized_are_the_forward():
    from sb_mm.layers import SpatialBias
    sb = SpatialBias(16).train()
    x = torch.randn(2, 16, 23, 37)
    grid = sb.grid_maps(x)
    assert grid.shape == (2, 3, 10, 10)
    resized = torch.nn.functional.interpolate(
        grid, size=(12, 19), mode='bilinear', align_corners=False)
    torch.testing.assert_close(sb(x, (12, 19)), resized)


@pytest.mark.slow
@pytest.mark.parametrize('lib', sorted(CONFIGS))
def test_visualize_sb_draws_every_block(vis_workspace, lib):
    root, ckpts = vis_workspace
    image = first_image(root, lib)
    out_dir = root / f'maps_{lib}'
    log = run(root, osp.join(REPO, 'tools', 'analysis_tools',
                             'visualize_sb.py'),
              osp.join(DEMO, CONFIGS[lib]), str(ckpts[lib]), image,
              '--out', str(out_dir))
    from sb_mm.apis.models import image_inputs, load_model
    from sb_mm.visualization import sb_modules
    model, cfg, _ = load_model(osp.join(DEMO, CONFIGS[lib]),
                               str(ckpts[lib]))
    blocks = sb_modules(model)
    # the demo backbones: ResNet-18, SB in stages 1-3 (2 blocks each)
    assert len(blocks) == 6
    for name, module in blocks:
        assert f'{name}: (3, 10, 10) maps' in log, (name, log[-2000:])
    assert f'{len(blocks)} SB blocks drawn' in log
    png = out_dir / (osp.splitext(osp.basename(image))[0] + '_sb_maps.png')
    picture = cv2.imread(str(png))
    assert picture is not None and picture.shape[0] > 6 * 80
    # the printed ranges are those of the maps of that image
    inputs = image_inputs(model, cfg, lib, image)
    captured = {}

    def keep(name):
        def hook(module, args, output):  # returns None: output unchanged
            captured.setdefault(name, module.grid_maps(args[0]))
        return hook

    hooks = [m.register_forward_hook(keep(n)) for n, m in blocks]
    with torch.no_grad():
        model.backbone(inputs)
    for h in hooks:
        h.remove()
    name = blocks[0][0]
    lo = captured[name].min().item()
    assert f'{name}: (3, 10, 10) maps, range [{lo:.3g}, ' in log


@pytest.mark.slow
def test_visualize_sb_says_when_the_model_has_no_spatial_bias(
        vis_workspace):
    root, ckpts = vis_workspace
    proc = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'analysis_tools',
                                  'visualize_sb.py'),
         osp.join(DEMO, CONFIGS['mmpretrain']), 'none',
         first_image(root, 'mmpretrain'), '--out', str(root / 'none'),
         '--cfg-options',
         'model.backbone.sb_stages=[False,False,False,False]'],
        cwd=root, capture_output=True, text=True, timeout=600)
    assert proc.returncode != 0
    assert 'has no spatial-bias layer' in proc.stderr


@pytest.mark.slow
def test_hook_draws_maps_into_the_visualizer_backends(vis_workspace):
    root, _ = vis_workspace
    work = root / 'work_dirs' / 'hook'
    config = root / 'with_hook.py'
    config.write_text(  # the one config line of the README, on the demo
        f"_base_ = [{osp.join(DEMO, CONFIGS['mmpretrain'])!r}]\n"
        "custom_hooks = [dict(type='SBMapVisualizationHook', interval=2, "
        "num_images=2)]\n")
    run(root, osp.join(REPO, 'tools', 'train.py'), str(config),
        '--work-dir', str(work), '--cfg-options', 'train_cfg.max_epochs=2',
        'train_cfg.val_interval=1')
    drawn = sorted(f for _, _, fs in os.walk(work) for f in fs
                   if f.startswith('sb_maps_'))
    # validations after epochs 1 and 2; interval 2: only epoch 2, 2 images
    assert drawn == ['sb_maps_0_2.png', 'sb_maps_1_2.png'], drawn


@pytest.mark.slow
@pytest.mark.parametrize('lib', sorted(CONFIGS))
def test_image_demo_runs_the_stock_inferencer(vis_workspace, lib):
    root, ckpts = vis_workspace
    folder = root / 'data' / 'demo' / IMAGES[lib]
    out_dir = root / f'demo_{lib}'
    log = run(root, osp.join(REPO, 'demo', 'image_demo.py'), str(folder),
              osp.join(DEMO, CONFIGS[lib]), '--weights', str(ckpts[lib]),
              '--out-dir', str(out_dir), '--pred-score-thr', '0')
    images = sorted(os.listdir(folder))
    drawn = sorted(f for _, _, fs in os.walk(out_dir / 'vis') for f in fs)
    assert len(drawn) == len(images), (drawn, log[-2000:])
    preds = [osp.join(d, f) for d, _, fs in os.walk(out_dir / 'preds')
             for f in fs]
    assert preds, log[-2000:]
    if lib == 'mmdet':
        pred = json.load(open(preds[0]))
        assert {'labels', 'scores', 'bboxes'} <= set(pred)
    elif lib == 'mmpretrain':
        pred = json.load(open(preds[0]))
        assert len(pred) == len(images) and 'pred_label' in pred[0]
    # the demo predicted with the checkpoint's weights: the stock
    # inferencer given the same checkpoint here predicts the same (with
    # other weights, e.g. a random initialisation, it would not)
    first = images[0]
    if lib != 'mmpretrain':
        expected = _stock_prediction(lib, ckpts[lib], str(folder / first))
    if lib == 'mmdet':
        stem = osp.splitext(first)[0]
        pred = json.load(open(out_dir / 'preds' / f'{stem}.json'))
        assert pred['scores'] and len(pred['scores']) == \
            len(expected['scores'])
        assert max(abs(a - b) for a, b in zip(
            pred['scores'], expected['scores'])) < 1e-4
    elif lib == 'mmseg':  # maps named by the inferencer's input order
        maps = [cv2.imread(p, cv2.IMREAD_UNCHANGED) for p in preds]
        assert any(m.shape == expected.shape and (m == expected).all()
                   for m in maps)
    else:  # in the inferencer's order of the folder
        expected = _stock_prediction(lib, ckpts[lib], str(folder))
        pred = json.load(open(preds[0]))
        assert [p['pred_label'] for p in pred] == \
            [e['pred_label'] for e in expected]
        assert max(abs(p['pred_score'] - e['pred_score'])
                   for p, e in zip(pred, expected)) < 1e-5


def _stock_prediction(lib, checkpoint, image):
    """The library's own inferencer on ``image`` with ``checkpoint``."""
    from mmengine.registry import DefaultScope

    from sb_mm.apis.cli import load_config
    cfg = load_config(osp.join(DEMO, CONFIGS[lib]))
    with DefaultScope.overwrite_default_scope(lib):
        return _predict(lib, cfg, checkpoint, image)


def _predict(lib, cfg, checkpoint, image):
    if lib == 'mmdet':
        from mmdet.apis import DetInferencer
        inferencer = DetInferencer(model=cfg, weights=str(checkpoint),
                                   device='cpu', show_progress=False)
        return inferencer(image, pred_score_thr=0)['predictions'][0]
    if lib == 'mmseg':
        from mmseg.apis import MMSegInferencer
        inferencer = MMSegInferencer(model=cfg, weights=str(checkpoint),
                                     device='cpu')
        return inferencer(image)['predictions']
    from mmpretrain.apis import ImageClassificationInferencer
    inferencer = ImageClassificationInferencer(
        model=cfg, pretrained=str(checkpoint), device='cpu')
    return inferencer(image)


def test_hook_draws_each_images_own_maps():
    """SBMapVisualizationHook, called as the validation loop calls it on a
    batch of two different images: the picture named for image i shows the
    maps of image i (drawn here from that image alone), at the step the
    loop is at, and only the first ``num_images`` images are drawn."""
    import numpy as np

    from sb_mm.apis.models import load_model
    from sb_mm.engine.hooks import SBMapVisualizationHook
    from sb_mm.visualization import (
        collect_sb_maps,
        denormalised_image,
        draw_sb_maps,
    )
    model, _, _ = load_model(osp.join(DEMO, CONFIGS['mmpretrain']))
    rng = np.random.default_rng(0)
    images = [torch.from_numpy(rng.integers(0, 256, (3, 56, 56),
                                            dtype=np.uint8))
              for _ in range(3)]
    drawn = {}

    class Visualizer:
        def add_image(self, name, image, step):
            drawn[name] = (image, step)

    class Runner:  # what the hook reads of mmengine's Runner
        _train_loop = None  # testing only: the step is the iteration
        iter = 7
        visualizer = Visualizer()

    Runner.model = model
    hook = SBMapVisualizationHook(num_images=2)
    hook.after_val_iter(Runner, 0, dict(inputs=images, data_samples=None))
    assert sorted(drawn) == ['sb_maps_0', 'sb_maps_1']
    expected = []
    for i in range(2):
        inputs = model.data_preprocessor(
            dict(inputs=[images[i]], data_samples=None), False)['inputs']
        expected.append(draw_sb_maps(
            denormalised_image(model, inputs), collect_sb_maps(model, inputs),
            title=f'spatial-bias maps, validation image {i}, step 7'))
    for i in range(2):
        picture, step = drawn[f'sb_maps_{i}']
        assert step == 7 and picture.shape == expected[i].shape
        # the maps of a batch of two and of one image alone differ by float
        # rounding (1e-5), which moves a few pixels of the colour maps
        own = np.abs(picture.astype(float) - expected[i]).mean()
        other = np.abs(picture.astype(float) - expected[1 - i]).mean()
        assert own < 0.05 and other > 1, (i, own, other)
