"""The task queue on Redis (TASKS_BACKEND=django_tasks_rq.RQBackend): RQ's queue and worker,
set so that a job whose worker is lost runs again, and only such a job.

RQ runs each job in a forked "work horse". When the horse dies under a living worker (killed,
out of memory) the worker fails the job at once; when the worker dies too (SIGKILL, a lost
machine) the job stays "started" until its heartbeat lapses (at most 90 s: RQ's 30 s job
monitoring interval plus 60) and another worker's maintenance finds it abandoned. Either way
RQ runs it again only if it has retries left, and django-tasks-rq gives it none: `Queue` gives
every job some. A task that raised, or ran out of time, spends none (`Worker`): like the
database backend, it runs once, its own code deciding what a failure means.

So every task must be safe to run twice, even at once (the horse of a killed worker keeps
running in its own process group while its job runs again elsewhere): see billing.tasks and
consumption.tasks.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django_rq.queues import DjangoRQ
from rq import Retry
from rq import Worker as RQWorker
from rq.job import Job
from rq.queue import Queue as RQQueue
from rq.registry import StartedJobRegistry
from rq.utils import now

# Runs of a job beyond its first, when its worker is lost each time: a job that kills its
# worker (an invoice too big for the machine's memory) stops after these.
LOST_WORKER_RETRIES = 2
# How often a worker looks for jobs abandoned by a dead one (RQ's default: 10 minutes).
MAINTENANCE_SECONDS = 30


class Queue(DjangoRQ):
    """django-rq's queue, whose jobs may be run again when their worker is lost."""

    def create_job(self, func: Any, *args: Any, **kwargs: Any) -> Job:
        if kwargs.get("retry") is None:
            kwargs["retry"] = Retry(max=LOST_WORKER_RETRIES)
        return super().create_job(func, *args, **kwargs)


class Worker(RQWorker):
    """RQ's forking worker, looking for abandoned jobs every MAINTENANCE_SECONDS."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("maintenance_interval", MAINTENANCE_SECONDS)
        super().__init__(*args, **kwargs)

    @property
    def dequeue_timeout(self) -> int:
        # An idle worker blocks on the queue this long before its next maintenance
        # (RQ's default follows the worker's TTL: 405 s).
        return min(super().dequeue_timeout, MAINTENANCE_SECONDS)

    def handle_job_failure(
        self,
        job: Job,
        queue: RQQueue,
        started_job_registry: StartedJobRegistry | None = None,
        exc_string: str = "",
        execution: Any = None,
    ) -> None:
        if self.is_horse or _past_its_timeout(job):
            # The horse itself reports the failure: the task raised or timed out. Or this
            # worker killed a horse that overran its timeout by a minute (stuck where the
            # timeout's alarm cannot reach): run again, it would be stuck again, each time
            # holding a worker for as long.
            job.retries_left = 0
        super().handle_job_failure(
            job,
            queue,
            started_job_registry=started_job_registry,
            exc_string=exc_string,
            execution=execution,
        )


def _past_its_timeout(job: Job) -> bool:
    if job.started_at is None or job.timeout is None or job.timeout == -1:
        return False
    return job.started_at + timedelta(seconds=job.timeout) <= now()
