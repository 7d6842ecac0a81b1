# SB Mask R-CNN R50-FPN 1x on COCO from SB-ResNet-50 trained with the
# paper's recipe (configs/paper/in1k_r50_sb_8xb128-lamb-300e_authors.py):
# the plain chain (coco_maskrcnn_r50_1x_authors.py) with the SB backbone.
_base_ = './coco_maskrcnn_r50_1x_authors.py'

pretrained = 'work_dirs/in1k_r50_sb_8xb128-lamb-300e_authors/epoch_310.pth'
model = dict(backbone=dict(type='SBResNet', init_cfg=dict(
    checkpoint=pretrained)))
