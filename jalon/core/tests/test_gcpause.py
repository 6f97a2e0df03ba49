import gc

import pytest

from jalon.core.gcpause import paused_collection
from jalon.core.yamlsource import FileProblems, read_yaml


def test_the_collector_is_paused_while_reading_and_resumes_after_an_error():
    seen = []
    with paused_collection():
        seen.append(gc.isenabled())
        with paused_collection():  # nested: still paused after the inner block
            pass
        seen.append(gc.isenabled())
    assert seen == [False, False] and gc.isenabled()
    with pytest.raises(FileProblems):
        read_yaml("a: [1, 2\n", "broken.yaml")
    assert gc.isenabled()
    gc.disable()  # a caller that had it off keeps it off
    try:
        read_yaml("a: 1\n", "fine.yaml")
        assert not gc.isenabled()
    finally:
        gc.enable()
