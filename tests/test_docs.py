"""The documentation holds together: every relative link points at a file
that exists, every page under docs/ and projects/ is reachable from the
README, and the README stays a short guide."""
import os
import os.path as osp
import re

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
LINK = re.compile(r'\]\(([^)#\s]+)(#[^)\s]*)?\)')


def links(page: str):
    """Relative link targets of a markdown page, as repository paths."""
    with open(page) as f:
        text = f.read()
    for target, _ in LINK.findall(text):
        if re.match(r'^[a-z]+:', target):  # http:, https:, mailto:
            continue
        yield osp.normpath(osp.join(osp.dirname(page), target))


def pages():
    """The markdown pages of docs/ and of the projects (their README and
    result pages)."""
    for top in ('docs', 'projects'):
        for root, _, files in os.walk(osp.join(REPO, top)):
            for name in files:
                if name.endswith('.md'):
                    yield osp.join(root, name)


def test_every_relative_link_points_at_a_file():
    broken = [(osp.relpath(page, REPO), osp.relpath(target, REPO))
              for page in [osp.join(REPO, 'README.md'), *pages()]
              for target in links(page) if not osp.exists(target)]
    assert not broken


def test_every_docs_page_is_reachable_from_the_readme():
    seen, todo = set(), [osp.join(REPO, 'README.md')]
    while todo:
        page = todo.pop()
        if page in seen:
            continue
        seen.add(page)
        todo += [t for t in links(page) if t.endswith('.md') and osp.isfile(t)]
    unreachable = sorted(osp.relpath(p, REPO) for p in pages()
                         if p not in seen)
    assert not unreachable


def test_readme_is_a_short_guide():
    with open(osp.join(REPO, 'README.md')) as f:
        lines = f.read().splitlines()
    assert len(lines) <= 250
    # the quick start is on the first screen
    assert any(line.startswith('## Quick start') for line in lines[:40])


#: a repository path in backticks: starts with a top-level folder or file
#: of the repository (placeholders such as <name>, {a,b}, * are skipped)
TOP_LEVEL = ('sb_mm', 'configs', 'tools', 'tests', 'docs', 'demo',
             'requirements', 'projects', '.ci')
CODE_SPAN = re.compile(r'`([^`\s]+)`')


def backticked_paths(text: str):
    for span in CODE_SPAN.findall(text):
        path = span.split('::')[0].rstrip('.,:;)')
        if path.split('/')[0] not in TOP_LEVEL or '/' not in path:
            continue
        if re.search(r'[<>{}*\[\]$]|\.\.\.', path):
            continue
        yield path


def test_every_backticked_repository_path_exists():
    """Paths written in backticks on the pages (``sb_mm/...``,
    ``configs/...``, ``tools/...``, ``tests/...``): each names a file or
    folder of the repository (a test name after ``::`` aside)."""
    missing = []
    for page in [osp.join(REPO, 'README.md'), *pages()]:
        with open(page) as f:
            text = f.read()
        for path in backticked_paths(text):
            if not osp.exists(osp.join(REPO, path)):
                missing.append((osp.relpath(page, REPO), path))
    assert not missing


def test_backticked_path_finder():
    text = ('`sb_mm/layers/spatial_bias.py` `tests/test_fuzz.py::test_x`, '
            '`configs/paper/cifar100_r{38,65}_*.py` `mask_rcnn/metafile.yml` '
            '`work_dirs/<name>/epoch_310.pth` `make test`')
    assert list(backticked_paths(text)) == [
        'sb_mm/layers/spatial_bias.py', 'tests/test_fuzz.py']


def test_metafile_code_urls_exist():
    import yaml
    folder = osp.join(REPO, 'configs', 'metafiles')
    for name in sorted(os.listdir(folder)):
        with open(osp.join(folder, name)) as f:
            meta = yaml.safe_load(f)
        for collection in meta.get('Collections', []):
            url = collection['Code']['URL']
            assert osp.exists(osp.join(REPO, url)), (name, url)
