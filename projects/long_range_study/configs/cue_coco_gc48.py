# Long-range study, the schedule: ResNet + GC on the detection task with
# twice the schedule (48 epochs, the step at 40): cue_coco_sb48.py's
# schedule with cue_coco_gc.py's backbone.
_base_ = ['./cue_coco_sb48.py', './_base_/context_blocks.py']

model = dict(
    backbone=dict(type='SBResNet', sb_stages=(False, False),
                  block_plugins=[{{_base_.gc_after_every_block}}]))
