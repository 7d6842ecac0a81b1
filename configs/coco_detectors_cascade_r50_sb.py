# DetectoRS Cascade R-CNN (switchable atrous convs, recursive FPN) with spatial
# bias in stages 1-3 of the main backbone (the RFP's second pass is stock).
_base_ = 'mmdet::detectors/detectors_cascade-rcnn_r50_1x_coco.py'
custom_imports = dict(imports=['sb_mm.mmdet'], allow_failed_imports=False)

model = dict(backbone=dict(type='SBDetectoRS_ResNet'))
