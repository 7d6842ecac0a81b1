"""sb_mm's modules import each other without a cycle: every import
statement counts, those inside functions too (a deferred import hides a
cycle from Python, not from the design: issue 31 found apis.checks <->
converters that way)."""
import ast
import os
import os.path as osp

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
PACKAGE = 'sb_mm'


def module_files(root=osp.join(REPO, PACKAGE)):
    """{module name: file} of every module of the package."""
    files = {}
    for folder, _, names in os.walk(root):
        for name in names:
            if not name.endswith('.py'):
                continue
            path = osp.join(folder, name)
            rel = osp.relpath(path, osp.dirname(root))[:-3].split(os.sep)
            if rel[-1] == '__init__':
                rel = rel[:-1]
            files['.'.join(rel)] = path
    return files


def imports_of(name, path, modules):
    """The package's modules that ``name`` imports (absolute or relative;
    ``from X import y`` counts X.y when that is a module, else X)."""
    is_package = path.endswith('__init__.py')
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [(a.name, []) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ''
            if node.level:
                parts = name.split('.')
                keep = len(parts) - node.level + (1 if is_package else 0)
                base = '.'.join(parts[:keep] + ([base] if base else []))
            targets = [(base, [a.name for a in node.names])]
        else:
            continue
        for target, names in targets:
            if not target.split('.')[0] == PACKAGE:
                continue
            subs = [f'{target}.{n}' for n in names
                    if f'{target}.{n}' in modules]
            found.update(subs or ([target] if target in modules else []))
            if subs and len(subs) < len(names) and target in modules:
                found.add(target)  # some names are the package's own
    found.discard(name)
    return found


def cycles(graph):
    """The strongly connected components of more than one module (Tarjan),
    and the modules that import themselves."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def import_graph():
    modules = module_files()
    return {name: imports_of(name, path, modules)
            for name, path in modules.items()}


def test_no_import_cycle():
    graph = import_graph()
    assert 'sb_mm.layers.spatial_bias' in graph['sb_mm.layers']
    # checkpoint files are the bottom floor: everything may use it
    assert graph['sb_mm.checkpoint_io'] == set()
    assert 'sb_mm.checkpoint_io' in graph['sb_mm.compat']
    found = cycles(graph)
    assert not found, f'import cycles in sb_mm: {found}'


def test_cycle_finder_finds_a_deferred_cycle(tmp_path):
    """The check itself: two modules that import each other, one of them
    inside a function, are a cycle; a package importing its submodules is
    not."""
    pkg = tmp_path / PACKAGE
    (pkg / 'sub').mkdir(parents=True)
    (pkg / '__init__.py').write_text('from . import a\n')
    (pkg / 'a.py').write_text('from .sub import b\n')
    (pkg / 'sub' / '__init__.py').write_text('from .b import f\n')
    (pkg / 'sub' / 'b.py').write_text('def f():\n'
                                      '    from ..a import g\n')
    modules = module_files(str(pkg))
    graph = {n: imports_of(n, p, modules) for n, p in modules.items()}
    assert graph['sb_mm.sub.b'] == {'sb_mm.a'}
    assert cycles(graph) == [['sb_mm.a', 'sb_mm.sub.b']]
    (pkg / 'sub' / 'b.py').write_text('def f():\n    pass\n')
    graph = {n: imports_of(n, p, modules) for n, p in modules.items()}
    assert cycles(graph) == []


def top_level_imports(path):
    """The top-level names of every module ``path`` imports (absolute
    imports, inside functions too)."""
    with open(path) as f:
        tree = ast.parse(f.read(), path)
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split('.')[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level:
            names.add(node.module.split('.')[0])
    return names


def test_the_library_never_imports_the_projects():
    """projects/ (research beside the library, as in MMDetection) imports
    sb_mm; sb_mm imports none of it: an installed sb_mm has no projects/."""
    found = {name: sorted(top_level_imports(path) & {'projects', 'study'})
             for name, path in module_files().items()}
    assert not {k: v for k, v in found.items() if v}
    assert 'sb_mm' in top_level_imports(osp.join(
        REPO, 'projects', 'long_range_study', 'study', 'data.py'))
