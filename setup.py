from setuptools import find_packages, setup

setup(
    name='sb_mm',
    version='0.1.0',
    description='Spatial bias (Go & Ryu, arXiv 2302.12505) for MMDetection, '
    'MMSegmentation and MMPretrain',
    packages=find_packages(include=['sb_mm', 'sb_mm.*']),
    python_requires='>=3.9',
    install_requires=[],
)
