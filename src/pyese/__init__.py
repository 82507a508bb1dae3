"""pyese: Microsoft's Extensible Storage Engine (ESE, "JET Blue") rebuilt in Python.

``pyese.jet`` is the JET API, one function per ESE function, with ESE's names, constants
and error codes. ``pyese`` itself is the Pythonic layer on top of it.
"""

__version__ = "0.1.0"
