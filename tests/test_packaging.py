"""setup.py: what `pip install -e .` (and its extras) asks for."""
import os.path as osp
import subprocess
import sys

import pytest

import sb_mm

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def dry_run(target):
    proc = subprocess.run(
        [sys.executable, '-m', 'pip', 'install', '--dry-run', '--no-index',
         '--no-build-isolation', '--disable-pip-version-check', '-e', target],
        cwd=REPO, capture_output=True, text=True, timeout=600)
    return proc.returncode, proc.stdout + proc.stderr


@pytest.mark.slow
@pytest.mark.parametrize('target', ['.', '.[mmdet]', '.[mmseg]',
                                    '.[mmpretrain]', '.[all]'])
def test_install_into_the_stack_pulls_nothing_else(target):
    """Into an environment with torch, mmcv and the libraries (.venv), the
    install resolves offline and would install sb_mm alone."""
    code, out = dry_run(target)
    assert code == 0, out[-3000:]
    would = [line for line in out.splitlines()
             if line.startswith('Would install')]
    assert would == [f'Would install sb_mm-{sb_mm.__version__}'], out[-3000:]


def test_mmcv_is_not_an_install_requirement_but_its_range_is_declared(
        tmp_path):
    """pip must not try to build mmcv (it is compiled against the local
    torch, as with the OpenMMLab packages); requirements/mminstall.txt
    holds the range, which must admit the pinned build."""
    from importlib.metadata import version
    out = subprocess.run([sys.executable, 'setup.py', '-q', 'egg_info',
                          '--egg-base', str(tmp_path)], cwd=REPO,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    requires = (tmp_path / 'sb_mm.egg-info' / 'requires.txt').read_text()
    assert 'mmcv' not in requires
    from packaging.requirements import Requirement
    sections, current = {}, None
    for line in requires.splitlines():
        if line.startswith('['):
            current = sections.setdefault(line.strip('[]'), [])
        elif line.strip() and current is not None:
            current.append(Requirement(line))
    # each extra asks for its library, in a range that admits the pinned
    # one (setuptools writes an empty section for an empty extra)
    wants = dict(mmdet={'mmdet'}, mmseg={'mmsegmentation'},
                 mmpretrain={'mmpretrain'},
                 all={'mmdet', 'mmsegmentation', 'mmpretrain'})
    for extra, names in wants.items():
        reqs = {r.name: r for r in sections.get(extra, [])}
        assert names <= set(reqs), (extra, sections.get(extra))
        for name in names:
            assert reqs[name].specifier.contains(version(name)), reqs[name]
    with open(osp.join(REPO, 'requirements', 'mminstall.txt')) as f:
        lines = [line for line in f.read().splitlines()
                 if line and not line.startswith('#')]
    mmcv = Requirement(lines[0])
    assert mmcv.name == 'mmcv' and mmcv.specifier.contains(
        version('mmcv'), prereleases=True)


@pytest.mark.slow
def test_the_wheel_holds_the_library_only(tmp_path):
    """What `pip install .` puts in site-packages: sb_mm/ and its metadata,
    none of the research under projects/ nor the tests, tools or configs."""
    import zipfile
    proc = subprocess.run(
        [sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-index',
         '--no-build-isolation', '--disable-pip-version-check', '-w',
         str(tmp_path), REPO], cwd=tmp_path, capture_output=True, text=True,
        timeout=600)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    wheel, = tmp_path.glob('sb_mm-*.whl')
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split('/')[0] for name in names}
    assert tops == {'sb_mm', f'sb_mm-{sb_mm.__version__}.dist-info'}, tops
    assert 'sb_mm/layers/spatial_bias.py' in names
    research = [n for n in names if 'study' in n or 'long_range' in n]
    assert not research, research
