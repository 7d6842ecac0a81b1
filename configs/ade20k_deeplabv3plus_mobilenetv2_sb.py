# DeepLabV3+ MobileNetV2 (dilated, output stride 8) 160k on ADE20K with
# spatial bias in layers 2-7 (features at 1/4 - 1/8 of the input). Only the
# backbone type differs from the stock config.
_base_ = 'mmseg::mobilenet_v2/mobilenet-v2-d8_deeplabv3plus_4xb4-160k_ade20k-512x512.py'  # noqa: E501
custom_imports = dict(imports=['sb_mm.mmseg'], allow_failed_imports=False)

model = dict(backbone=dict(type='SBMobileNetV2'))
