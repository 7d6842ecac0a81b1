"""Interleaved, median-based measurements: every ratio is taken inside one
run, model against model, round by round (machines are noisy; absolute
times do not carry from one run to another)."""
import ctypes
import gc
import statistics
import time
from typing import Callable, Dict, List

import torch
import torch.nn as nn


def sync(device: str) -> None:
    if device.startswith('cuda'):
        torch.cuda.synchronize()


def time_calls(fn: Callable[[], None], iters: int, device: str) -> List[float]:
    """Seconds per call of ``fn``, ``iters`` times."""
    out = []
    for _ in range(iters):
        sync(device)
        t0 = time.perf_counter()
        fn()
        sync(device)
        out.append(time.perf_counter() - t0)
    return out


def inference_fn(model: nn.Module, x: torch.Tensor) -> Callable[[], None]:
    model.eval()

    def run():
        with torch.no_grad():
            model(x)
    return run


def _loss(out) -> torch.Tensor:
    if isinstance(out, torch.Tensor):
        return out.float().mean()
    if isinstance(out, dict):
        out = list(out.values())
    return sum(_loss(o) for o in out if o is not None and not isinstance(
        o, (int, float, str)))


def train_step_fn(model: nn.Module, x: torch.Tensor) -> Callable[[], None]:
    """Forward, backward and an SGD step."""
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=1e-4, momentum=0.9)

    def run():
        opt.zero_grad(set_to_none=True)
        _loss(model(x)).backward()
        opt.step()
    return run


def _libc():
    try:
        return ctypes.CDLL('libc.so.6')
    except OSError:
        return None


def _status_kib(field: str) -> int:
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    raise KeyError(field)


#: glibc ``mallopt`` parameter numbers (malloc.h)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3


def fix_heap_for_memory_readings(threshold: int = 128 * 1024) -> bool:
    """Makes the CPU peak-memory reading count live tensors only.

    glibc's malloc raises its mmap threshold each time a large mmap'd block
    is freed, so later blocks of that size come from the heap, whose freed
    holes stay resident: a call's resident peak then depends on the order
    and sizes of earlier allocations, not only on what the call keeps alive
    (measured here, ResNet-50 vs SB-ResNet-50 at 224 batch 8 inference:
    147 vs 174 MiB with the default, 86 vs 86 MiB with a fixed threshold).
    A fixed threshold stops the adjustment, so every block above it is
    mapped on allocation and unmapped on free. Set it in a process that has
    not run the models yet: blocks already freed into the heap keep being
    reused (and stay resident) afterwards. It lasts for the process and
    makes its later allocations slower (fresh pages each time), so time in
    another process. Returns False where there is no glibc.
    """
    libc = _libc()
    if libc is None or not hasattr(libc, 'mallopt'):
        return False
    return (libc.mallopt(_M_MMAP_THRESHOLD, threshold) == 1
            and libc.mallopt(_M_TRIM_THRESHOLD, threshold) == 1)


def peak_memory_mib(fn: Callable[[], None], device: str) -> float:
    """Peak memory that one call of ``fn`` adds, in MiB.

    CUDA: ``torch.cuda.max_memory_allocated`` growth. CPU: growth of the
    process's peak resident set (``VmHWM``) over its resident set just before
    the call, after freed heap was handed back (``malloc_trim``) and the peak
    was reset (``/proc/self/clear_refs``); both are per process, so this
    measures one call at a time.
    """
    gc.collect()
    if device.startswith('cuda'):
        torch.cuda.synchronize()
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
        fn()
        torch.cuda.synchronize()
        return (torch.cuda.max_memory_allocated() - base) / 2**20
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
    except OSError:
        return float('nan')
    base = _status_kib('VmRSS')
    fn()
    return (_status_kib('VmHWM') - base) / 1024


def peak_memory_interleaved(fns: Dict[str, Callable[[], None]],
                            repeats: int, device: str, progress=None
                            ) -> Dict[str, float]:
    """Median over ``repeats`` rounds of :func:`peak_memory_mib` per model,
    the models taken in turn each round. On a CPU, fix the heap first
    (:func:`fix_heap_for_memory_readings`), in a process used for nothing
    else."""
    readings = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            readings[name].append(peak_memory_mib(fn, device))
            if progress is not None:
                progress.update(1)
    return {name: statistics.median(v) for name, v in readings.items()}


def interleaved(fns: Dict[str, Callable[[], None]], rounds: int, iters: int,
                device: str, progress=None) -> Dict[str, List[float]]:
    """Per model, the median seconds of each round. In every round each
    model runs ``iters`` times; the order rotates from round to round."""
    names = list(fns)
    medians = {n: [] for n in names}
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            medians[name].append(
                statistics.median(time_calls(fns[name], iters, device)))
            if progress is not None:
                progress.update(1)
    return medians


def ratio_stats(num: List[float], den: List[float]) -> Dict[str, float]:
    """Per-round ratios num/den: median, min and max."""
    ratios = [a / b for a, b in zip(num, den)]
    return dict(median=statistics.median(ratios), lo=min(ratios),
                hi=max(ratios))
