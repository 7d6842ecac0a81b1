"""The paper's chain, pretraining -> COCO / ADE20K (and CIFAR-100), as one
plan (docs/en/reproduce.md):

    python tools/analysis_tools/paper_chain.py              # the plan
    python tools/analysis_tools/paper_chain.py --dry-run    # and run it here

Without flags it prints the commands a GPU user runs (one node of 8 GPUs, or
slurm), what each step writes and which step reads it. ``--dry-run`` runs
every step for 2 iterations on the generated demo data with the real configs
of configs/paper/, then checks that each pretraining checkpoint loads into
its downstream backbone with no missing or unexpected key. What the dry run
changes in a config, and only that: the data roots (and the demo's class
names), the input size, the batch (2) and the length (2 iterations, then a
validation on 2 pictures), data workers (0), and AMP off (mmengine's
AmpOptimWrapper needs CUDA); each is printed.
"""
import argparse
import copy
import os
import os.path as osp
import subprocess
import sys
import time

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PAPER = 'configs/paper'

#: (config name, library, the pretraining step it starts from, GPUs)
STEPS = [
    ('in1k_r50_sb_8xb128-lamb-300e_authors', 'in1k', None, 8),
    ('in1k_r50_8xb128-lamb-300e_authors', 'in1k', None, 8),
    ('in1k_r50v1c_sb_8xb128-lamb-300e_authors', 'in1k', None, 8),
    ('in1k_r50v1c_8xb128-lamb-300e_authors', 'in1k', None, 8),
    ('coco_maskrcnn_r50_sb_1x_authors', 'coco',
     'in1k_r50_sb_8xb128-lamb-300e_authors', 8),
    ('coco_maskrcnn_r50_1x_authors', 'coco',
     'in1k_r50_8xb128-lamb-300e_authors', 8),
    ('ade20k_upernet_r50v1c_sb_160k_authors', 'ade',
     'in1k_r50v1c_sb_8xb128-lamb-300e_authors', 4),
    ('ade20k_upernet_r50v1c_160k_authors', 'ade',
     'in1k_r50v1c_8xb128-lamb-300e_authors', 4),
    # the CIFAR-100 table's best ResNet-38 row and its plain row
    ('cifar100_r38_sb-s12_1xb128_paper', 'cifar', None, 1),
    ('cifar100_r38_1xb128_paper', 'cifar', None, 1),
]
DEMO_CLASSES = ('circle', 'square', 'triangle')


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--dry-run', action='store_true',
                   help='run every step for 2 iterations on generated data')
    p.add_argument('--work-dir', default='work_dirs/paper_chain_dry_run',
                   help='where the dry run writes data, configs and runs')
    p.add_argument('--steps', nargs='+', metavar='CONFIG',
                   help='only these steps (config names; with their '
                   'pretraining steps)')
    return p.parse_args(argv)


def plan_lines(steps=STEPS):
    lines = ['# one node of 8 GPUs (each step writes work_dirs/<config>/)']
    for name, _, parent, gpus in steps:
        reads = (f'   # reads work_dirs/{parent}/epoch_310.pth'
                 if parent else '')
        lines.append(f'bash tools/dist_train.sh {PAPER}/{name}.py {gpus}'
                     f'{reads}')
    lines.append('# slurm (GPUS=8 GPUS_PER_NODE=8 as the scripts default)')
    for name, _, _, gpus in steps:
        lines.append(f'GPUS={gpus} bash tools/slurm_train.sh PARTITION '
                     f'{name[:20]} {PAPER}/{name}.py')
    lines.append('# evaluate: python tools/test.py CONFIG '
                 'work_dirs/<config>/<last checkpoint>')
    return lines


# -- the dry run -------------------------------------------------------------
def _set_scale(pipeline, scale):
    for step in pipeline:
        if step.get('type') == 'RandomChoice':  # a list of pipelines
            for choice in step['transforms']:
                _set_scale(choice, scale)
        elif step.get('type') in ('RandomResizedCrop', 'CenterCrop'):
            key = 'scale' if 'scale' in step else 'crop_size'
            step[key] = scale[0]
        elif step.get('type') in ('ResizeEdge', ):
            step['scale'] = scale[0]
        elif step.get('type') in ('Resize', 'RandomResize'):
            step['scale'] = scale
        elif step.get('type') == 'RandomCrop' and 'crop_size' in step:
            step['crop_size'] = scale


def dry_run_config(name, kind, data, parent_ckpt):
    """The config of step ``name`` with the dry run's changes, and the list
    of what changed."""
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(REPO, PAPER, f'{name}.py'))
    changes = []
    roots = dict(in1k=osp.join(data, 'imagenet'),
                 coco=osp.join(data, 'coco') + '/',
                 ade=osp.join(data, 'ade', 'ADEChallengeData2016'),
                 cifar=osp.join(data, 'cifar100'))
    scale = dict(in1k=(64, 64), coco=(192, 192), ade=(128, 128),
                 cifar=(32, 32))[kind]
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if loader not in cfg:
            continue
        dl = cfg[loader]
        ds = dl.dataset
        ds.data_root = roots[kind]
        if kind == 'coco':
            ds.metainfo = dict(classes=DEMO_CLASSES)
        if kind == 'cifar':
            ds.type = 'GeneratedCIFAR100'  # no md5 check of the archive
        _set_scale(ds.pipeline, scale)
        dl.num_workers, dl.persistent_workers = 0, False
        if loader == 'train_dataloader':
            dl.batch_size, ds.indices = 2, 4  # 2 iterations of 2 pictures
        else:  # the loops validate after their last step: 2 pictures
            dl.batch_size, ds.indices = 1, 2
    for evaluator in ('val_evaluator', 'test_evaluator'):
        ann = cfg.get(evaluator, {}).get('ann_file')
        if ann:  # COCO's metric reads the annotations itself
            cfg[evaluator].ann_file = osp.join(
                roots[kind], 'annotations', osp.basename(ann))
    changes.append(f'data root {roots[kind]}, input {scale}, 4 training '
                   'pictures in batches of 2, 2 validation pictures, '
                   'workers 0')
    if kind == 'ade':
        cfg.model.data_preprocessor.size = scale
        cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=2,
                             val_interval=2)
        cfg.default_hooks.checkpoint = dict(type='CheckpointHook',
                                            by_epoch=False, interval=2)
        changes.append('2 iterations (IterBasedTrainLoop), checkpoint at 2')
    else:
        cfg.train_cfg.max_epochs = 1
        cfg.train_cfg.val_interval = 1
        cfg.default_hooks.checkpoint = dict(type='CheckpointHook',
                                            interval=1)
        changes.append('1 epoch of 2 iterations, checkpoint at its end')
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=1)
    if cfg.optim_wrapper.get('type') == 'AmpOptimWrapper':
        cfg.optim_wrapper.type = 'OptimWrapper'
        cfg.optim_wrapper.pop('loss_scale', None)
        changes.append('AMP off (AmpOptimWrapper needs CUDA)')
    if parent_ckpt is not None:
        cfg.model.backbone.init_cfg.checkpoint = parent_ckpt
        changes.append(f'backbone from {parent_ckpt}')
    return cfg, changes


def check_backbone_loads(cfg, parent_ckpt):
    """The pretraining checkpoint's backbone in the downstream backbone:
    every tensor fits (strict) and the config's init_cfg loads each."""
    import torch

    from sb_mm.apis.models import build_model
    model, _ = build_model(copy.deepcopy(cfg))
    model.init_weights()
    state = torch.load(parent_ckpt, map_location='cpu', weights_only=True)
    expected = {k[len('backbone.'):]: v
                for k, v in state['state_dict'].items()
                if k.startswith('backbone.')}
    reference = copy.deepcopy(model.backbone)
    reference.load_state_dict(expected, strict=True)
    got = model.backbone.state_dict()
    wrong = [k for k, v in reference.state_dict().items()
             if not torch.equal(got[k], v)]
    if wrong or len(got) != len(expected):
        raise RuntimeError(f'{len(wrong)} backbone tensors not loaded from '
                           f'{parent_ckpt}: {wrong[:5]}')
    return len(expected)


def last_checkpoint(work):
    with open(osp.join(work, 'last_checkpoint')) as f:
        return f.read().strip()


def dry_run(args, steps):
    from sb_mm.datasets import make_all
    root = osp.abspath(args.work_dir)
    data = osp.join(root, 'data', 'demo')
    if not osp.isdir(osp.join(data, 'cifar100')):
        make_all(data, small=True)
    os.makedirs(osp.join(root, 'configs'), exist_ok=True)
    ckpts = {}
    for name, kind, parent, _ in steps:
        start = time.time()
        cfg, changes = dry_run_config(name, kind, data, ckpts.get(parent))
        path = osp.join(root, 'configs', f'{name}.py')
        cfg.dump(path)
        work = osp.join(root, 'runs', name)
        env = dict(os.environ, PYTHONUNBUFFERED='1')
        proc = subprocess.run(
            [sys.executable, osp.join(REPO, 'tools', 'train.py'), path,
             '--work-dir', work], cwd=root, env=env, capture_output=True,
            text=True)
        log = proc.stdout + proc.stderr
        if proc.returncode != 0:
            print(log[-4000:])
            raise SystemExit(f'dry run: {name} failed')
        if not any(f'({unit}) [{where}2/2]' in log for unit, where in (
                ('train', '1]['), ('train', ''))):
            raise SystemExit(f'dry run: {name} did not log iteration 2 of 2')
        ckpts[name] = last_checkpoint(work)
        loaded = ''
        if parent is not None:
            for bad in ('missing keys', 'unexpected key'):
                if bad in log:
                    raise SystemExit(f'dry run: {name}: "{bad}" in its log')
            loaded = (f'; {check_backbone_loads(cfg, ckpts[parent])} '
                      f'backbone tensors from {parent}, none missing or '
                      'unexpected')
        print(f'[{time.time() - start:5.0f} s] {name}: 2 iterations, wrote '
              f'{osp.relpath(ckpts[name], root)}{loaded}', flush=True)
        for change in changes:
            print(f'          changed: {change}')


def main(argv=None):
    args = parse_args(argv)
    steps = STEPS
    if args.steps:
        wanted = set(args.steps)
        wanted |= {parent for name, _, parent, _ in STEPS
                   if name in wanted and parent}
        unknown = set(args.steps) - {s[0] for s in STEPS}
        if unknown:
            raise SystemExit(f'unknown steps: {sorted(unknown)}; the steps: '
                             + ', '.join(s[0] for s in STEPS))
        steps = [s for s in STEPS if s[0] in wanted]
    if args.dry_run:
        dry_run(args, steps)
        print('dry run passed: every step trained 2 iterations; every '
              'downstream backbone loaded its pretraining checkpoint')
    print('\n'.join(plan_lines(steps)))


if __name__ == '__main__':
    main()
