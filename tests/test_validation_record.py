"""The shipped real-data validation record (src/cgtsafe/data/validation_record.json) and its loader.

CI re-runs ``cgtsafe validate-reference --compare`` on ../shared/data and fails when the shipped record is
not this version's; here: the record is loadable, belongs to this version, every figure passed, and its
reference-data checksums are those of the files in ../shared/data (independent SHA-256 over the files).
"""

from __future__ import annotations

import copy
import hashlib

import pytest

from cgtsafe import __version__
from cgtsafe.errors import InputError
from cgtsafe.validation.record import RECORD_FORMAT, SHIPPED_RECORD, load_reference_record, same_figures


def test_shipped_record_loads_and_is_this_version():
    rec = load_reference_record()
    assert rec is not None and rec["format"] == RECORD_FORMAT and SHIPPED_RECORD.is_file()
    assert rec["cgtsafe_version"] == __version__
    assert rec["summary"]["records"] == len(rec["records"]) >= 10 and rec["summary"]["failed"] == 0
    analyses = {r["analysis"] for r in rec["records"]}
    assert {"offtarget", "sitecheck", "integration", "tcr"} <= analyses
    for r in rec["records"]:
        assert {"analysis", "metric", "value", "reference", "n", "source", "passed"} <= set(r)


def test_shipped_checksums_match_reference_data(shared_data):
    rec = load_reference_record()
    for f in rec["reference_data"]["files"]:
        p = shared_data / f["path"]
        if not p.is_file():
            pytest.skip(f"reference data differs from the record's (absent: {p})")
        assert hashlib.sha256(p.read_bytes()).hexdigest() == f["sha256"], f["path"]


def test_same_figures_detects_changes():
    rec = load_reference_record()
    assert same_figures(rec, copy.deepcopy(rec)) == []
    other = copy.deepcopy(rec)
    other["records"][0]["value"] = -1
    other["reference_data"]["files"][0]["sha256"] = "0" * 64
    diffs = same_figures(rec, other)
    assert len(diffs) == 2 and any(d.startswith("figure ") for d in diffs)


def test_loader_rejects_non_records(tmp_path):
    bad = tmp_path / "r.json"
    bad.write_text('{"records": []}')
    with pytest.raises(InputError, match="not a cgtsafe-validation-record/1"):
        load_reference_record(bad)
    with pytest.raises(InputError, match="validation record not found"):
        load_reference_record(tmp_path / "absent.json")
