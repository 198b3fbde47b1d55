"""Forked helper processes (the build's casting and writing helpers, the site's workers) die with the
process that forked them, even when it is killed outright (SIGKILL), so none is left behind holding the
build's lock, writing into a scratch folder or answering on the site's port."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal

_PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Call first thing in a forked process: be killed when the parent dies."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)
