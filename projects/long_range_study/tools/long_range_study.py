"""The long-range study: train every (task, model, seed) of the project's
configs/ through the library's tools/train.py (the stock Runner), collect
the stock metrics and write a table, learning curves and an accuracy / cost
figure.

    python projects/long_range_study/tools/long_range_study.py          # all
    python projects/long_range_study/tools/long_range_study.py --quick  # CI:
                                                         # 1 seed, few iters

Runs already finished in the work dir are read, not rerun (a killed study
continues where it stopped; --rerun forces). Outputs under --work-dir
(default work_dirs/study): results.json, study.md, study_curves.png,
study_cost.png; --doc DIR (the project's docs, projects/long_range_study/docs)
copies the last three to DIR/long_range_study_table.md and
DIR/figures/long_range_study_{curves,cost}.png.
"""
import argparse
import os
import os.path as osp
import sys
import time
from concurrent.futures import ThreadPoolExecutor

# the repository root on sys.path: ``projects.long_range_study`` imports
# from any working directory, as the library's own tools run
REPO = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
if REPO not in sys.path:
    sys.path.insert(0, REPO)

from projects.long_range_study.study.report import write_report  # noqa: E402
from projects.long_range_study.study.running import (  # noqa: E402
    model_facts,
    prepare_data,
    swapped_cue_score,
    train_one,
)
from projects.long_range_study.study.tasks import (  # noqa: E402
    CONTROLS,
    FAMILY_MODELS,
    MODELS,
    PLANS,
    STUDY_TASKS,
    TASKS,
    VARIANTS,
    config_path,
)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--tasks', nargs='+', choices=sorted(TASKS),
                   default=list(STUDY_TASKS))
    p.add_argument('--models', nargs='+',
                   choices=MODELS + VARIANTS + FAMILY_MODELS,
                   default=list(MODELS))
    p.add_argument('--seeds', nargs='+', type=int, default=[0, 1, 2])
    p.add_argument('--no-controls', action='store_true',
                   help='skip the control runs (one seed each)')
    p.add_argument('--quick', action='store_true',
                   help='CI: small data, one seed, a few iterations, no '
                   'controls')
    p.add_argument('--jobs', type=int, default=2,
                   help='trainings at once (threads split between them)')
    p.add_argument('--work-dir', default=osp.join('work_dirs', 'study'))
    p.add_argument('--data-root', default=None,
                   help='folder holding long_range/ (default: data, or '
                   'WORK_DIR/data with --quick)')
    p.add_argument('--doc', default=None,
                   help='also copy the table and figures into this docs '
                   'folder (projects/long_range_study/docs, figures/ in it)')
    p.add_argument('--swapped-seeds', choices=('first', 'all', 'none'),
                   default='first',
                   help='evaluate the cue-swapped pictures for the first '
                   'seed of each model (default), for every seed or for '
                   'none')
    p.add_argument('--plan', choices=sorted(PLANS), default=None,
                   help='run a named plan of several (tasks, models, seeds) '
                   'groups instead of --tasks / --models / --seeds (see '
                   'sb_mm/study/tasks.py; implies --no-controls)')
    p.add_argument('--rerun', action='store_true',
                   help='train again even where a result exists')
    return p.parse_args(argv)


def groups_of(args) -> list:
    """The (tasks, models, seeds, swapped) groups to run: the plan's, or
    the one that --tasks / --models / --seeds / --swapped-seeds give."""
    if args.plan:
        groups = [dict(g) for g in PLANS[args.plan]]
    else:
        groups = [dict(tasks=args.tasks, models=args.models, seeds=args.seeds,
                       swapped=args.swapped_seeds)]
    if args.quick:
        for g in groups:
            g['seeds'] = g['seeds'][:1]
    return groups


def main(argv=None):
    args = parse_args(argv)
    if args.quick or args.plan:
        args.no_controls = True
    groups = groups_of(args)
    args.tasks = list(dict.fromkeys(t for g in groups for t in g['tasks']))
    os.makedirs(args.work_dir, exist_ok=True)
    cwd = prepare_data(args)
    jobs = [(t, m, s) for g in groups for t in g['tasks'] for m in g['models']
            for s in g['seeds']]
    if not args.no_controls:
        jobs += [(t, m, groups[0]['seeds'][0]) for t, m in CONTROLS
                 if t in args.tasks]
    missing = sorted({config_path(t, m) for t, m, _ in jobs
                      if not osp.isfile(config_path(t, m))})
    if missing:
        raise SystemExit('no config for ' + ', '.join(missing) +
                         ' (demo_coco has the models r and sb only)')
    threads = max(1, (os.cpu_count() or 2) // max(1, args.jobs))
    print(f'{len(jobs)} trainings, {args.jobs} at a time, {threads} '
          'thread(s) each', flush=True)
    start = time.time()
    results = []

    def work(job):
        result = train_one(*job, args=args, cwd=cwd, threads=threads)
        print(f'[{time.time() - start:7.0f} s] {job[0]} {job[1]} seed '
              f'{job[2]}: {result["metric"]:.2f}', flush=True)
        return result

    with ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(work, jobs))
    # does the model read the cue? the first seed (or every seed) of every
    # study model, cue swapped
    swap_jobs = [(t, m, s) for g in groups for t in g['tasks']
                 for m in g['models']
                 for s in dict(all=g['seeds'], first=g['seeds'][:1],
                               none=())[g['swapped']]
                 if TASKS[t]['data'] and (t, m) not in CONTROLS]

    def swap(job):
        value = swapped_cue_score(*job, args=args, cwd=cwd, threads=threads)
        print(f'[{time.time() - start:7.0f} s] {job[0]} {job[1]} seed '
              f'{job[2]}, cue swapped: {value:.2f}', flush=True)
        return job, value

    with ThreadPoolExecutor(args.jobs) as pool:
        swapped = dict(pool.map(swap, swap_jobs))
    for r in results:
        r['swapped'] = swapped.get((r['task'], r['model'], r['seed']))
    import torch
    torch.set_num_threads(os.cpu_count() or 2)
    params = {}
    for task in args.tasks:
        models = list(dict.fromkeys(m for t, m, _ in jobs if t == task))
        params[task] = model_facts(task, models,
                                   [m for m in models
                                    if (task, m) not in CONTROLS],
                                   1 if args.quick else 7,
                                   1 if args.quick else 2)
    stamp = time.strftime('%Y-%m-%d %H:%M')
    cached = sum(1 for r in results if r.get('cached'))
    trained_s = sum(r.get('wall_s', 0) for r in results)
    header = (f'Long-range study, {stamp}, '
              f'{"quick" if args.quick else "full"} run: '
              f'{len(jobs)} trainings ({cached} read from earlier '
              f'invocations), {trained_s:.0f} s of training wall time summed '
              f'over the runs, this invocation {time.time() - start:.0f} s '
              f'({args.jobs} at a time).\n\n')
    md = write_report(results, params, args.work_dir, header, args.doc)
    print(header + md)


if __name__ == '__main__':
    main()
