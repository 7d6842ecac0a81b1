"""Runs tests again against mutants that a ``make mutation`` pass left alive.

    python tools/dev/mutation_recheck.py [--jobs N] MUTANTS_DIR TEST ... \
        < names.txt

``MUTANTS_DIR`` is the ``mutants/`` folder a mutmut run made (its copy of
``sb_mm`` holds every mutant behind mutmut's trampolines); the mutant names
come one per line on stdin (``mutmut results`` lists them). For each name the
given tests run, ``-x``, with that mutant switched on
(``MUTANT_UNDER_TEST``), and a line says ``killed NAME (first failure)`` or
``SURVIVED NAME``; the tests first run once with no mutant and must pass.

Imports are paid once, so a few seconds a mutant instead of mutmut's
per-function test selection. Each mutant runs in a child forked from the
process that ran the clean pass (as mutmut does), so what one mutant leaves
in a module (a class it published, a cache it filled) cannot fail or pass
the next one's tests; ``--jobs N`` runs N children at a time. As under
mutmut, state the clean pass left - caches - is what each child starts
with: a test that checks code behind a cache must empty it (see
``tests/test_class_swaps.py``). Run it from outside the repository, so that
``import sb_mm`` finds the mutants' copy, with ``OMP_NUM_THREADS=1`` (a
child forked after OpenMP started its threads can hang).
"""
import contextlib
import io
import os
import sys


def run(tests, mutant):
    os.environ['MUTANT_UNDER_TEST'] = mutant
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        import pytest
        code = pytest.main(['-q', '-x', '-p', 'no:randomly', '-p',
                            'no:cacheprovider', *tests])
    first = next((line for line in out.getvalue().splitlines()
                  if line.startswith(('FAILED', 'ERROR'))), '')
    return code, first, out.getvalue()


def run_forked(tests, mutant):
    """Starts ``run`` in a child process; returns (its pid, the pipe on
    which it writes its exit code and first failure, for ``_report``)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: run, report, leave without cleanup
        os.close(read)
        try:
            code, first, _ = run(tests, mutant)
            os.write(write, f'{int(code)}\t{first}'.encode())
        finally:
            os._exit(0)
    os.close(write)
    return pid, read


def _report(name, pid, read):
    with os.fdopen(read) as pipe:
        text = pipe.read()
    os.waitpid(pid, 0)
    code, _, first = text.partition('\t')
    if not text:  # the child died before it could say
        code, first = '1', 'the child process died'
    print(f'killed   {name}  ({first[:110]})' if int(code) else
          f'SURVIVED {name}', flush=True)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    jobs = 1
    if argv[:1] == ['--jobs']:
        jobs, argv = int(argv[1]), argv[2:]
    if len(argv) < 2:
        raise SystemExit(__doc__)
    mutants_dir, tests = os.path.abspath(argv[0]), argv[1:]
    if not os.path.isdir(os.path.join(mutants_dir, 'sb_mm')):
        raise SystemExit(f'{mutants_dir} holds no sb_mm: not a mutmut '
                         'mutants/ folder')
    sys.path.insert(0, mutants_dir)
    import sb_mm
    if not sb_mm.__file__.startswith(mutants_dir):
        raise SystemExit(f'sb_mm imports from {sb_mm.__file__}, not from the '
                         'mutants: run this from outside the repository')
    names = [line.strip() for line in sys.stdin if line.strip()]
    code, _, text = run(tests, 'none')
    if code != 0:
        raise SystemExit('the tests fail with no mutant:\n' + text[-3000:])
    print(f'clean run passed; {len(names)} mutants', flush=True)
    running = []
    for name in names:
        if len(running) == jobs:
            _report(*running.pop(0))
        running.append((name, *run_forked(tests, name)))
    for job in running:
        _report(*job)


if __name__ == '__main__':
    main()
