"""pyese.engine.instance: the thread model, and what an instance owns.

- ``instance``: ``System`` (the process: run mode, the instance table), ``Instance``,
  ``InstanceServices`` (start/stop hooks), ``SYSTEM``;
- ``session``: ``Session`` (ESE's PIB): transaction level, context, the observer protocol;
- ``gate``: ``session_call``, the one door every session-based JET call goes through;
- ``params``: system parameter definitions, ``ParamSet``;
- ``database``: attached databases (ESE's FMP) and per-session open handles
  (``DatabaseTable``, ``database_of``);
- ``logservice``: an instance's durable services: recovery, log, applier, version store
  (``InstanceStorage``, ``storage_of``, ``register``).
"""
