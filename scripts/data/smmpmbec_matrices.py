#!/usr/bin/env python3
"""One-off converter: the IEDB SMMPMBEC class I matrices in the epytope 4.0.1 wheel -> one cgtsafe data file.

    python3 -m venv /tmp/epy && /tmp/epy/bin/pip install -q epytope==4.0.1 numpy -e .   # a throwaway venv
    /tmp/epy/bin/python scripts/data/smmpmbec_matrices.py --out src/cgtsafe/data/smmpmbec_class1_matrices.tsv.gz
    /tmp/epy/bin/python scripts/data/smmpmbec_matrices.py --check 1000   # equality with epytope's predictor

cgtsafe's built-in HLA class I predictor (``cgtsafe.tcr.hla``) used to import these matrices from epytope
at run time, which made epytope and its dependencies (pyomo, PyMySQL, PyVCF3, requests, beautifulsoup4, ...)
part of every install. This script reads every module ``epytope.Data.pssms.smmpmbec.mat.<GENE>_<F1>_<F2>_<LEN>``
of the installed wheel (a dict ``{position: {residue: value}, -1: {"con": constant}}``; epytope's
``SMMPMBEC.predict`` gives IC50 nM = 10 ** (sum of the values of the peptide's residues + constant)) and
writes them as one gzip-compressed TSV:

* ``#`` header lines: source, citation, licence notes, how it was made;
* column line ``allele length position constant A C D E F G H I K L M N P Q R S T V W Y``;
* one row per allele x peptide length x position (1-based), sorted by locus, allele fields (numeric) and
  length; ``constant`` repeats the matrix's constant on each of its rows; each value is written as
  Python's shortest round-trip repr of the float epytope holds, so reading it back gives the same double.

The file is deterministic: fixed row order, ``\\n`` line ends, gzip level 9 with mtime 0 and no file name.
Its SHA-256 (of the decompressed TSV, independent of the zlib version) is recorded in
``src/cgtsafe/data/README_smmpmbec.md`` and in ``cgtsafe.tcr.hla.MATRIX_SHA256``, which verifies it on load.

``--check N`` compares, for every allele of the default panel (``cgtsafe.tcr.hla.CHINESE_PANEL``) plus
HLA-A*01:01 and HLA-B*27:03 (listed as supported by epytope 4.0.1 without any matrix module), N random
peptides of each length 8-11 (seed 20261205, uniform over the 20 residues) plus the 12 peptide/allele
pairs of ``tests/test_tcr_hla.py``: the IC50 of cgtsafe's predictor reading the shipped file must be
*bit-identical* (``==``) to ``EpitopePredictorFactory("smmpmbec").predict``; where the file has no matrix
for an allele and length, epytope must have made no prediction either (its result table then shows 1 nM,
``10 ** 0``, for that peptide when another length was predicted -- cgtsafe reports ``no_model``). It also
checks that every matrix of the file equals the module it came from, value for value.

Run on 2026-12-05 (epytope 4.0.1 in the worktree venv before it was removed from the dependencies, numpy 2.x,
CPython 3.11; 20 alleles x 4,006 peptides = 80,120 pairs; 1.5 s wall, 165 MB peak RSS):

    .venv/bin/python scripts/data/smmpmbec_matrices.py --check 1000

    matrices: 171 in the wheel = 171 in the file (81 alleles), every value identical
    compared 37,078 (allele, peptide) IC50 values: 37,078 bit-identical, 0 different
    no matrix: 43,042 (allele, peptide) pairs without a matrix in the file; epytope predicted none of them
    OK

(``--check 2500``: 92,578 bit-identical, 0 different; 107,542 pairs without a matrix, none predicted.)

Source data licence (as far as could be checked offline, 2026-12-05): epytope 4.0.1 is distributed under
BSD-3-Clause (``LICENSE.txt`` in the wheel; copyright 2020 Schubert, Walzer, Brachvogel, Szolek, Mohr,
Kohlbacher) and states no separate licence for its ``Data/pssms`` files; the matrices were trained by
IEDB (Kim et al. 2009 BMC Bioinformatics 10:394, open access) and distributed with the IEDB MHC class I
tools, whose command-line version is licensed to non-profit users under the Non-Profit Open Software
License 3.0, for-profit users being asked to contact license@iedb.org. See ``README_smmpmbec.md``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib
import io
import pkgutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

from cgtsafe.io.tables import atomic_path  # noqa: E402
from cgtsafe.tcr.peptide import AMINO_ACIDS  # noqa: E402

DEFAULT_OUT = ROOT / "src" / "cgtsafe" / "data" / "smmpmbec_class1_matrices.tsv.gz"
PACKAGE = "epytope.Data.pssms.smmpmbec.mat"
SEED = 20261205

HEADER = """\
# SMMPMBEC position-specific scoring matrices for HLA class I peptide binding (IC50, nM)
# method: Kim Y, Sidney J, Pinilla C, Sette A, Peters B. Derivation of an amino acid similarity matrix for
#   peptide:MHC binding and its application as a Bayesian prior. BMC Bioinformatics 2009;10:394.
#   doi:10.1186/1471-2105-10-394. Matrices trained and distributed by the Immune Epitope Database and
#   Analysis Resource (IEDB, www.iedb.org; Vita et al. 2010 Nucleic Acids Res 38:D854).
# taken from: epytope {version} (PyPI wheel, module epytope.Data.pssms.smmpmbec.mat; BSD-3-Clause; Schubert et
#   al. 2016 Bioinformatics 32:2044) by scripts/data/smmpmbec_matrices.py; values unchanged.
# licence: epytope (BSD-3-Clause) redistributes these matrices without a separate licence; the IEDB
#   command-line tools they come from are under the Non-Profit Open Software License 3.0 (for-profit users
#   are asked to contact license@iedb.org). Cite Kim et al. 2009 and the IEDB. See
#   cgtsafe/data/README_smmpmbec.md.
# model: log10(IC50 nM) = constant + sum over positions of the value of the residue at that position
#   (position 1-based; columns A..Y = residue). An allele/length without rows has no model.
"""


def _natural(allele_module: str) -> tuple:
    gene, f1, f2, length = allele_module.split("_")
    return gene, int(f1), int(f2), int(length)


def read_wheel() -> tuple[str, dict[tuple[str, int], tuple[list[list[float]], float]]]:
    """``(epytope version, {(allele, length): (values [position][residue in AMINO_ACIDS order], constant)})``."""
    from importlib.metadata import version

    pkg = importlib.import_module(PACKAGE)
    names = sorted((m.name for m in pkgutil.iter_modules(pkg.__path__)), key=_natural)
    out = {}
    for name in names:
        gene, f1, f2, length = name.split("_")
        length = int(length)
        d = getattr(importlib.import_module(f"{PACKAGE}.{name}"), name)
        if sorted(k for k in d if k != -1) != list(range(length)):
            raise SystemExit(f"{name}: positions {sorted(d)} do not match its length {length}")
        rows = []
        for i in range(length):
            if set(d[i]) != set(AMINO_ACIDS):
                raise SystemExit(f"{name}: position {i} has residues {sorted(d[i])}, expected the 20 standard ones")
            rows.append([float(d[i][aa]) for aa in AMINO_ACIDS])
        con = float(d[-1]["con"]) if -1 in d else 0.0
        out[(f"HLA-{gene}*{f1}:{f2}", length)] = (rows, con)
    return version("epytope"), out


def render(version: str, mats: dict) -> str:
    buf = io.StringIO()
    buf.write(HEADER.format(version=version))
    buf.write("\t".join(["allele", "length", "position", "constant", *AMINO_ACIDS]) + "\n")
    for (allele, length), (rows, con) in mats.items():
        for i, vals in enumerate(rows, start=1):
            buf.write("\t".join([allele, str(length), str(i), repr(con), *map(repr, vals)]) + "\n")
    return buf.getvalue()


def write(out: Path) -> None:
    version, mats = read_wheel()
    text = render(version, mats).encode("ascii")
    with atomic_path(out) as tmp, open(tmp, "wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="", compresslevel=9) as gz:
            gz.write(text)
    print(f"wrote {out}: {len(mats)} matrices, {len({a for a, _ in mats})} alleles, {out.stat().st_size:,} bytes")
    print(f"sha256 (decompressed TSV): {hashlib.sha256(text).hexdigest()}")
    print(f"sha256 (.gz file):         {hashlib.sha256(out.read_bytes()).hexdigest()}")


def check(n: int, path: Path) -> int:
    import random
    import warnings

    import numpy as np

    from cgtsafe.tcr.hla import CHINESE_PANEL, BuiltinPredictor, load_matrices

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from epytope.Core import Allele, Peptide
        from epytope.EpitopePrediction import EpitopePredictorFactory

    _, wheel = read_wheel()
    shipped = load_matrices(str(path))
    same = set(wheel) == set(shipped) and all(
        np.array_equal(np.array(wheel[k][0]), shipped[k][0]) and wheel[k][1] == shipped[k][1] for k in wheel)
    print(f"matrices: {len(wheel)} in the wheel = {len(shipped)} in the file ({len({a for a, _ in shipped})} "
          f"alleles), every value {'identical' if same else 'NOT identical'}")
    rng = random.Random(SEED)
    peps = sorted({"".join(rng.choice(AMINO_ACIDS) for _ in range(k)) for k in (8, 9, 10, 11) for _ in range(n)}
                  | {"EVDPIGHLY", "ESDPIVAQY", "KVAELVHFL", "KMAELVHFL", "NLVPMVATV", "GILGFVFTL"})
    ours = BuiltinPredictor(path)
    ref = EpitopePredictorFactory("smmpmbec")
    alleles = sorted({"HLA-A*01:01", "HLA-B*27:03", *CHINESE_PANEL})
    equal = differ = missing_ok = missing_bad = 0
    for allele in alleles:
        got = ours.predict(peps, allele)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # epytope warns about each length without a matrix
            try:
                col = ref.predict([Peptide(p) for p in peps], alleles=[Allele(allele)]).iloc[:, 0]
                want = {str(k).strip(): float(v) for k, v in col.items()}
            except ValueError:  # "No predictions could be made": no matrix for any length
                want = {}
        for p in peps:
            if got[p] is None:
                # no matrix in the file: the wheel has no module for it, and epytope's table shows no score
                # (NaN) or its filler 1 nM (10 ** 0) -- never a prediction
                w = want.get(p, float("nan"))
                if (allele, len(p)) not in wheel and (w != w or w == 1.0):
                    missing_ok += 1
                else:
                    missing_bad += 1
                    print(f"  no_model but epytope predicted: {allele} {p} {w}")
            elif got[p].affinity_nM == want.get(p):
                equal += 1
            else:
                differ += 1
                if differ <= 10:
                    print(f"  differ: {allele} {p} cgtsafe={got[p].affinity_nM!r} epytope={want.get(p)!r}")
    print(f"compared {equal + differ:,} (allele, peptide) IC50 values: {equal:,} bit-identical, {differ:,} different")
    print(f"no matrix: {missing_ok + missing_bad:,} (allele, peptide) pairs without a matrix in the file; "
          f"epytope predicted {'none' if not missing_bad else missing_bad} of them")
    ok = same and not differ and not missing_bad
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="data file to write (default: the shipped one)")
    ap.add_argument("--check", type=int, metavar="N", help="instead of writing: compare the file with epytope's "
                    "predictor on N random peptides per length 8-11")
    a = ap.parse_args(argv)
    if a.check:
        return check(a.check, a.out)
    write(a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
