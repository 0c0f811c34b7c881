"""Several server processes over one database: the change feed that keeps every worker's
index in step (``feed``), the wake-up (``wakeup``), the per-worker follower thread
(``follower``) and the lock that lets one worker write the index file (``writer_lock``)."""
