"""Run a job's samples: in this process, on a local process pool, or on a Dask cluster.

Samples go out in chunks of consecutive indices; each worker process (or Dask worker thread)
keeps one :class:`~planner.sweep.engine.Engine` per job, so the shared set-up is done once per
worker. A sample's result depends only on the job and its index (see :mod:`.sample` and
:mod:`.lp`), so the executor, the number of workers and the chunking do not change results.
"""
from __future__ import annotations

import math
import os
import sys
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from planner.errors import InputError, Problem, RunError
from planner.sweep.engine import STAGES, Engine, SweepJob
from planner.sweep.sample import sample_values

MAX_CHUNK = 25

_local = threading.local()  # one engine per worker thread (Dask may run threads in-process)
_setup = threading.Lock()  # engines are set up one at a time (highspy's first use is not
                           # thread-safe)


def engine_for(job: SweepJob) -> Engine:
    engine = getattr(_local, "engine", None)
    if engine is None or engine.job.key != job.key:
        with _setup:
            engine = _local.engine = Engine(job)
    return engine


@dataclass
class Chunk:
    """Results of samples ``start`` .. ``stop - 1``, as arrays in index order."""

    start: int
    stop: int
    values: np.ndarray  # (n, inputs)
    ok: np.ndarray  # (n,) bool
    served_fraction: np.ndarray  # (n, M, Q)
    cost: np.ndarray
    margin: np.ndarray
    when: np.ndarray  # (n, M) -1 never
    served_share: np.ndarray  # (n, M)
    horizon_margin: np.ndarray  # (n, M)
    fleet_margin: np.ndarray  # (n,)
    errors: dict[int, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


def run_chunk(job: SweepJob, start: int, stop: int) -> Chunk:
    """Evaluate samples ``start`` .. ``stop - 1`` (any process; failures stay per sample)."""
    engine = engine_for(job)
    M, Q, n = len(engine.models), len(engine.quarters), stop - start
    results = [engine.run(i, sample_values(job.spec, i)) for i in range(start, stop)]
    nan3 = np.full((n, M, Q), np.nan)
    chunk = Chunk(start, stop, np.array([r.values for r in results]).reshape(n, -1),
                  np.array([r.error is None for r in results]), nan3.copy(), nan3.copy(),
                  nan3.copy(), np.full((n, M), -1, dtype=np.int64), np.full((n, M), np.nan),
                  np.full((n, M), np.nan), np.full(n, np.nan))
    chunk.timings = {k: 0.0 for k in STAGES}
    chunk.counts = {"cost_core_reused": 0, "hardware_reused": 0}
    for k, r in enumerate(results):
        for name, seconds in r.timings.items():
            chunk.timings[name] = chunk.timings.get(name, 0.0) + seconds
        chunk.counts["cost_core_reused"] += r.cost_core_reused
        chunk.counts["hardware_reused"] += r.hardware_reused
        if r.error is not None:
            chunk.errors[r.index] = r.error
            continue
        e = r.economics
        chunk.served_fraction[k], chunk.cost[k] = e.served_fraction, e.cost
        chunk.margin[k] = e.margin
        chunk.when[k], chunk.served_share[k] = e.when, e.served_share
        chunk.horizon_margin[k], chunk.fleet_margin[k] = e.horizon_margin, e.fleet_margin
    return chunk


def chunk_bounds(n: int, slots: int = 4) -> list[tuple[int, int]]:
    """Consecutive index ranges of at most MAX_CHUNK samples, at least ~4 per worker slot
    (results do not depend on the chunking: it only balances the load)."""
    size = max(1, min(MAX_CHUNK, math.ceil(n / (4 * max(slots, 4)))))
    return [(a, min(a + size, n)) for a in range(0, n, size)]


# ----------------------------------------------------------------------------- executors
def keep_freed_memory() -> None:
    """Let glibc keep freed large blocks for reuse instead of returning them to the system.

    A sample's cost core allocates a few 1-10 MB numpy temporaries. By default glibc maps
    each from the kernel and unmaps it on free, so every sample page-faults them in again:
    ~6 ms of kernel time per sample on the default scenario, more than the arithmetic.
    With the thresholds raised (blocks up to 32 MiB from the heap, up to 128 MiB of free heap
    kept), a worker reuses the same memory sample after sample. Local executors only: a Dask
    worker's allocator is its owner's to tune. No effect off glibc.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        m_trim_threshold, m_mmap_threshold = -1, -3  # from <malloc.h>
        libc.mallopt(m_mmap_threshold, 32 << 20)
        libc.mallopt(m_trim_threshold, 128 << 20)
    except (OSError, AttributeError):
        pass


def default_workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def run_job(job: SweepJob, workers: int | None = None, dask: str | object | None = None,
            quiet: bool = True, progress_stream=None) -> tuple[list[Chunk], dict]:
    """All chunks of ``job`` in index order, and how they ran.

    ``dask``: a scheduler address, or a ``distributed.Client`` (tests pass one on a
    LocalCluster). Otherwise ``workers`` local processes (1: in this process).
    """
    from solver.solve import solver_version

    n = job.spec.n_samples
    t0 = time.perf_counter()
    # highspy prints a banner the first time a solver is made; it is swallowed here, once,
    # before worker threads (Dask in-process) or forked processes could race on stdout
    solver_version(job.backend)
    bar = _progress(n, quiet, progress_stream)
    try:
        if dask is not None:
            chunks, info = _run_dask(job, n, dask, bar)
        else:
            workers = workers or default_workers()
            bounds = chunk_bounds(n, workers)
            workers = min(workers, len(bounds)) or 1
            if workers == 1:
                keep_freed_memory()
                chunks = []
                for a, b in bounds:
                    try:
                        chunks.append(run_chunk(job, a, b))
                    except Exception as exc:  # per-sample failures never get here
                        raise RunError(f"the sweep could not run: {type(exc).__name__}: "
                                       f"{exc}") from exc
                    bar.update(b - a)
                info = {"executor": "local", "workers": 1}
            else:
                chunks = _run_pool(job, bounds, workers, bar)
                info = {"executor": "processes", "workers": workers}
    finally:
        bar.close()
    info["wall_s"] = time.perf_counter() - t0
    chunks.sort(key=lambda c: c.start)
    return chunks, info


def _progress(n: int, quiet: bool, stream):
    from tqdm import tqdm

    tqdm.monitor_interval = 0  # no monitor thread: worker processes are forked
    return tqdm(total=n, file=stream if stream is not None else sys.stderr, unit="sample",
                desc="sweep", leave=False, dynamic_ncols=True,
                disable=True if quiet else None)  # None: shown only on a terminal


def _init_worker(job: SweepJob) -> None:
    import signal

    # the parent stops workers (SIGTERM) when it is interrupted; a worker must not turn
    # either signal into an exception of its own (a forked worker inherits the handlers)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    keep_freed_memory()
    _local.job = job
    engine_for(job)  # set up once per process, before the first chunk


def _pool_chunk(start: int, stop: int) -> Chunk:
    return run_chunk(_local.job, start, stop)


def _run_pool(job: SweepJob, bounds, workers: int, bar) -> list[Chunk]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    methods = multiprocessing.get_all_start_methods()
    # fork starts workers in milliseconds with everything imported (a fresh interpreter costs
    # ~1 s per worker); the parent has run no LP of the sweep, so no solver threads are copied.
    # Elsewhere: the platform's default.
    context = multiprocessing.get_context("fork" if "fork" in methods and sys.platform == "linux"
                                          else None)
    chunks = []
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_init_worker,
                             initargs=(job,)) as pool:
        futures = [pool.submit(_pool_chunk, a, b) for a, b in bounds]
        try:
            for future in as_completed(futures):
                chunk = future.result()
                chunks.append(chunk)
                bar.update(chunk.stop - chunk.start)
        except BrokenProcessPool as exc:
            raise RunError(f"a sweep worker process died ({exc}); rerun with --workers 1 to "
                           "see the failing sample") from None
        except Exception as exc:  # per-sample failures never get here
            for f in futures:
                f.cancel()
            raise RunError(f"a sweep worker failed: {type(exc).__name__}: {exc}") from exc
        except BaseException:
            # Ctrl-C or SIGTERM: stop the workers now rather than wait for their chunks
            for f in futures:
                f.cancel()
            for process in list((getattr(pool, "_processes", None) or {}).values()):
                process.terminate()
            pool.shutdown(wait=True, cancel_futures=True)
            raise
    return chunks


def _run_dask(job: SweepJob, n: int, dask, bar) -> tuple[list[Chunk], dict]:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise InputError([Problem("--dask", None, "", "needs Dask: install it with pip "
                                  "install 'fleet-planner[dask]' (dask[distributed])")]) from None
    own = isinstance(dask, str)
    if own:
        try:
            client = Client(dask, timeout="10s")
        except (OSError, TimeoutError, ValueError) as exc:
            raise RunError(f"cannot reach the Dask scheduler at {dask}: {exc}") from None
    else:
        client = dask
    try:
        workers = client.scheduler_info().get("workers", {})
        n_workers = len(workers)
        threads = sum(int(w.get("nthreads", 1)) for w in workers.values()) or 1
        bounds = chunk_bounds(n, threads)
        handle = client.scatter(job, broadcast=True)
        futures = [client.submit(run_chunk, handle, a, b, pure=False) for a, b in bounds]
        chunks = []
        try:
            for future in as_completed(futures):
                chunk = future.result()
                chunks.append(chunk)
                bar.update(chunk.stop - chunk.start)
        except Exception as exc:
            client.cancel(futures)
            raise RunError(f"the Dask cluster failed a sweep task: {type(exc).__name__}: {exc} "
                           "(the workers need this version of fleet-planner installed)") from None
        return chunks, {"executor": "dask", "workers": n_workers,
                        "scheduler": getattr(client.scheduler, "address", str(dask))}
    finally:
        if own:
            client.close()
