"""ONNX export (dynamic height and width) and torch.compile of SB backbones."""
import io

import numpy as np
import pytest
import torch
from sb_testing import build_backbone


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


def _compile_matches_eager(backend):
    model = _sb_r18()
    sbs = [m for m in model.modules() if type(m).__name__ == 'SpatialBias']
    assert len(sbs) == 6  # stages 1-3 of ResNet-18: the SB is there
    x = torch.randn(2, 3, 64, 96)
    torch._dynamo.reset()
    with torch.no_grad():
        ref = model(x)
        compiled = torch.compile(model, fullgraph=True, backend=backend)
        outs = compiled(x)
    for a, b in zip(outs, ref):
        torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-4)
    # the compiled graph is the SB model's: it follows a change of SB weights
    with torch.no_grad():
        for sb in sbs:
            sb.mix.bias.add_(1.0)
        moved = model(x)
        assert not torch.allclose(moved[-1], ref[-1])
        for a, b in zip(compiled(x), moved):
            torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-4)


def test_torch_compile_matches_eager():
    """aot_eager traces forward and backward graphs through AOTAutograd,
    as inductor does, without generating code."""
    _compile_matches_eager('aot_eager')


@pytest.mark.slow
def test_torch_compile_inductor_matches_eager():
    _compile_matches_eager('inductor')
