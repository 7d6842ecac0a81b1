"""ONNX export (dynamic height and width) and torch.compile of SB backbones."""
import io

import numpy as np
import pytest
import torch

from conftest import build_backbone


def _sb_r18():
    model = build_backbone('mmdet', type='SBResNet', depth=18,
                           out_indices=(0, 1, 2, 3))
    model.eval()  # mmdet's ResNet.train() returns None: no chaining
    return model


@pytest.mark.slow
def test_onnx_export_dynamic_hw_matches_pytorch():
    ort = pytest.importorskip('onnxruntime')
    model = _sb_r18()
    f = io.BytesIO()
    torch.onnx.export(
        model, (torch.randn(1, 3, 96, 128), ), f, opset_version=17,
        input_names=['img'], output_names=[f'c{i}' for i in range(2, 6)],
        dynamic_axes={'img': {0: 'batch', 2: 'height', 3: 'width'}},
        dynamo=False)
    sess = ort.InferenceSession(f.getvalue(),
                                providers=['CPUExecutionProvider'])
    for shape in [(1, 3, 96, 128), (2, 3, 130, 70)]:
        x = torch.randn(*shape)
        with torch.no_grad():
            ref = model(x)
        outs = sess.run(None, {'img': x.numpy()})
        for a, b in zip(outs, ref):
            np.testing.assert_allclose(a, b.numpy(), rtol=1e-3, atol=1e-4)


def test_torch_compile_matches_eager():
    model = _sb_r18()
    x = torch.randn(2, 3, 64, 96)
    with torch.no_grad():
        ref = model(x)
        compiled = torch.compile(model, fullgraph=True, backend='eager')
        outs = compiled(x)
    for a, b in zip(outs, ref):
        torch.testing.assert_close(a, b)
