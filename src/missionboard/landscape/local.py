"""The in-process engine: the chunks a Spark job would map, mapped here (by forked workers when asked)."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from multiprocessing.context import BaseContext

from missionboard.landscape.chunks import Chunk, ChunkDone
from missionboard.landscape.classifier import ClassifierSetup, run_chunk


def run_local(
    setup: ClassifierSetup,
    chunks: list[Chunk],
    *,
    workers: int = 1,
    on_chunk: Callable[[ChunkDone], None] | None = None,
) -> list[ChunkDone]:
    """Map and commit each chunk; with ``workers`` > 1, that many processes take chunks in turn, as a
    Spark executor's Python workers do."""
    done: list[ChunkDone] = []
    if workers <= 1 or len(chunks) <= 1:
        for chunk in chunks:
            done.append(run_chunk(setup, chunk, "local"))
            if on_chunk is not None:
                on_chunk(done[-1])
        return done
    context: BaseContext
    if setup.device == "cpu" and "fork" in multiprocessing.get_all_start_methods():
        setup.mapper()  # loaded once here: the forked workers share it and start at once
        context = multiprocessing.get_context("fork")
    else:
        context = multiprocessing.get_context("spawn")  # a GPU model is loaded by each worker itself
    with ProcessPoolExecutor(min(workers, len(chunks)), mp_context=context) as pool:
        futures = [pool.submit(run_chunk, setup, chunk, "local") for chunk in chunks]
        for future in as_completed(futures):
            done.append(future.result())
            if on_chunk is not None:
                on_chunk(done[-1])
    return sorted(done, key=lambda d: d.chunk)
