"""Freed temporaries are reused: an explained estimate does not page-fault them anew."""

from __future__ import annotations

import subprocess
import sys

import pytest

from model.allocator import keep_freed_memory

# In a fresh process (this one's thresholds were raised by earlier tests): the minor page
# faults of 20 calls that each hold five arrays of 8 MB at once, as a chunk of rows does.
PROBE = """
import resource, sys
import numpy as np
from model.allocator import keep_freed_memory
if sys.argv[1] == "kept":
    assert keep_freed_memory()
def call():
    blocks = [np.ones(1 << 20) for _ in range(5)]
    del blocks
call()  # once, so that both runs start from a heap that held them
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(20):
    call()
print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def _faults(mode: str) -> int:
    run = subprocess.run(
        [sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True
    )
    return int(run.stdout)


@pytest.mark.skipif(not keep_freed_memory(), reason="not glibc: no mallopt")
def test_freed_blocks_of_a_few_megabytes_are_reused_without_page_faults():
    pages_per_block = (8 << 20) // 4096
    # glibc's defaults: the freed blocks go back to the system, and come back as new pages.
    assert _faults("default") > 20 * pages_per_block
    assert _faults("kept") < pages_per_block
