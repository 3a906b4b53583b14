"""Fragment-table validation and the junction-merging rule (cgtsafe.integration.fragments)."""

from __future__ import annotations

import pandas as pd
import pytest

from cgtsafe.errors import InputError
from cgtsafe.integration.fragments import fragment_lengths, merge_sites, read_fragments

HEADER = "sample\tchrom\tposition\tstrand\tbreakpoint\tumi\treads\n"


def _write(tmp_path, body, header=HEADER):
    p = tmp_path / "fragments.tsv"
    p.write_text(header + body)
    return p


@pytest.mark.parametrize(
    "body, expect",
    [
        ("S1\tchr1\t100\t*\t300\tA\t2\n", r"fragments.tsv, line 2: column strand: expected \+ or -"),
        ("S1\tchr1\t100\t+\t300\tA\t2\nS1\tchr1\tx\t+\t300\tA\t2\n", r"line 3: column position: expected a positive"),
        ("S1\tchr1\t0\t+\t300\tA\t2\n", r"line 2: column position"),
        ("S1\tchr1\t100\t+\t30.5\tA\t2\n", r"line 2: column breakpoint"),
        ("S1\tchr1\t100\t+\t300\tA\t-1\n", r"line 2: column reads: expected a non-negative integer"),
        ("S 1\tchr1\t100\t+\t300\tA\t2\n", r"line 2: sample 'S 1' is not a safe name"),
        ("S1\t\t100\t+\t300\tA\t2\n", r"line 2: column chrom is empty"),
    ],
)
def test_bad_rows_raise_one_line_errors(tmp_path, body, expect):
    with pytest.raises(InputError, match=expect) as exc:
        read_fragments(_write(tmp_path, body))
    assert "\n" not in str(exc.value)


def test_missing_column_is_named(tmp_path):
    p = _write(tmp_path, "S1\tchr1\t100\t+\n", header="sample\tchrom\tposition\tstrand\n")
    with pytest.raises(InputError, match="lacks column\\(s\\) breakpoint"):
        read_fragments(p)


def test_optional_columns_default(tmp_path):
    p = _write(tmp_path, "S1\tchr1\t100\t+\t300\n", header="sample\tchrom\tposition\tstrand\tbreakpoint\n")
    df = read_fragments(p)
    assert list(df.columns) == ["sample", "chrom", "position", "strand", "breakpoint", "umi", "reads", "replicate"]
    assert df.loc[0, "umi"] == "" and df.loc[0, "reads"] == 0 and df.loc[0, "replicate"] == ""


def _frags(rows):
    return pd.DataFrame(rows, columns=["sample", "chrom", "position", "strand", "breakpoint", "umi", "reads"])


@pytest.mark.parametrize(
    "rows, subjects, expected",
    [
        # 3 fragments at 1000, 1 at 1004 -> merged at 1000 (most fragments)
        ([("A", "c", 1000, "+", 1200, "", 1), ("A", "c", 1000, "+", 1300, "", 1), ("A", "c", 1000, "+", 1400, "", 1),
          ("A", "c", 1004, "+", 1500, "", 1)], {"A": "P"}, [1000, 1000, 1000, 1000]),
        # 6 bp apart: not merged
        ([("A", "c", 1000, "+", 1200, "", 1), ("A", "c", 1006, "+", 1300, "", 1)], {"A": "P"}, [1000, 1006]),
        # tie (1 fragment each) -> smallest position wins
        ([("A", "c", 1003, "+", 1200, "", 1), ("A", "c", 1000, "+", 1300, "", 1)], {"A": "P"}, [1000, 1000]),
        # opposite strands never merge
        ([("A", "c", 1000, "+", 1200, "", 1), ("A", "c", 1001, "-", 800, "", 1)], {"A": "P"}, [1000, 1001]),
        # same subject, different samples: merged across samples (B has the majority)
        ([("A", "c", 1000, "+", 1200, "", 1), ("B", "c", 1002, "+", 1300, "", 1), ("B", "c", 1002, "+", 1400, "", 1)],
         {"A": "P", "B": "P"}, [1002, 1002, 1002]),
        # different subjects: not merged
        ([("A", "c", 1000, "+", 1200, "", 1), ("B", "c", 1002, "+", 1300, "", 1), ("B", "c", 1002, "+", 1400, "", 1)],
         {"A": "P", "B": "Q"}, [1000, 1002, 1002]),
        # chain 1000(2) 1004(1) 1008(3): 1008 absorbs 1004 first, 1000 stays (greedy from the largest)
        ([("A", "c", 1000, "+", 1200, "", 1), ("A", "c", 1000, "+", 1201, "", 1), ("A", "c", 1004, "+", 1300, "", 1),
          ("A", "c", 1008, "+", 1400, "", 1), ("A", "c", 1008, "+", 1401, "", 1), ("A", "c", 1008, "+", 1402, "", 1)],
         {"A": "P"}, [1000, 1000, 1008, 1008, 1008, 1008]),
    ],
)
def test_merge_rule(rows, subjects, expected):
    out = merge_sites(_frags(rows), subjects, merge_distance=5)
    assert list(out["site_position"]) == expected


def test_duplicate_breakpoints_count_once_for_the_merge_vote():
    # 1000 has two rows with the same breakpoint (two UMIs) = 1 unique fragment; 1003 has 2 -> 1003 wins
    rows = [("A", "c", 1000, "+", 1200, "AAA", 1), ("A", "c", 1000, "+", 1200, "CCC", 1),
            ("A", "c", 1003, "+", 1300, "", 1), ("A", "c", 1003, "+", 1400, "", 1)]
    out = merge_sites(_frags(rows), {"A": "P"}, merge_distance=5)
    assert set(out["site_position"]) == {1003}


def test_fragment_length_is_inclusive_distance_to_merged_junction():
    rows = [("A", "c", 1000, "+", 1199, "", 1), ("A", "c", 1000, "-", 801, "", 1)]
    out = merge_sites(_frags(rows), {"A": "P"}, merge_distance=5)
    assert list(fragment_lengths(out)) == [200, 200]


def test_negative_merge_distance_rejected():
    with pytest.raises(InputError, match="merge_distance"):
        merge_sites(_frags([("A", "c", 1, "+", 5, "", 1)]), {}, merge_distance=-1)
