"""core.ranges.byte_range: the Range header read as RFC 9110 §14 says, for a file of 1,000 bytes."""

import pytest

from core.ranges import byte_range


@pytest.mark.parametrize("header,expected", [
    ("bytes=0-99", range(0, 100)),
    ("bytes=900-", range(900, 1000)),
    ("bytes=900-5000", range(900, 1000)),      # an end past the file: up to its end
    ("bytes=-100", range(900, 1000)),          # the last 100 bytes
    ("bytes=-5000", range(0, 1000)),           # more than the file: all of it, as a part
    ("bytes=999-999", range(999, 1000)),
    (" bytes=0-0 ", range(0, 1)),
])
def test_a_range_the_file_holds(header, expected):
    assert byte_range(header, 1000) == expected


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=5000-6000", "bytes=-0"])
def test_a_range_past_the_end_is_empty(header):
    """Empty: nothing of the file can be sent (416)."""
    wanted = byte_range(header, 1000)
    assert wanted is not None and len(wanted) == 0


@pytest.mark.parametrize("header", [None, "", "bytes=", "bytes=-", "bytes=5-1", "items=0-9", "bytes=0-1,5-9",
                                    "bytes=a-b", "bytes=0x10-", "bytes 0-9"])
def test_no_range_or_one_that_makes_no_sense_is_the_whole_file(header):
    assert byte_range(header, 1000) is None


def test_an_empty_file_has_no_part_to_give():
    assert len(byte_range("bytes=0-", 0)) == 0 and len(byte_range("bytes=-10", 0)) == 0
