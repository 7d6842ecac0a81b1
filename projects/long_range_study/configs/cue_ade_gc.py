# Long-range study: the plain trunk plus a global-context block (GCNet) after
# every block (_base_/context_blocks.py).
_base_ = ['./_base_/cue_ade.py', './_base_/context_blocks.py']

model = dict(
    backbone=dict(type='SBResNetV1c', sb_stages=(False, False),
                  block_plugins=[{{_base_.gc_after_every_block}}]))
