"""The long-range study's tasks, models and controls: which config trains
what (``projects/long_range_study/configs/<task>_<model>.py``) and where its
run goes."""
import os.path as osp

#: the project (configs/, tools/, docs/)
PROJECT = osp.dirname(osp.dirname(osp.abspath(__file__)))
#: the repository (the library's tools/train.py and tools/test.py, data/)
REPO = osp.dirname(osp.dirname(PROJECT))

#: task -> (library, data task name, metric key, extra metric keys, unit of
#: the schedule, what a purely local path can reach on the metric)
TASKS = {
    'xor_in1k': dict(lib='mmpretrain', data=True, metric='accuracy/top1',
                     extra=(), by='epoch', title='XOR (mmpretrain, top-1 %)'),
    'cue_ade': dict(lib='mmseg', data=True, metric='mIoU',
                    extra=('aAcc', ), by='iter',
                    title='cue segmentation (mmseg, mIoU %)'),
    'cue_coco': dict(lib='mmdet', data=True, metric='coco/bbox_mAP',
                     extra=('coco/bbox_mAP_50', ), by='epoch',
                     title='cue detection (mmdet, bbox mAP)'),
    # not a long-range task: `make demo`'s Mask R-CNN with and without SB
    # (--tasks demo_coco --models r sb; not in the default study)
    'demo_coco': dict(lib='mmdet', data=False, metric='coco/bbox_mAP',
                      extra=('coco/segm_mAP', ), by='epoch',
                      title='demo Mask R-CNN (mmdet, bbox mAP)'),
}
#: the long-range tasks (the default)
STUDY_TASKS = ('xor_in1k', 'cue_ade', 'cue_coco')
#: the study's models (the default)
MODELS = ('r', 'sb', 'nl', 'gc', 'sbnl')
#: SB variants beyond the paper (issue 19; opt-in with --models)
VARIANTS = ('sbout', 'sbnozir', 'sbshared', 'sbr8', 'sbg5', 'sb48', 'gc48')
#: trunks beyond the ResNets (issue 32; opt-in with --models or --plan
#: families): ConvNeXt and MobileNetV2 cut to the study's receptive field,
#: without and with SB (classification and segmentation tasks)
FAMILY_MODELS = ('cnx', 'sbcnx', 'mnv2', 'sbmnv2')
MODEL_NAMES = dict(r='ResNet', sb='SB-ResNet', nl='ResNet + NL',
                   gc='ResNet + GC', sbnl='SB + NL', r_near='ResNet, cue near',
                   r_uper='ResNet, UPerNet head',
                   sbout='SB, maps also added to the block output',
                   sbnozir='SB, branches not zero-initialised',
                   sbshared='SB, shared mixing row',
                   sbr8='SB, 8 reduced channels (6 maps)',
                   sbg5='SB, 5x5 grid',
                   sb48='SB, 48 epochs (twice the schedule)',
                   gc48='ResNet + GC, 48 epochs',
                   cnx='ConvNeXt (cut)', sbcnx='SB-ConvNeXt (cut)',
                   mnv2='MobileNetV2 (cut)', sbmnv2='SB-MobileNetV2 (cut)')
#: the controls: (task, model) -> why
CONTROLS = {
    ('xor_in1k', 'r_near'): 'cue next to the target: learnable locally',
    ('cue_ade', 'r_near'): 'bar next to the shapes: learnable locally',
    ('cue_ade', 'r_uper'): "UPerNet's pyramid pooling: a global path in "
                           'the head',
    ('cue_coco', 'r_near'): 'bar next to the shapes: learnable locally',
}
#: --quick: schedule overrides that run one short training with validation
QUICK = {
    'xor_in1k': ['train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
                 'default_hooks.checkpoint.interval=1'],
    'cue_ade': ['train_cfg.max_iters=4', 'train_cfg.val_interval=2',
                'default_hooks.checkpoint.interval=4',
                'default_hooks.logger.interval=1'],
    'cue_coco': ['train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
                 'default_hooks.checkpoint.interval=1',
                 'default_hooks.logger.interval=1'],
    'demo_coco': ['train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
                  'default_hooks.logger.interval=1'],
}

#: task -> (batch, H, W) of a training batch, for the cost measurement
INPUTS = dict(xor_in1k=(32, 64, 160), cue_ade=(8, 176, 128),
              cue_coco=(4, 176, 128), demo_coco=(4, 192, 256))


def config_path(task: str, model: str) -> str:
    return osp.join(PROJECT, 'configs', f'{task}_{model}.py')


def run_dir(work_dir: str, task: str, model: str, seed: int) -> str:
    return osp.join(work_dir, 'runs', task, model, f'seed{seed}')


#: named plans: several (tasks, models, seeds) groups run as one study
#: (``long_range_study.py --plan NAME``), each reproducing a documented table
PLANS = dict(
    # the slow suite's end-to-end check (with --quick): every model on the
    # classification task, SB through the mmseg and mmdet tasks (each
    # task's metric, cue-swapped evaluation and report once)
    smoke=[
        dict(tasks=('xor_in1k', ), models=('r', 'sb'), seeds=(0, ),
             swapped='first'),
        dict(tasks=('xor_in1k', ), models=('nl', 'gc', 'sbnl'), seeds=(0, ),
             swapped='none'),
        dict(tasks=('cue_ade', 'cue_coco'), models=('sb', ), seeds=(0, ),
             swapped='first'),
    ],
    # issue 19 (docs/en/results/sb_detection_study.md): SB variants on the
    # detection task with GC beside them, 5 seeds each; then the same 5
    # seeds of each variant on the classification and segmentation tasks
    # (which SB already solves: a variant must not lose them). The
    # schedule rows (sb48, gc48) are detection-only: both other tasks are
    # solved by SB at the stock schedule.
    sb_variants=[
        dict(tasks=('cue_coco', ), models=('sbshared', ),
             seeds=(0, 1, 2, 3, 4), swapped='all'),
        dict(tasks=('cue_coco', ),
             models=('sb', 'sbout', 'gc', 'sb48', 'gc48', 'sbnozir'),
             seeds=(0, 1, 2, 3, 4), swapped='all'),
        dict(tasks=('xor_in1k', 'cue_ade'),
             models=('sb', 'sbout', 'sbnozir', 'sbshared'),
             seeds=(0, 1, 2, 3, 4), swapped='first'),
        dict(tasks=('cue_coco', ), models=('sbr8', 'sbg5'),
             seeds=(0, 1, 2, 3, 4), swapped='all'),
        dict(tasks=('xor_in1k', 'cue_ade'), models=('sbr8', 'sbg5'),
             seeds=(0, 1, 2, 3, 4), swapped='first'),
    ],
    # issue 32: ConvNeXt and MobileNetV2 trunks cut to the study's
    # receptive field, without and with SB, 3 seeds, every seed's model
    # also scored with the cue swapped
    families=[
        dict(tasks=('xor_in1k', 'cue_ade'), models=FAMILY_MODELS,
             seeds=(0, 1, 2), swapped='all'),
    ],
)


__all__ = ['PLANS', 'TASKS', 'STUDY_TASKS', 'MODELS', 'VARIANTS',
           'FAMILY_MODELS',
           'MODEL_NAMES', 'CONTROLS', 'QUICK', 'INPUTS', 'PROJECT', 'REPO',
           'config_path', 'run_dir']
