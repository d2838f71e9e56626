"""The background revoker: expiry scheduler, retries and crash recovery."""

from workbench.store.worker_lock import WorkerLock
from workbench.worker.runner import LeaseWorker, WorkerEvent
from workbench.worker.status import read_status, read_status_at

__all__ = ["LeaseWorker", "WorkerEvent", "WorkerLock", "read_status", "read_status_at"]
