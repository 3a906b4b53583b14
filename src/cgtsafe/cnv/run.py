"""``cgtsafe cnv call``: edited and control WGS -> binned log ratios, segments with calls, cut-site-distal loss
tests and limits of detection (tables only; see :mod:`cgtsafe.cnv.segment` for the statistics).

Outputs (``--outdir``; coordinates 0-based, end exclusive)
  ``bins.tsv``        ``chrom start end gc n_fraction edited control edited_gc control_gc log2_ratio used``
  ``segments.tsv``    ``chrom start end n_bins mean_log2 se z call cell_fraction cell_fraction_low cell_fraction_high
                      recurrent_region`` (named iPSC culture gain overlapped, :mod:`cgtsafe.cnv.regions`)
  ``run.json``        bin size, noise sigma, centring offset, call threshold, recurrent regions this genome can show
  ``cut_distal.tsv``  per on-target cut and side: ``name chrom cut side start end n_bins mean_log2 cell_fraction
                      cell_fraction_low cell_fraction_high p_loss detectable_loss status``
  ``lod.tsv``         ``segment_bp n_bins detectable_loss detectable_gain`` (80 % power at the call threshold)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cgtsafe.errors import InputError

#: segment sizes of the limit-of-detection table (those longer than the longest contig are left out)
LOD_SIZES = (100_000, 500_000, 1_000_000, 5_000_000, 10_000_000, 50_000_000)


def parse_cut(text: str) -> tuple[str, str, int]:
    name, _, rest = text.partition("=")
    chrom, _, pos = rest.rpartition(":")
    if not name or not chrom or not pos.isdigit():
        raise InputError(f"--cut: expected NAME=CHROM:POS (0-based base right of the break), got {text!r}")
    return name, chrom, int(pos)


def on_target_cuts(path: str | Path) -> list[tuple[str, str, int]]:
    """Cuts of the on-target rows (0 mismatches, no bulge) of an offtarget sites table."""
    from cgtsafe.io.tables import read_table

    need = ("guide", "chrom", "mismatches", "dna_bulge", "rna_bulge", "cut_start")
    df = read_table(path, required=need, what="sites table")
    out = []
    for line, r in enumerate(df.itertuples(index=False), 2):
        try:
            edits = (int(r.mismatches), int(r.dna_bulge), int(r.rna_bulge))
            cut = int(r.cut_start)
        except ValueError:
            raise InputError("expected integer mismatches, dna_bulge, rna_bulge, cut_start", path=path,
                             line=line) from None
        if edits == (0, 0, 0):
            out.append((str(r.guide), str(r.chrom), cut))
    return sorted(set(out))


BAF_COLUMNS = ["baf_sites", "baf_shift", "baf_shift_low", "baf_shift_high", "baf_p", "baf_cell_fraction",
               "baf_cell_fraction_low", "baf_cell_fraction_high", "baf_status"]


def _baf_sites(edited, control, reference, lengths, *, snps, min_mapq, min_baseq, het_min_depth, baf_min_depth):
    """Per het site of the control: allele counts in both samples (sites with edited depth >= baf_min_depth)."""
    import pandas as pd

    from cgtsafe.cnv.baf import BASES, allele_counts, discover_hets, read_snps

    hets, _ = discover_hets(control, reference, lengths, snps=read_snps(snps) if snps else None,
                            min_depth=het_min_depth, min_mapq=min_mapq, min_baseq=min_baseq)
    a, n = allele_counts(edited, reference, hets, min_mapq=min_mapq, min_baseq=min_baseq)
    df = pd.DataFrame({"chrom": hets.chrom.astype(str), "pos": hets.pos,
                       "allele1": [BASES[i] for i in hets.allele1], "allele2": [BASES[i] for i in hets.allele2],
                       "control_allele2": hets.control_a, "control_depth": hets.control_n,
                       "edited_allele2": a, "edited_depth": n})
    df = df[df["edited_depth"] >= baf_min_depth].reset_index(drop=True)
    df["edited_baf"] = df["edited_allele2"] / df["edited_depth"]
    return df


def _baf_columns(bafs, chrom, start, end, call, min_sites, alpha) -> dict:
    from cgtsafe.cnv.baf import fraction_from_shift, imbalance, status

    if bafs is None:
        return dict.fromkeys(BAF_COLUMNS[:-1], float("nan")) | {"baf_status": "not assessed (BAF switched off)"}
    sel = (bafs["chrom"].to_numpy() == chrom) & (bafs["pos"].to_numpy() >= start) & (bafs["pos"].to_numpy() < end)
    imb = imbalance(bafs["edited_allele2"].to_numpy()[sel], bafs["edited_depth"].to_numpy()[sel])
    kind = call if call in ("loss", "gain") else "loss"
    fr = [fraction_from_shift(v, kind) for v in (imb.shift, imb.low, imb.high)]
    if imb.n_sites < min_sites:
        fr = [float("nan")] * 3
    return {"baf_sites": imb.n_sites, "baf_shift": imb.shift, "baf_shift_low": imb.low, "baf_shift_high": imb.high,
            "baf_p": imb.p, "baf_cell_fraction": fr[0], "baf_cell_fraction_low": fr[1],
            "baf_cell_fraction_high": fr[2], "baf_status": status(imb, call, min_sites, alpha)}


def run_call(edited: str, control: str, reference: str, outdir: str | Path, *, cuts=(), bin_size: int | None = None,
             target_reads: int = 1000, min_mapq: int = 20, max_n: float = 0.1, alpha: float = 0.01,
             n_perm: int = 200, seed: int = 1, genes: str | None = None, mappability: str | None = None,
             min_mappability: float = 0.5, centromeres: str | None = None, build: str | None = None,
             regions: str | None = None, baf: bool = True, snps: str | None = None, het_min_depth: int = 20,
             baf_min_depth: int = 10, baf_min_sites: int = 20, min_baseq: int = 20) -> dict:
    import pandas as pd

    from cgtsafe.cnv.depth import bin_composition, bin_counts
    from cgtsafe.cnv.segment import (bonferroni_z, call_genome, cut_distal_tests, detectable_fraction, gc_correct,
                                     log_ratio, noise_sigma, reference_se)
    from cgtsafe.io.fasta import read_fasta
    from cgtsafe.io.tables import write_table

    from cgtsafe.cnv.regions import arm_of, arm_table, centromeres_for, covered, flag, gene_spans, read_regions

    cen, cen_source = centromeres_for(build, centromeres)
    named = read_regions(regions) if regions else []
    anchors = {}
    if genes:
        from cgtsafe.io.annotation import read_transcripts

        anchors = gene_spans(read_transcripts(genes))
    genome = read_fasta(reference)
    lengths = {k: len(v) for k, v in genome.items()}
    for name, chrom, pos in cuts:
        if chrom not in lengths or not 0 < pos < lengths[chrom]:
            raise InputError(f"--cut {name}: {chrom}:{pos} is not inside a contig of the reference")
    fine = 1000
    e1 = bin_counts(edited, reference, lengths, fine, min_mapq)
    c1 = bin_counts(control, reference, lengths, fine, min_mapq)
    total = sum(float(v.sum()) for v in e1.values())
    if total == 0:
        raise InputError("no usable reads (mapped, primary, MAPQ >= min_mapq)", path=edited)
    if bin_size is None:
        bin_size = int(max(fine, np.ceil(target_reads * sum(lengths.values()) / total / fine) * fine))
    k = bin_size // fine
    comp = bin_composition(genome, bin_size)
    rows = {c: [] for c in ("chrom", "start", "end", "gc", "n_fraction", "edited", "control")}
    for c, length in lengths.items():
        nb = -(-length // bin_size)
        pad = nb * k
        e = np.pad(e1[c], (0, pad - e1[c].size)).reshape(nb, k).sum(axis=1)
        ct = np.pad(c1[c], (0, pad - c1[c].size)).reshape(nb, k).sum(axis=1)
        st = np.arange(nb) * bin_size
        rows["chrom"] += [c] * nb
        rows["start"] += st.tolist()
        rows["end"] += np.minimum(st + bin_size, length).tolist()
        rows["gc"] += comp[c][0].tolist()
        rows["n_fraction"] += comp[c][1].tolist()
        rows["edited"] += e.tolist()
        rows["control"] += ct.tolist()
    b = pd.DataFrame(rows)
    full = (b["end"] - b["start"]).to_numpy() == bin_size
    used = full & (b["n_fraction"].to_numpy() <= max_n) & (b["control"].to_numpy() > 0) & np.isfinite(b["gc"])
    if mappability:
        from cgtsafe.cnv.depth import bin_mappability

        mp = bin_mappability(mappability, lengths, bin_size)
        b["mappability"] = np.concatenate([mp[c] for c in lengths])
        used &= b["mappability"].to_numpy() >= min_mappability
    gc = b["gc"].fillna(0).to_numpy()
    fit = used.copy()
    for rnd in range(2):  # second round: GC strata fitted on the bins outside called segments
        b["edited_gc"] = gc_correct(b["edited"].to_numpy(), gc, used, fit=fit)
        b["control_gc"] = gc_correct(b["control"].to_numpy(), gc, used, fit=fit)
        x = log_ratio(b["edited_gc"].to_numpy(), b["control_gc"].to_numpy())
        sigma = noise_sigma(x)
        if not np.isfinite(sigma) or sigma <= 0:
            raise InputError("too few usable bins to estimate the noise (genome too small for the bin size?)")
        xs, starts, ends = {}, {}, {}
        for c in lengths:
            sel = (b["chrom"].to_numpy() == c) & np.isfinite(x)
            if sel.sum() >= 2:
                xs[c], starts[c], ends[c] = x[sel], b["start"].to_numpy()[sel], b["end"].to_numpy()[sel]
        calls, offset = call_genome(xs, starts, ends, sigma, alpha=alpha, n_perm=n_perm, seed=seed)
        fit = used.copy()
        for sg in calls:
            if sg.call != "neutral":
                fit &= ~((b["chrom"].to_numpy() == sg.chrom) & (b["start"].to_numpy() >= sg.start)
                         & (b["end"].to_numpy() <= sg.end))
    x = x - offset
    ref_se = reference_se(calls, sigma)
    b["log2_ratio"] = x
    b["used"] = np.where(np.isfinite(x), "yes", "no")
    bafs = _baf_sites(edited, control, reference, lengths, snps=snps, min_mapq=min_mapq, min_baseq=min_baseq,
                      het_min_depth=het_min_depth, baf_min_depth=baf_min_depth) if baf else None
    seg = pd.DataFrame([{"chrom": s.chrom, "start": s.start, "end": s.end, "n_bins": s.n_bins, "mean_log2": s.mean,
                         "se": s.se, "z": s.z, "call": s.call, "cell_fraction": s.fraction,
                         "cell_fraction_low": s.fraction_low, "cell_fraction_high": s.fraction_high,
                         "arm": arm_of(s.chrom, s.start, s.end, cen),
                         "recurrent_region": flag(s.chrom, s.start, s.end, s.call, anchors, cen, named),
                         **_baf_columns(bafs, s.chrom, s.start, s.end, s.call, baf_min_sites, alpha / max(1, len(calls)))}
                        for s in calls])
    dist = []
    for name, chrom, pos in cuts:
        sel = (b["chrom"].to_numpy() == chrom)
        for d in cut_distal_tests(chrom, pos, b["start"].to_numpy()[sel], b["end"].to_numpy()[sel], x[sel], sigma,
                                  lengths[chrom], alpha=alpha, ref_se=ref_se):
            dist.append({"name": name, "chrom": chrom, "cut": pos, "side": d.side, "start": d.start, "end": d.end,
                         "n_bins": d.n_bins, "mean_log2": d.mean, "cell_fraction": d.fraction,
                         "cell_fraction_low": d.fraction_low, "cell_fraction_high": d.fraction_high,
                         "p_loss": d.p_loss, "detectable_loss": d.detectable_loss, "status": d.status,
                         **_baf_columns(bafs, chrom, d.start, d.end,
                                        "loss" if d.status == "loss detected" else "neutral", baf_min_sites, alpha)})
    z = bonferroni_z(alpha, max(1, len(calls)))
    lod = []
    for size in LOD_SIZES:
        n = size // bin_size
        if n >= 1 and size <= max(lengths.values()):
            lo, ga = detectable_fraction(int(n), sigma, z, ref_se)
            lod.append({"segment_bp": size, "n_bins": int(n), "detectable_loss": lo, "detectable_gain": ga})
    outdir = Path(outdir)
    write_table(b, outdir / "bins.tsv")
    write_table(seg, outdir / "segments.tsv")
    write_table(pd.DataFrame(dist, columns=["name", "chrom", "cut", "side", "start", "end", "n_bins", "mean_log2",
                                            "cell_fraction", "cell_fraction_low", "cell_fraction_high", "p_loss",
                                            "detectable_loss", "status", *BAF_COLUMNS]), outdir / "cut_distal.tsv")
    arms = arm_table(b["chrom"].to_numpy(), b["start"].to_numpy(), b["end"].to_numpy(), x, lengths, cen, calls,
                     sigma, z)
    write_table(pd.DataFrame(arms, columns=["chrom", "arm", "start", "end", "n_bins", "mean_log2", "se", "z", "call",
                                            "cell_fraction", "gain_share", "loss_share", "arm_level", "name"]),
                outdir / "arms.tsv")
    if bafs is not None:
        write_table(bafs, outdir / "baf.tsv")
    write_table(pd.DataFrame(lod, columns=["segment_bp", "n_bins", "detectable_loss", "detectable_gain"]),
                outdir / "lod.tsv")
    from cgtsafe.io.tables import write_json

    info = {"bin_size": bin_size, "sigma": sigma, "offset": offset, "z": z, "reference_se": ref_se,
            "recurrent_regions_covered": covered(lengths, anchors, cen, named),
            "centromeres": cen_source, "mappability": str(mappability or ""),
            "bins_used": int(used.sum()), "bins_total": int(used.size),
            "baf": ({"het_sites": int(len(bafs)), "sites_from": str(snps) if snps else "discovered in the control",
                     "het_min_depth": het_min_depth, "baf_min_depth": baf_min_depth, "min_sites": baf_min_sites}
                    if bafs is not None else None)}
    write_json(outdir / "run.json", info)
    return info
