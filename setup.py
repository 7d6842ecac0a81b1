"""sb_mm: spatial bias (Go & Ryu, arXiv 2302.12505) for MMDetection,
MMSegmentation and MMPretrain.

As in the OpenMMLab packages, mmcv is not an install requirement: it is
compiled against the local torch / CUDA (``tools/setup_env.sh``, or ``mim
install``), so pip must not pull a build of it; the accepted range is in
``requirements/mminstall.txt``. ``pip install -e .[mmdet,mmseg,mmpretrain]``
adds the libraries sb_mm registers its backbones in (``[all]``: all three).
"""
from setuptools import find_packages, setup


def get_version():
    """``sb_mm/version.py``'s ``__version__``, read without importing sb_mm
    (which needs mmengine), as the OpenMMLab packages do."""
    scope = {}
    with open('sb_mm/version.py') as f:
        exec(compile(f.read(), 'sb_mm/version.py', 'exec'), scope)
    return scope['__version__']


def extras():
    libs = dict(
        mmdet=['mmdet>=3.0.0,<3.4.0', 'pycocotools>=2.0.7'],
        # mmseg imports ftfy and regex without declaring them
        mmseg=['mmsegmentation>=1.0.0,<1.3.0', 'ftfy', 'regex'],
        mmpretrain=['mmpretrain>=1.0.0,<1.3.0'],
        # the study, ERF and SB-map figures
        plots=['matplotlib'],
    )
    libs['all'] = sorted({req for reqs in libs.values() for req in reqs})
    return libs


setup(
    name='sb_mm',
    version=get_version(),
    description='Spatial bias (Go & Ryu, arXiv 2302.12505) for MMDetection, '
    'MMSegmentation and MMPretrain',
    packages=find_packages(include=['sb_mm', 'sb_mm.*']),
    python_requires='>=3.9',
    install_requires=['mmengine>=0.10.0,<1.0.0', 'numpy>=1.26,<3',
                      'opencv-python'],
    extras_require=extras(),
)
