"""Forked helper processes (the build's casting and writing helpers, the site's workers) die with the
process that forked them, even when it is killed outright (SIGKILL), so none is left behind holding the
build's lock, writing into a scratch folder or answering on the site's port.

Before the build forks, what it holds so far (the imported libraries, a million objects) is frozen out
of the garbage collector, as Python's documentation advises for fork without exec: the children's
pages stay shared, and no later collection scans those objects again, the one at exit included (a
fifth of a build of the real sources went to that last scan).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import multiprocessing
import os
import signal
from multiprocessing.context import ForkContext

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Call first thing in a forked process: be killed when the parent dies."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)


def fork_context() -> ForkContext:
    """The context to fork the build's helpers with, once what this process holds is frozen (see above)."""
    gc.freeze()
    return multiprocessing.get_context("fork")
