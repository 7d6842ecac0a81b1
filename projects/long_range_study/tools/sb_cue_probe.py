"""Where does a detector keep (or lose) the far cue? Linear probes on the
cue detection task of the long-range study.

For a trained (or freshly initialised) detector of the project's
``configs/cue_coco_*`` it fits a logistic regression on the training
pictures and reports its accuracy on the validation pictures (chance 50%)
for the cue's colour from:

- ``sb_reduced/<layer>``: each SB layer's pooled reduction (B, r, g, g),
  what its mixing Conv1d reads (one sample per picture);
- ``sb_maps/<layer>``: each SB layer's maps at grid resolution (B, m, g, g)
  (one sample per picture). The bar lies in the grid's top row, so these
  two show that the cue enters SB, not that it reaches the objects;
- ``maps_at_objects/<layer>``: the SB maps resized as the block reads
  them, averaged inside each object's box (one sample per object): has the
  mixing Conv1d carried the cue to where the objects are?
- ``backbone/<i>``: the backbone's i-th output averaged inside each
  object's box (one sample per object);
- ``roi``: the RoI head's RoIAlign features of each object's box, and
  ``roi_fc``: the bbox head's shared fully connected output for them
  (what the classifier reads).

    python projects/long_range_study/tools/sb_cue_probe.py CONFIG \
        [CHECKPOINT] \
        [--data-root data/long_range/far/cue_coco] [--out probe.json]

Without CHECKPOINT the model is probed as initialised (``--seed``).
"""
import argparse
import json
import os.path as osp
import sys
from collections import defaultdict
from typing import Dict, List, Tuple

import numpy as np
import torch
import torch.nn.functional as F

# the repository root on sys.path: the study's configs import
# ``projects.long_range_study.study``, from any working directory
REPO = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
if REPO not in sys.path:
    sys.path.insert(0, REPO)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('config')
    p.add_argument('checkpoint', nargs='?', default=None)
    p.add_argument('--data-root', default=None,
                   help="the COCO folder (default: the config's data root)")
    p.add_argument('--seed', type=int, default=0,
                   help='initialisation seed without a checkpoint')
    p.add_argument('--out', default=None, help='write the accuracies as JSON')
    return p.parse_args(argv)


def load_split(root: str, split: str) -> List[Tuple[str, np.ndarray,
                                                    np.ndarray]]:
    """(image path, boxes (n, 4) x1y1x2y2, labels (n,) 0 red / 1 blue) of
    every picture with at least one object."""
    with open(osp.join(root, 'annotations', f'instances_{split}.json')) as f:
        coco = json.load(f)
    anns = defaultdict(list)
    for ann in coco['annotations']:
        anns[ann['image_id']].append(ann)
    order = sorted(c['id'] for c in coco['categories'])
    out = []
    for image in coco['images']:
        objects = anns.get(image['id'])
        if not objects:
            continue
        boxes = np.array([[a['bbox'][0], a['bbox'][1],
                           a['bbox'][0] + a['bbox'][2],
                           a['bbox'][1] + a['bbox'][3]] for a in objects],
                         np.float32)
        labels = np.array([order.index(a['category_id']) for a in objects])
        out.append((osp.join(root, split, image['file_name']), boxes, labels))
    return out


@torch.no_grad()
def features(model, pictures, batch_size: int = 8
             ) -> Tuple[Dict[str, torch.Tensor], Dict[str, torch.Tensor]]:
    """Feature name -> (samples, dims) and the matching labels."""
    import mmcv
    from torchvision.ops import roi_align

    from sb_mm.visualization import sb_modules

    feats, labels = defaultdict(list), defaultdict(list)
    found = sb_modules(model.backbone)
    for start in range(0, len(pictures), batch_size):
        chunk = pictures[start:start + batch_size]
        imgs = [torch.from_numpy(mmcv.imread(path)).permute(2, 0, 1)
                for path, _, _ in chunk]
        inputs = model.data_preprocessor(
            dict(inputs=imgs, data_samples=None), False)['inputs']
        captured = {}
        handles = [m.register_forward_hook(
            lambda mod, args, out, name=name: captured.__setitem__(
                name, (mod.pool(mod.reduce(args[0])), mod.grid_maps(args[0]),
                       out)))
            for name, m in found]
        try:
            outs = model.backbone(inputs)
        finally:
            for h in handles:
                h.remove()
        rois = torch.cat([
            torch.cat([torch.full((len(b), 1), float(i)),
                       torch.from_numpy(b)], 1)
            for i, (_, b, _) in enumerate(chunk)])
        obj_labels = torch.cat([torch.from_numpy(y) for _, _, y in chunk])
        img_labels = torch.tensor([int(y[0]) for _, _, y in chunk])
        size = inputs.shape[-2:]
        for name, (reduced, maps, resized) in captured.items():
            feats[f'sb_reduced/{name}'].append(reduced.flatten(1))
            labels[f'sb_reduced/{name}'].append(img_labels)
            feats[f'sb_maps/{name}'].append(maps.flatten(1))
            labels[f'sb_maps/{name}'].append(img_labels)
            scale = resized.shape[-1] / size[-1]
            feats[f'maps_at_objects/{name}'].append(roi_align(
                resized, rois, 1, scale, aligned=True).flatten(1))
            labels[f'maps_at_objects/{name}'].append(obj_labels)
        for i, out in enumerate(outs):
            scale = out.shape[-1] / size[-1]
            feats[f'backbone/{i}'].append(
                roi_align(out, rois, 1, scale, aligned=True).flatten(1))
            labels[f'backbone/{i}'].append(obj_labels)
        neck = model.neck(outs) if getattr(model, 'with_neck', False) \
            else outs
        extractor = model.roi_head.bbox_roi_extractor
        roi_feats = extractor(neck[:extractor.num_inputs], rois)
        feats['roi'].append(roi_feats.flatten(1))
        labels['roi'].append(obj_labels)
        head = model.roi_head.bbox_head
        x = roi_feats.flatten(1)
        for fc in head.shared_fcs:
            x = head.relu(fc(x))
        feats['roi_fc'].append(x)
        labels['roi_fc'].append(obj_labels)
    return ({k: torch.cat(v).float() for k, v in feats.items()},
            {k: torch.cat(v) for k, v in labels.items()})


def probe(x_train: torch.Tensor, y_train: torch.Tensor, x_val: torch.Tensor,
          y_val: torch.Tensor, weight_decay: float = 1e-2) -> dict:
    """L2-regularised logistic regression (LBFGS) on standardised
    features: train and validation accuracy in percent."""
    mean, std = x_train.mean(0), x_train.std(0).clamp_min(1e-6)
    xt, xv = (x_train - mean) / std, (x_val - mean) / std
    torch.manual_seed(0)
    w = torch.zeros(xt.shape[1], requires_grad=True)
    b = torch.zeros(1, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], max_iter=200,
                            line_search_fn='strong_wolfe')
    target = y_train.float()

    def closure():
        opt.zero_grad()
        loss = F.binary_cross_entropy_with_logits(xt @ w + b, target) + \
            weight_decay * w.pow(2).sum()
        loss.backward()
        return loss

    opt.step(closure)

    def acc(x, y):
        with torch.no_grad():
            return float(((x @ w + b > 0).long() == y).float().mean())

    return dict(train=100 * acc(xt, y_train), val=100 * acc(xv, y_val),
                n_train=len(y_train), n_val=len(y_val), dims=xt.shape[1])


def run(config: str, checkpoint=None, data_root=None, seed: int = 0) -> dict:
    from mmengine.logging import MMLogger

    from sb_mm.apis.models import load_model
    torch.manual_seed(seed)
    # the initialisation report of every tensor is noise here
    MMLogger.get_current_instance().setLevel('WARNING')
    model, cfg, _ = load_model(config, checkpoint)
    if data_root is None:
        data_root = cfg.val_dataloader.dataset.data_root
    train = load_split(data_root, 'train2017')
    val = load_split(data_root, 'val2017')
    ft, lt = features(model, train)
    fv, lv = features(model, val)
    result = {name: probe(ft[name], lt[name], fv[name], lv[name])
              for name in ft}
    for name in ft:
        if name.startswith('sb_maps/'):
            # what the cue's colour changes in the maps: the mean maps of
            # the red-cue validation pictures minus the blue-cue ones
            x, y = fv[name], lv[name]
            result[name]['cue_difference'] = (
                x[y == 0].mean(0) - x[y == 1].mean(0)).tolist()
    return result


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    result = run(args.config, args.checkpoint, args.data_root, args.seed)
    width = max(len(k) for k in result)
    print(f'{"features":{width}}  val acc %  train acc %  samples (val)  dims')
    for name, r in result.items():
        print(f'{name:{width}}  {r["val"]:9.1f}  {r["train"]:11.1f}  '
              f'{r["n_train"]:7d} ({r["n_val"]:3d})  {r["dims"]}')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(dict(config=args.config, checkpoint=args.checkpoint,
                           probes=result), f, indent=1)


if __name__ == '__main__':
    main()
