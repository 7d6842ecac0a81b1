"""tools/dev: the mutation recheck refuses what would check the wrong code."""
import sys

import pytest
from sb_testing import load_tool


def test_mutation_recheck_refuses_a_folder_without_the_mutants(
        tmp_path, monkeypatch):
    monkeypatch.setattr(sys, 'path', list(sys.path))  # it prepends the folder
    tool = load_tool('tools/dev/mutation_recheck.py')
    with pytest.raises(SystemExit, match='Runs tests again'):
        tool.main([str(tmp_path)])  # no tests named: the usage
    with pytest.raises(SystemExit, match='holds no sb_mm: not a mutmut'):
        tool.main([str(tmp_path), 'tests/test_norms.py'])


def test_mutation_recheck_refuses_to_import_the_repositorys_sb_mm(
        tmp_path, monkeypatch):
    """A folder with an ``sb_mm`` that is not the one imported (the
    repository's was imported first): it says so instead of checking the
    unmutated code."""
    monkeypatch.setattr(sys, 'path', list(sys.path))
    (tmp_path / 'sb_mm').mkdir()
    tool = load_tool('tools/dev/mutation_recheck.py')
    with pytest.raises(SystemExit, match='not from the mutants'):
        tool.main([str(tmp_path), 'tests/test_norms.py'])


def test_mutation_recheck_runs_each_mutant_apart(tmp_path):
    """A mutant that is killed but leaves state behind in its module (a
    class it published, a cache it filled) must not fail the next mutant's
    tests: each runs in its own child of the clean process."""
    import os
    import subprocess
    mutants = tmp_path / 'mutants'
    (mutants / 'sb_mm').mkdir(parents=True)
    (mutants / 'sb_mm' / '__init__.py').write_text(
        'import os\n'
        'LEFT = []\n'
        'def value():\n'
        "    mutant = os.environ['MUTANT_UNDER_TEST']\n"
        "    if mutant == 'sb_mm.x_value__mutmut_1':\n"
        '        LEFT.append(1)  # killed, and leaves this behind\n'
        '        return 0\n'
        '    return 1\n')
    (tmp_path / 'test_value.py').write_text(
        'import sb_mm\n'
        'def test_value():\n'
        '    assert sb_mm.value() == 1 and not sb_mm.LEFT\n')
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    for jobs in ('1', '2'):
        proc = subprocess.run(
            [sys.executable, os.path.join(
                os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                'tools', 'dev', 'mutation_recheck.py'), '--jobs', jobs,
             str(mutants), 'test_value.py'],
            input='sb_mm.x_value__mutmut_1\nsb_mm.x_value__mutmut_2\n',
            capture_output=True, text=True, cwd=tmp_path, env=env,
            timeout=120)
        assert proc.returncode == 0, proc.stderr[-2000:]
        lines = proc.stdout.splitlines()
        assert lines[0] == 'clean run passed; 2 mutants'
        assert lines[1].startswith('killed   sb_mm.x_value__mutmut_1  '
                                   '(FAILED test_value.py::test_value')
        assert lines[2:] == ['SURVIVED sb_mm.x_value__mutmut_2']


def test_test_repeat_reports_a_flaky_test(tmp_path, capsys):
    """make test-repeat: a test that passes in one run and fails in the next
    is reported as flaky (exit 1), a stable suite gives exit 0; a test
    failing in every run is reported as failed."""
    suite = tmp_path / 'suite'
    suite.mkdir()
    counter = tmp_path / 'count'
    (suite / 'test_some.py').write_text(
        'import os\n'
        f'COUNT = {str(counter)!r}\n'
        'def test_stable():\n'
        '    assert True\n'
        'def test_flaky():\n'
        '    n = int(open(COUNT).read()) if os.path.exists(COUNT) else 0\n'
        '    open(COUNT, "w").write(str(n + 1))\n'
        '    assert n % 2 == 0\n')
    tool = load_tool('tools/dev/test_repeat.py')
    out = str(tmp_path / 'xml')
    assert tool.main(['--runs', '2', '--out', out, str(suite)]) == 1
    report = capsys.readouterr().out
    assert 'run 1: 2 passed, 0 failed' in report
    assert 'run 2: 1 passed, 1 failed' in report
    assert 'flaky: test_some::test_flaky: passed failed' in report
    assert 'test_stable' not in report.split('run 2:')[1]

    assert tool.main(['--runs', '2', '--out', out, str(suite), '-k',
                      'stable']) == 0
    assert 'same outcome in all 2 runs' in capsys.readouterr().out
    (suite / 'test_some.py').write_text('def test_broken():\n'
                                        '    assert False\n')
    assert tool.main(['--runs', '2', '--out', out, str(suite)]) == 1
    assert 'failed: test_some::test_broken: failed failed' in \
        capsys.readouterr().out


def test_update_metafiles_rewrites_one_entry_in_place():
    """Only the named entry's FLOPs / Parameters lines change; comments,
    the other entries and the line ends stay (the first version of the tool
    ate the newline after the last line of an entry)."""
    import yaml
    tool = load_tool('tools/dev/update_metafiles.py')
    text = ('# header, 2026-11-29.\nModels:\n'
            '  - Name: a\n    Metadata:\n      FLOPs: 1\n'
            '      Parameters: 2\n'
            '  - Name: ab\n    Metadata:\n      FLOPs: 3\n'
            '      Parameters: 4\n')
    out = tool.update_entry(text, 'a', 10, 20)
    assert out == text.replace('FLOPs: 1\n', 'FLOPs: 10\n').replace(
        'Parameters: 2\n', 'Parameters: 20\n')
    out = tool.update_entry(out, 'ab', 30, 40)
    models = yaml.safe_load(out)['Models']
    assert [(m['Metadata']['FLOPs'], m['Metadata']['Parameters'])
            for m in models] == [(10, 20), (30, 40)]
    with pytest.raises(KeyError, match="no entry named 'b'"):
        tool.update_entry(text, 'b', 1, 1)
