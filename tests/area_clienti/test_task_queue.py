"""The task queue on Redis (TASKS_BACKEND=django_tasks_rq.RQBackend): the settings it needs
come from REDIS_URL, and a job whose worker is lost runs again, while one that failed on its
own does not (area_clienti/task_queue.py).

The second part starts a Redis server of its own, on a free port (`redis-server`: installed by
`scripts/system-packages.sh test`). The cluster's load run (`make load-cluster`) kills a real
worker."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django_tasks_rq import Job
from rq.job import JobStatus
from rq.utils import now

from area_clienti.task_queue import Queue, Worker
from billing.models import InvoiceDocument
from billing.tasks import make_invoice_document
from tests.conftest import World

RQ_ENV = {
    "TASKS_BACKEND": "django_tasks_rq.RQBackend",
    "REDIS_URL": "redis://cache:6379/2",
    "TASKS_REDIS_URL": "redis://cache:6379/3",
}
SHOW = """
import json, django
django.setup()
from django.conf import settings
from django_tasks import task_backends
print(json.dumps({"checks": [str(m) for m in task_backends["default"].check()],
                  "queues": settings.RQ_QUEUES, "rq": settings.RQ,
                  "apps": settings.INSTALLED_APPS, "cache": settings.CACHES["default"]}))
"""


def python(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    own = {"REDIS_URL", "TASKS_REDIS_URL", "TASKS_BACKEND"}
    inherited = {k: v for k, v in os.environ.items() if k not in own}
    return subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code],
        cwd=Path(settings.BASE_DIR),
        env={**inherited, "DJANGO_SETTINGS_MODULE": "area_clienti.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_rq_backend_has_a_redis_database_of_its_own() -> None:
    """The queue beside the cache, in another database: clearing the cache (FLUSHDB) must not
    drop the waiting jobs."""
    result = python(SHOW, **RQ_ENV)
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout.splitlines()[-1])
    assert shown["queues"]["default"]["URL"] == "redis://cache:6379/3"
    assert shown["cache"]["LOCATION"] == "redis://cache:6379/2"
    # `manage.py rqworker default` needs no class on its command line.
    assert shown["rq"]["JOB_CLASS"] == "django_tasks_rq.Job"
    assert {"django_rq", "django_tasks_rq"} <= set(shown["apps"])
    assert shown["checks"] == []

    same_as_cache = {"REDIS_URL": "redis://cache:6379", "TASKS_REDIS_URL": "redis://cache/0"}
    for wrong in ({"REDIS_URL": RQ_ENV["REDIS_URL"]}, same_as_cache):
        refused = python(SHOW, TASKS_BACKEND=RQ_ENV["TASKS_BACKEND"], **wrong)
        assert refused.returncode != 0
        assert "The RQ task backend needs TASKS_REDIS_URL" in refused.stderr


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def queue(settings: object, tmp_path: Path) -> Iterator[Queue]:
    """A queue on a Redis server of its own (as load/cluster.py starts one), empty, kept in
    memory only, stopped afterwards."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.fail("redis-server is missing: scripts/system-packages.sh test installs it")
    port = free_port()
    redis_server = subprocess.Popen(  # noqa: S603 - Debian's redis-server, our arguments
        [server, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(tmp_path),
         "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    settings.RQ_QUEUES = {"default": {"URL": url, "QUEUE_CLASS": "area_clienti.task_queue.Queue"}}  # type: ignore[attr-defined]
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend"}}  # type: ignore[attr-defined]
    connection = redis.Redis.from_url(url)
    try:
        for _ in range(100):
            try:
                connection.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        else:
            pytest.fail(f"redis-server on port {port} never answered")
        yield Queue("default", connection=connection, job_class=Job)
    finally:
        connection.close()
        redis_server.terminate()
        redis_server.wait(timeout=10)


def test_a_job_whose_worker_died_runs_again_and_a_failed_one_does_not(
    world: World, queue: Queue
) -> None:
    document = InvoiceDocument.objects.create(
        invoice=world.invoice, revision=world.invoice.revision
    )
    job_id = make_invoice_document.enqueue(document.pk).id

    # A worker takes the job and dies with it (SIGKILL: no failure reported).
    lost = Worker([queue], connection=queue.connection, job_class=queue.job_class)
    job, _queue = lost.dequeue_job_and_maintain_ttl(timeout=1)  # type: ignore[misc]
    lost.prepare_execution(job)
    lost.prepare_job_execution(job)
    assert queue.get_job_ids() == [] and job.get_status() == JobStatus.STARTED

    # Its heartbeat lapses within 90 s, and another worker looks every 30 s.
    survivor = Worker([queue], connection=queue.connection, job_class=queue.job_class)
    assert lost.get_heartbeat_ttl(job) <= 90 and survivor.maintenance_interval <= 30
    assert survivor.dequeue_timeout <= 30
    queue.started_job_registry.cleanup(timestamp=time.time() + 91)
    assert queue.get_job_ids() == [job_id]

    # The second run is the survivor's: it makes the document.
    job, _queue = survivor.dequeue_job_and_maintain_ttl(timeout=1)  # type: ignore[misc]
    assert job.id == job_id
    job.perform()
    document.refresh_from_db()
    assert document.status == InvoiceDocument.Status.READY

    # A task that raised (reported by the survivor's work horse) is not run again.
    make_invoice_document.enqueue(document.pk)
    failing, _queue = survivor.dequeue_job_and_maintain_ttl(timeout=1)  # type: ignore[misc]
    assert failing.retries_left
    survivor._is_horse = True
    survivor.handle_job_failure(failing, queue, exc_string="MemoryError")
    assert failing.get_status() == JobStatus.FAILED and queue.get_job_ids() == []


def test_a_job_its_worker_killed_for_overrunning_its_timeout_is_not_run_again(
    world: World, queue: Queue
) -> None:
    document = InvoiceDocument.objects.create(
        invoice=world.invoice, revision=world.invoice.revision
    )
    worker = Worker([queue], connection=queue.connection, job_class=queue.job_class)

    # A horse lost within its time (out of memory), reported by its worker: run again.
    job_id = make_invoice_document.enqueue(document.pk).id
    lost, _queue = worker.dequeue_job_and_maintain_ttl(timeout=1)  # type: ignore[misc]
    lost.started_at = now()
    worker.handle_job_failure(lost, queue, exc_string="Work-horse terminated unexpectedly")
    assert queue.get_job_ids() == [job_id]

    # A horse stuck a minute past its timeout, killed by its worker: it would be stuck again.
    stuck, _queue = worker.dequeue_job_and_maintain_ttl(timeout=1)  # type: ignore[misc]
    assert stuck.timeout
    stuck.started_at = now() - timedelta(seconds=stuck.timeout + 60)
    worker.handle_job_failure(stuck, queue, exc_string="Work-horse terminated unexpectedly")
    assert stuck.get_status() == JobStatus.FAILED and queue.get_job_ids() == []
