"""Runs a test suite several times and reports every test whose outcome
changes between runs (a flaky test), and every failure.

    python tools/dev/test_repeat.py [--runs N] [--out DIR] [PYTEST_ARGS ...]
    make test-repeat            # the fast suite, 5 runs (REPEAT=N)

Each run is ``python -m pytest -p no:cacheprovider --junitxml=DIR/run_K.xml
PYTEST_ARGS`` in a fresh process (default arguments: ``tests -m "not
slow"``). At the end one line per run (passed / failed / skipped, seconds)
and, for each test that did not pass in every run, its outcome in each:
``flaky`` when it differs between runs, ``failed`` when it failed in all.
Exits 1 if any test failed in any run, else 0.
"""
import argparse
import os
import os.path as osp
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

DEFAULT_ARGS = ['tests', 'projects/long_range_study/tests', '-m', 'not slow']


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('--runs', type=int, default=5, help='runs (default 5)')
    p.add_argument('--out', default='work_dirs/test_repeat',
                   help='where the runs write their JUnit XML')
    args, pytest_args = p.parse_known_args(argv)
    if args.runs < 2:
        p.error('--runs must be at least 2 to compare runs')
    args.pytest_args = pytest_args or DEFAULT_ARGS
    return args


def outcomes(xml_path):
    """{test id: 'passed' | 'failed' | 'skipped'} of one JUnit XML file."""
    results = {}
    for case in ET.parse(xml_path).getroot().iter('testcase'):
        test_id = f"{case.get('classname')}::{case.get('name')}"
        kinds = {child.tag for child in case}
        if kinds & {'failure', 'error'}:
            results[test_id] = 'failed'
        elif 'skipped' in kinds:
            results[test_id] = 'skipped'
        else:
            results[test_id] = 'passed'
    return results


def compare(runs):
    """{test id: [outcome per run]} of the tests that did not pass in every
    run; a test missing from a run counts as 'absent'."""
    ids = sorted(set().union(*runs))
    table = {t: [run.get(t, 'absent') for run in runs] for t in ids}
    return {t: outs for t, outs in table.items()
            if set(outs) not in ({'passed'}, {'skipped'})}


def main(argv=None):
    args = parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    runs, lines = [], []
    for k in range(1, args.runs + 1):
        xml = osp.join(args.out, f'run_{k}.xml')
        if osp.exists(xml):
            os.remove(xml)
        start = time.time()
        proc = subprocess.run(
            [sys.executable, '-m', 'pytest', '-q', '-p', 'no:cacheprovider',
             f'--junitxml={xml}', *args.pytest_args])
        if not osp.exists(xml):
            raise SystemExit(f'run {k}: pytest wrote no report (exit '
                             f'{proc.returncode})')
        runs.append(outcomes(xml))
        counts = {o: list(runs[-1].values()).count(o)
                  for o in ('passed', 'failed', 'skipped')}
        lines.append(f'run {k}: {counts["passed"]} passed, '
                     f'{counts["failed"]} failed, {counts["skipped"]} '
                     f'skipped in {time.time() - start:.0f} s')
    bad = compare(runs)
    print('\n'.join(lines))
    for test_id, outs in bad.items():
        kind = 'failed' if set(outs) == {'failed'} else 'flaky'
        print(f'{kind}: {test_id}: {" ".join(outs)}')
    if not bad:
        print(f'every test had the same outcome in all {args.runs} runs')
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
