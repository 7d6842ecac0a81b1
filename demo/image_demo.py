"""Predict on images with the stock inferencer of the config's library.

    python demo/image_demo.py INPUTS CONFIG --weights CHECKPOINT \
        [--out-dir outputs] [--device cpu] [--pred-score-thr 0.3] [--show]

INPUTS: an image file or a folder of images. CONFIG: any sb_mm (or stock)
config of MMDetection, MMSegmentation or MMPretrain; its ``default_scope``
picks ``DetInferencer``, ``MMSegInferencer`` or
``ImageClassificationInferencer``. The config's ``custom_imports``
(``sb_mm.mmdet`` / ``sb_mm.mmseg`` / ``sb_mm.mmpretrain``) register the SB
backbones when the inferencer reads the config, which is the stock way.
Drawn predictions go to ``OUT_DIR/vis/``, predictions as JSON to
``OUT_DIR/preds/`` (the inferencers' own layout).
"""
import argparse
import os
import os.path as osp


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('inputs', help='image file or folder')
    p.add_argument('config', help='config file')
    p.add_argument('--weights', required=True, help='checkpoint file')
    p.add_argument('--out-dir', default='outputs', help='output folder')
    p.add_argument('--device', default='cpu', help='e.g. cpu, cuda:0')
    p.add_argument('--pred-score-thr', type=float, default=0.3,
                   help='detection: smallest score drawn')
    p.add_argument('--show', action='store_true',
                   help='also show the pictures in a window')
    return p.parse_args(argv)


def build_inferencer(config: str, weights: str, device: str = 'cpu'):
    """The stock inferencer of ``config``'s library; returns
    ``(inferencer, library)``."""
    import sb_mm  # noqa: F401  (sb_mm.compat: weights-only checkpoints)
    from sb_mm.apis.checks import check_checkpoint_file
    from sb_mm.apis.cli import load_config
    cfg = load_config(config)  # also imports custom_imports
    check_checkpoint_file(weights)
    lib = cfg.default_scope
    if lib == 'mmdet':
        from mmdet.apis import DetInferencer
        return DetInferencer(model=cfg, weights=weights, device=device,
                             show_progress=False), lib
    if lib == 'mmseg':
        from mmseg.apis import MMSegInferencer
        return MMSegInferencer(model=cfg, weights=weights,
                               device=device), lib
    from mmpretrain.apis import ImageClassificationInferencer
    return ImageClassificationInferencer(model=cfg, pretrained=weights,
                                         device=device), lib


def main(argv=None):
    args = parse_args(argv)
    if not osp.exists(args.inputs):
        raise FileNotFoundError(f'inputs not found: {args.inputs}')
    inferencer, lib = build_inferencer(args.config, args.weights,
                                       args.device)
    kwargs = dict(show=args.show)
    if lib == 'mmdet':
        kwargs.update(out_dir=args.out_dir, no_save_pred=False,
                      pred_score_thr=args.pred_score_thr)
    elif lib == 'mmseg':  # its default prediction folder is 'pred'
        kwargs.update(out_dir=args.out_dir, pred_out_dir='preds')
    else:  # its inferencer creates only the last folder level
        os.makedirs(args.out_dir, exist_ok=True)
        kwargs.update(show_dir=osp.join(args.out_dir, 'vis'))
    results = inferencer(args.inputs, **kwargs)
    # mmdet / mmseg return a dict, mmpretrain a list of predictions
    preds = results['predictions'] if isinstance(results, dict) else results
    if lib == 'mmpretrain':  # its inferencer returns a list, writes no JSON
        import json
        os.makedirs(osp.join(args.out_dir, 'preds'), exist_ok=True)
        with open(osp.join(args.out_dir, 'preds', 'predictions.json'),
                  'w') as f:
            json.dump([{k: v for k, v in p.items()
                        if k in ('pred_label', 'pred_score', 'pred_class')}
                       for p in preds], f, indent=1)
    print(f'{len(preds) if isinstance(preds, list) else 1} image(s): '
          f'results in {args.out_dir}')


if __name__ == '__main__':
    main()
