"""Writes the FLOPs and parameter counts of the metafiles again, as
``tools/analysis_tools/get_flops.py`` measures them now.

    python tools/dev/update_metafiles.py [--only NAME ...] [--dry-run]

Run it after a change to what an SB model computes (``tests/
test_model_index.py`` fails when the figures and the models disagree). Each
``FLOPs:`` / ``Parameters:`` line of an entry is replaced in place, so the
files' comments and order stay; the date in each metafile's header comment
(``..., YYYY-MM-DD.``) becomes today's. A traced forward of a detector at
800x1088 takes minutes on a CPU.
"""
import argparse
import datetime
import os.path as osp
import re
import sys

import yaml

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--only', nargs='+', default=None, metavar='NAME',
                   help='model names to measure (default: all)')
    p.add_argument('--dry-run', action='store_true',
                   help='print the figures, change no file')
    return p.parse_args(argv)


def update_entry(text: str, name: str, flops: int, params: int) -> str:
    """``text`` with the FLOPs / Parameters lines of entry ``name``
    replaced."""
    start = re.search(rf'^[ \t]*- Name: {re.escape(name)}[ \t]*$', text,
                      re.M)
    if start is None:
        raise KeyError(f'no entry named {name!r}')
    nxt = re.search(r'^[ \t]*- Name: ', text[start.end():], re.M)
    end = start.end() + nxt.start() if nxt else len(text)
    entry = text[start.end():end]
    for key, value in (('FLOPs', flops), ('Parameters', params)):
        entry, n = re.subn(rf'^([ \t]*{key}: )\d+[ \t]*$',
                           rf'\g<1>{value}', entry, count=1, flags=re.M)
        if n != 1:
            raise KeyError(f'{name}: no {key} line')
    return text[:start.end()] + entry + text[end:]


def main(argv=None):
    args = parse_args(argv)
    sys.path.insert(0, REPO)
    sys.path.insert(0, osp.join(REPO, 'tools', 'analysis_tools'))
    from get_flops import complexity
    with open(osp.join(REPO, 'model-index.yml')) as f:
        index = yaml.safe_load(f)
    today = datetime.date.today().isoformat()
    for rel in index['Import']:
        path = osp.join(REPO, rel)
        with open(path) as f:
            text = f.read()
        changed = False
        for model in yaml.safe_load(text)['Models']:
            if args.only and model['Name'] not in args.only:
                continue
            meta = model['Metadata']
            got = complexity(osp.join(REPO, model['Config']),
                             meta['Input Shape'])
            old = (meta['FLOPs'], meta['Parameters'])
            new = (got['flops'], got['params'])
            print(f'{model["Name"]}: FLOPs {old[0]} -> {new[0]}, '
                  f'parameters {old[1]} -> {new[1]}', flush=True)
            if new != old:
                text = update_entry(text, model['Name'], *new)
                changed = True
        if changed and not args.dry_run:
            text = re.sub(r'\d{4}-\d{2}-\d{2}\.', f'{today}.', text, count=1)
            with open(path, 'w') as f:
                f.write(text)


if __name__ == '__main__':
    main()
