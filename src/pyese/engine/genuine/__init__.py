"""pyese.engine.genuine: genuine Windows ``.edb`` files as the engine's trees.

- ``snapshot``: ``GenuineSnapshot`` / ``genuine_snapshot``: a read-only ``TreeSnapshot`` that
  presents non-unique index trees in pyese's node-key encoding.
- ``opener``: ``load_catalog``: the catalog verdict the CLI and the JET API share.
"""
