"""Python's cycle collector paused while a file is read and its figures are checked,
and while a plan is evaluated.

Reading a large file builds hundreds of thousands of small objects that stay alive until
the import ends; each time the collector runs it walks all of them again, so its cost
grows with the square of the file (a 100,000-figure YAML file: 8 s to compose with it,
1.2 s without; an evaluation at 1M figures spends 5 to 9 % of its time in it). What
they build holds no cycles to collect: reference counting frees it all the same, and
the collector resumes where it was left.
"""

import contextlib
import gc


@contextlib.contextmanager
def paused_collection():
    """Pause the cycle collector for the block (nested blocks: the outermost resumes it)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
