"""Engine orchestration of backup and restore (ESE ``backup.cxx``, ``_log/logutil.cxx``).

- ``streaming``: the per-instance streaming ("external") backup state machine;
- ``filebackup``: ``JetBackupInstance`` built on the streaming calls, as ESE builds it;
- ``restore``: ``JetRestoreInstance`` and ``JetExternalRestore(2)``;
- ``snapshot``: OS snapshot (VSS-style) freeze and thaw sessions.
"""
