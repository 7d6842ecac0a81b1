"""FLOPs and parameters of any sb_mm (or stock) config of the three libraries.

    python tools/analysis_tools/get_flops.py CONFIG [--shape H [W]]
        [--cfg-options k=v ...]

The stock ``get_flops.py`` of MMDetection and MMPretrain run on sb_mm configs
as they are (``tests/test_model_index.py``); MMSegmentation 1.2.2's fails with
the pinned mmengine 0.10.7 on every config, stock ones included
(``ValueError: "input_shape" and "inputs" cannot be both set``). This tool
counts the same way (mmengine's ``get_model_complexity_info``, one random
image of the given size through the model's data preprocessor and its
``mode='tensor'`` forward; MMPretrain: ``extract_feat`` as its stock tool)
for all three, and prints the stock tool's lines.
"""
import argparse


def parse_args(argv=None):
    from mmengine.config import DictAction
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('config')
    p.add_argument('--shape', type=int, nargs='+', default=[224],
                   help='input height [width] (default 224)')
    p.add_argument('--cfg-options', nargs='+', action=DictAction,
                   help='override config settings, key=value')
    return p.parse_args(argv)


def complexity(config: str, shape, cfg_options=None) -> dict:
    """``dict(flops, params, shape)`` of the config's model."""
    from functools import partial

    import torch
    from mmengine.analysis import get_model_complexity_info
    from mmengine.model import revert_sync_batchnorm

    from sb_mm.apis.models import load_model
    h, w = (shape[0], shape[0]) if len(shape) == 1 else shape[:2]
    model, cfg, lib = load_model(config, None, cfg_options)
    model = revert_sync_batchnorm(model).eval()
    meta = dict(img_shape=(h, w), ori_shape=(h, w), pad_shape=(h, w),
                batch_input_shape=(h, w), scale_factor=(1.0, 1.0))
    if lib == 'mmdet':
        from mmdet.structures import DetDataSample
        samples = [DetDataSample(metainfo=meta)]
    elif lib == 'mmseg':
        from mmseg.structures import SegDataSample
        samples = [SegDataSample(metainfo=meta)]
        if getattr(model, 'auxiliary_head', None) is not None:
            model.auxiliary_head = None  # training only, as the stock tool
    else:
        samples = None
    if lib == 'mmpretrain':  # as its stock tool: FLOPs of the backbone
        # and neck (extract_feat), parameters of the whole classifier
        target = model
        target.forward = model.extract_feat
        inputs = torch.rand(1, 3, h, w)
    else:
        data = model.data_preprocessor(
            dict(inputs=[torch.rand(3, h, w) * 255], data_samples=samples))
        inputs, samples = data['inputs'], data['data_samples']
        target = model
        target.forward = partial(model.forward, data_samples=samples,
                                 mode='tensor')
    with torch.no_grad():
        out = get_model_complexity_info(target, inputs=inputs,
                                        show_table=False, show_arch=False)
    return dict(flops=out['flops'], params=out['params'], shape=(h, w),
                flops_str=out['flops_str'], params_str=out['params_str'])


def main(argv=None):
    args = parse_args(argv)
    result = complexity(args.config, args.shape, args.cfg_options)
    split = '=' * 30
    print(f'{split}\nInput shape: {result["shape"]}\n'
          f'Flops: {result["flops_str"]}\nParams: {result["params_str"]}\n'
          f'{split}')


if __name__ == '__main__':
    main()
