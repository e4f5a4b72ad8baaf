"""Background jobs that survive a crashed worker.

Jobs are ``django.tasks`` run by django-tasks-db. Its worker (``db_worker``)
marks a job RUNNING with its worker id when it claims it, and nothing ever
looks at that row again if the process dies mid-job (killed, out of memory,
host lost): the job stays RUNNING for good. django-tasks-db 0.13 has no
lease, heartbeat or stale-job handling, so this package adds them:

- ``manage.py run_worker`` is ``db_worker`` plus a heartbeat
  (:mod:`workspace.jobs.heartbeat`): every ``JOBS_LEASE / 4`` the worker
  stamps its row in :class:`~workspace.jobs.models.WorkerHeartbeat` with the
  database's clock, from a thread, so a long job does not stop it.
- On each beat (the first before the worker claims anything), the worker also
  recovers orphaned jobs (:func:`workspace.jobs.recovery.recover_orphaned_jobs`):
  a job RUNNING under a worker whose last beat is older than ``JOBS_LEASE`` goes
  back to READY and runs again on whichever worker claims it next. A job whose
  workers died ``JOBS_MAX_ATTEMPTS`` times is marked FAILED instead (it is
  probably what kills them).

A live worker's jobs are never taken, however long they run: only a silent
worker loses them. A job can therefore run again after a crash, so every job
must be idempotent (each re-checks the database under a row lock before it
acts; docs/DEPLOY.md "Background jobs").
"""
