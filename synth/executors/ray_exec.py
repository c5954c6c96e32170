"""Ray executor: each Ray actor keeps one renderer (GL context or Blender scene) alive and
renders chunks of sample indices; results land in the same dataset layout.

A local Ray instance is started by default; ``address`` joins an existing cluster
("auto" or "ray://head:10001"). The output directory must then be on storage every node
sees (NFS, a mounted bucket...). Failed actors are restarted and their tasks retried; the
writes are atomic and deterministic, so a retried chunk rewrites identical bytes.
"""

from __future__ import annotations

from collections.abc import Iterator

from synth.generate import Job, _worker_close, _worker_init, render_chunk

MAX_RETRIES = 3


def run_ray(
    job: Job, chunks: list[list[int]], workers: int, address: str | None = None
) -> Iterator[list]:
    import ray
    from ray.util import ActorPool

    started_here = not ray.is_initialized()
    if started_here:
        kwargs = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
        if address:
            ray.init(address=address, **kwargs)
        else:
            ray.init(num_cpus=workers, **kwargs)

    @ray.remote(num_cpus=1, max_restarts=MAX_RETRIES, max_task_retries=MAX_RETRIES)
    class RenderActor:
        def __init__(self, job: Job):
            _worker_init(job)

        def render(self, indices: list[int]):
            return render_chunk(indices)

        def close(self) -> None:
            _worker_close()

    actors = [RenderActor.remote(job) for _ in range(max(1, min(workers, len(chunks))))]
    try:
        pool = ActorPool(actors)
        yield from pool.map_unordered(lambda a, c: a.render.remote(c), chunks)
    finally:
        ray.get([a.close.remote() for a in actors])
        for a in actors:
            ray.kill(a)
        if started_here:
            ray.shutdown()
