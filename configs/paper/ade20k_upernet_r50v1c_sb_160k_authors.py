# SB UPerNet R50 (V1c) 160k on ADE20K from SB-ResNet-50-V1c trained with the
# paper's recipe (configs/paper/in1k_r50v1c_sb_8xb128-lamb-300e_authors.py):
# the plain chain (ade20k_upernet_r50v1c_160k_authors.py) with SB in stages
# 1-3.
_base_ = './ade20k_upernet_r50v1c_160k_authors.py'

pretrained = 'work_dirs/in1k_r50v1c_sb_8xb128-lamb-300e_authors/epoch_310.pth'
model = dict(backbone=dict(sb_stages=(True, True, True, False),
                           init_cfg=dict(checkpoint=pretrained)))
