"""Explicit editor specs in the amplicon table's `editor` column (PRESET, PRESET:FIRST-LAST, X>Y:FIRST-LAST,
PRESET:rt=N): parsing, one-line errors naming file and line, and their effect on the demo's CBE arm against its
truth table (test-data/sequencing/truth_editors.tsv: reads converted at protospacer C5, C7, C8)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from cgtsafe.errors import InputError
from cgtsafe.sitecheck.editors import parse_editor_spec
from cgtsafe.sitecheck.sheets import read_amplicons

ROOT = Path(__file__).resolve().parents[1]
SEQ = ROOT / "test-data" / "sequencing"
SHEET = ROOT / "test-data" / "demo" / "samples_amplicon.tsv"
PLANTED = ROOT / "test-data" / "offtarget" / "planted_sites.tsv"
CBE_AMP = "AMP_CBE_DEMO_g2_chr2_101191"


@pytest.mark.parametrize("spec,name,kind,conversion,window,reach", [
    ("CBE", "CBE", "base", ("C", "T"), (4, 8), 20),
    ("BE4max:3-9", "CBE", "base", ("C", "T"), (3, 9), 20),
    ("ABE8e: 4 - 7", "ABE8e", "base", ("A", "G"), (4, 7), 20),
    ("C>G:4-8", "C>G", "base", ("C", "G"), (4, 8), 20),
    ("a>g:5-7", "A>G", "base", ("A", "G"), (5, 7), 20),
    ("PE2:rt=13", "PE", "prime", ("", ""), (0, 0), 13),
    ("SpCas9", "nuclease", "nuclease", ("", ""), (0, 0), 20),
])
def test_parse_editor_spec(spec, name, kind, conversion, window, reach):
    e = parse_editor_spec(spec)
    assert (e.name, e.kind, e.conversion, e.window, e.reach) == (name, kind, conversion, window, reach)


@pytest.mark.parametrize("spec,why", [("CBE:4", "cannot read '4'"), ("CBE:8-4", "within 1..20"),
                                      ("CBE:0-8", "within 1..20"), ("PE:4-8", "base editors only"),
                                      ("nuclease:rt=5", "prime editors only"), ("C>C:4-8", "two different bases"),
                                      ("C>T", "a window"), ("BE9", "unknown editor 'BE9'")])
def test_bad_spec_names_the_expected_forms(spec, why):
    with pytest.raises(InputError, match="expected PRESET") as exc:
        parse_editor_spec(spec)
    assert why in str(exc.value) and "CBE:4-8" in str(exc.value) and "\n" not in str(exc.value)


def _table(tmp_path: Path, editor: str) -> Path:
    df = pd.read_csv(SEQ / "amplicons.tsv", sep="\t", dtype=str, keep_default_na=False)
    df.loc[df["amplicon"].str.startswith("AMP_CBE"), "editor"] = editor
    out = tmp_path / f"amplicons_{abs(hash(editor))}.tsv"
    df.to_csv(out, sep="\t", index=False)
    return out


def test_bad_spec_in_the_table_is_one_line_with_file_and_line(tmp_path, capsys):
    if not (SEQ / "amplicons.tsv").exists():
        pytest.skip("test-data/sequencing absent")
    from cgtsafe.cli import main

    t = _table(tmp_path, "CBE:4")
    with pytest.raises(InputError) as exc:
        read_amplicons(t)
    line = 2 + list(pd.read_csv(t, sep="\t")["amplicon"]).index(CBE_AMP)
    assert f"{t}, line {line}: amplicon {CBE_AMP}: column editor: cannot read '4'" in str(exc.value)
    out = tmp_path / "c.tsv"
    rc = main(["sitecheck", "quantify-amplicon", "--sheet", str(SHEET), "--sample", "CBE_EDITED_D1", "--amplicons",
               str(t), "--sites", str(PLANTED), "--out", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2 and len(err) == 1 and "column editor" in err[0] and "expected PRESET" in err[0]
    assert not out.exists()


def _counts(tmp_path: Path, editor: str) -> pd.Series:
    from cgtsafe.cli import main

    out = tmp_path / f"c_{abs(hash(editor))}.tsv"
    assert main(["sitecheck", "quantify-amplicon", "--sheet", str(SHEET), "--sample", "CBE_EDITED_D1", "--amplicons",
                 str(_table(tmp_path, editor)), "--sites", str(PLANTED), "--out", str(out)]) == 0
    df = pd.read_csv(out, sep="\t", keep_default_na=False)
    return df.set_index("amplicon").loc[CBE_AMP]


def test_explicit_window_and_conversion_against_the_truth(tmp_path):
    """CBE:4-6 keeps only the C5 conversions (C7, C8 lie outside); C>T:4-8 is the CBE preset; the counts
    match the planted truth within binomial tolerance."""
    if not (SEQ / "truth_editors.tsv").exists():
        pytest.skip("test-data/sequencing absent")
    truth = pd.read_csv(SEQ / "truth_editors.tsv", sep="\t").set_index(["sample", "amplicon"]).loc[
        ("CBE_EDITED_D1", CBE_AMP)]
    n = int(truth["reads"])

    def close(got, want, extra=0.003):
        p = max(want, 1) / n
        assert abs(got - want) / n <= 4 * math.sqrt(p * (1 - p) / n) + extra, (got, want)

    preset, narrow, by_conv = _counts(tmp_path, "CBE"), _counts(tmp_path, "CBE:4-6"), _counts(tmp_path, "C>T:4-8")
    assert narrow["counted_event"] == "indel or C>T at protospacer 4-6"
    conv = dict(x.split(":") for x in narrow["conversions"].split(";"))
    assert set(conv) == {"C5"}
    close(int(conv["C5"]), int(truth["converted_C5"]))
    # reads converted only at C7/C8 are no longer events: events <= the preset's, and >= C5 + indels
    assert int(narrow["events"]) < int(preset["events"])
    close(int(narrow["events"]) - int(narrow["indel"]), int(truth["converted_C5"]), extra=0.01)
    # the same editor written by its conversion and window counts exactly what the preset counts
    assert (by_conv["events"], by_conv["conversions"]) == (preset["events"], preset["conversions"])
