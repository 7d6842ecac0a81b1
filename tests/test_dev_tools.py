"""tools/dev: the mutation recheck refuses what would check the wrong code."""
import sys

import pytest
from conftest import load_tool


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
