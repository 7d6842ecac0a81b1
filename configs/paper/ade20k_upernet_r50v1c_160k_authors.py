# UPerNet R50 (V1c) 160k on ADE20K, the plain baseline of the paper's ADE20K
# comparison, initialised from ResNet-50-V1c trained with the paper's recipe
# (configs/paper/in1k_r50v1c_8xb128-lamb-300e_authors.py) instead of
# open-mmlab://resnet50_v1c. The backbone is sb_mm's V1c with SB off: the
# stock ResNetV1c bit for bit, but it reads MMPretrain's deep-stem names
# (stem.{i}.conv / .bn), which MMSegmentation's own ResNetV1c (stem.{3i},
# stem.{3i+1}) would skip with a warning, leaving the stem random.
_base_ = 'mmseg::upernet/upernet_r50_4xb4-160k_ade20k-512x512.py'
custom_imports = dict(imports=['sb_mm.mmseg'], allow_failed_imports=False)

pretrained = 'work_dirs/in1k_r50v1c_8xb128-lamb-300e_authors/epoch_310.pth'
model = dict(
    pretrained=None,
    backbone=dict(
        type='SBResNetV1c', sb_stages=(False, False, False, False),
        init_cfg=dict(type='Pretrained', checkpoint=pretrained,
                      prefix='backbone.')))
