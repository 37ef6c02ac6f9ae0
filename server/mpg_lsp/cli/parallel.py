"""Checking many projects on every core: one worker process per core, each checking one
project at a time with its own engine; reports come back in the order of the projects, so
the output does not depend on which worker finished first."""

from __future__ import annotations

import multiprocessing
import signal
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor

from mpg_lsp.cli.check import ProjectReport, check_project
from mpg_lsp.cli.configuration import CommandLineEngine
from mpg_lsp.cli.terminal import Style

_worker: tuple[CommandLineEngine, str, Style, bool] | None = None


def _start(engine: CommandLineEngine, fmt: str, style: Style, with_settings: bool) -> None:
    """In each worker: Ctrl-C is the parent's to handle (a worker stops with it, silently)."""
    global _worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker = (engine.fresh(), fmt, style, with_settings)


def _check(root: str) -> ProjectReport:
    assert _worker is not None
    engine, fmt, style, with_settings = _worker
    return check_project(engine, root, fmt, style, with_settings)


def parallel_reports(
    engine: CommandLineEngine,
    roots: list[str],
    fmt: str,
    style: Style,
    jobs: int,
    with_settings: bool,
) -> Iterator[ProjectReport]:
    methods = multiprocessing.get_all_start_methods()
    # fork: the workers start with the modules already loaded (a fresh interpreter each
    # would pay the start-up again)
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    workers = min(jobs, len(roots))
    chunk = max(1, min(16, len(roots) // (workers * 8)))
    pool = ProcessPoolExecutor(
        workers,
        mp_context=context,
        initializer=_start,
        initargs=(engine, fmt, style, with_settings),
    )
    try:
        yield from pool.map(_check, roots, chunksize=chunk)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
