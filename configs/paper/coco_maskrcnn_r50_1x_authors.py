# Mask R-CNN R50-FPN 1x on COCO, the plain baseline of the paper's COCO
# comparison, initialised from the plain ResNet-50 trained with the paper's
# recipe (configs/paper/in1k_r50_8xb128-lamb-300e_authors.py) instead of
# torchvision's weights. Only the backbone's checkpoint differs from the stock
# config; point `pretrained` at another file with
# --cfg-options model.backbone.init_cfg.checkpoint=PATH.
_base_ = 'mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py'
custom_imports = dict(imports=['sb_mm.mmdet'], allow_failed_imports=False)

pretrained = 'work_dirs/in1k_r50_8xb128-lamb-300e_authors/epoch_310.pth'
model = dict(backbone=dict(init_cfg=dict(
    type='Pretrained', checkpoint=pretrained, prefix='backbone.')))
