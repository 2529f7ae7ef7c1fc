"""The job service (`regdesk jobs`): every background job of the hospital in one process.

- ``base``: what a job is and what it is given (the database, the configuration, the hospital's clock)
- ``decide``, ``send``, ``noshow``, ``reminders``, ``prune``: the jobs
- ``leases``: which of several processes acts for each job; ``heartbeat``: what the console shows
- ``outage``: which failures are the database being away (waited out, never fatal)
- ``runner``: the loop: rounds, back-off, reconnecting, stopping on a signal

Kept free of imports here: services.bookings.rules imports ``services.jobs.outage``.
"""
