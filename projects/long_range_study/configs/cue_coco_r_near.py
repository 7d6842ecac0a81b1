# Control: the plain ResNet on the same task with the cue next to the
# targets, inside the trunk's receptive field: a local model can solve it.
_base_ = './cue_coco_r.py'

data_root = 'data/long_range/near/cue_coco/'
train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val2017.json')
test_evaluator = val_evaluator
