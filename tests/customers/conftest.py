from tests.celery_worker import task_log, worker, worker_queue  # noqa: F401 (fixtures)
