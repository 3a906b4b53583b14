#!/usr/bin/env python3
"""Regenerate test-data/ (synthetic inputs + truth tables) byte-identically from a fixed seed.

    python scripts/make_test_data.py [--out test-data] [--seed 20261121] [--only genome,sequencing,...]

Order: genome (genome, genes, guides, planted off-target sites, donor VCF, animal genome), then
sequencing (WGS BAMs, amplicon reads), integration (LAM/LM-PCR reads), tcr (proteome), imported, antigen (demo IHC table), vector
(synthetic transfer-vector constructs), guideseq (GUIDE-seq-like reads). Each module
in scripts/testdata/ exposes ``generate(outdir, ctx)``. At the end ``MANIFEST.sha256`` lists the
SHA-256 of every generated file (the hand-written demo config in ``demo/`` is not listed); ``tests/test_testdata.py`` regenerates into a temporary folder and compares.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

SEED = 20261121
STEPS = ("genome", "sequencing", "integration", "tcr", "imported", "antigen", "vector", "guideseq")


def manifest(outdir: Path) -> str:
    lines = []
    for p in sorted(q for q in outdir.rglob("*") if q.is_file() and q.name != "MANIFEST.sha256"
                    and q.relative_to(outdir).parts[0] != "demo"):
        h = hashlib.sha256(p.read_bytes()).hexdigest()
        lines.append(f"{h}  {p.relative_to(outdir).as_posix()}")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(HERE.parent / "test-data"))
    ap.add_argument("--seed", type=int, default=SEED)
    ap.add_argument("--only", default=",".join(STEPS), help="comma-separated steps (genome is always run)")
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    steps = [s for s in STEPS if s in args.only.split(",")]
    t0 = time.time()
    genome_mod = importlib.import_module("testdata.genome")
    ctx = genome_mod.generate(out, args.seed)
    print(f"genome: {time.time() - t0:.1f}s", file=sys.stderr)
    for step in steps:
        if step == "genome":
            continue
        t1 = time.time()
        mod = importlib.import_module(f"testdata.{step}")
        mod.generate(out, ctx)
        print(f"{step}: {time.time() - t1:.1f}s", file=sys.stderr)
    readme = (HERE / "testdata" / "README.template.md").read_text()
    others = sorted(p.parent.name for p in out.glob("*/README.md"))
    if others:
        readme += "\n## Other folders\n" + "".join(f"- [{d}/]({d}/README.md)\n" for d in others)
    (out / "README.md").write_text(readme)
    (out / "MANIFEST.sha256").write_text(manifest(out))
    print(f"test data written to {out} in {time.time() - t0:.1f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
