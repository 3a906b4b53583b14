"""The fragments -> evidence step runners of ``cgtsafe integration`` (one per workflow rule): each reads its
inputs, calls the domain modules and writes its tables atomically.

Output tables (all TSV, sorted; positions **1-based**):

``sites.tsv``        sample chrom position strand fragments abundance relative_abundance nearest_gene
                     tss_distance gene_of_concern + subject umis reads sonic and the other annotation
                     columns of :mod:`cgtsafe.integration.annotate`
``clonality.tsv``    see :mod:`cgtsafe.integration.clonality`
``collisions.tsv``   sites seen in more than one subject, what was kept/removed and by which rule
                     (:mod:`cgtsafe.integration.collisions`)
``replicate_abundance.tsv``  per (sample, replicate, site) fragments, sonic estimate and share of that
                     replicate alone, next to the pooled replicate-mode estimate and share
                     (:func:`cgtsafe.integration.abundance.replicate_abundance`)
``enrichment.tsv``   see :mod:`cgtsafe.integration.enrichment`; ``random_controls.tsv`` the annotated controls
``cis_regions.tsv``, ``cis_genes.tsv``  see :mod:`cgtsafe.integration.cis`
``trajectories.tsv``, ``expansion.tsv``, ``isa_matrix.tsv``  see :mod:`cgtsafe.integration.longitudinal`
``isa_seqCount_matrix.tsv``, ``isa_fragmentEstimate_matrix.tsv``, ``isa_association_file.tsv``  ISAnalytics
                     export, see :mod:`cgtsafe.integration.isanalytics`
``fig_trajectories.json``, ``fig_stacked.json``  plotly figures
``summary.json``     :func:`cgtsafe.integration.summarize.build_summary`
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from cgtsafe.errors import InputError
from cgtsafe.io.tables import read_table, write_json, write_table

SITE_COLUMNS = ["sample", "chrom", "position", "strand", "fragments", "abundance", "relative_abundance",
                "nearest_gene", "tss_distance", "gene_of_concern", "subject", "umis", "reads", "sonic",
                "gene_distance", "nearest_gene_strand", "tss_gene", "feature", "in_gene", "gene_strand",
                "gene_orientation", "goc_distance", "goc_window"]
SITE_INT = ("position", "fragments", "umis", "reads", "gene_distance", "in_gene", "goc_distance", "goc_window")
SITE_FLOAT = ("abundance", "relative_abundance", "sonic", "tss_distance")


def _sample_list(frags: pd.DataFrame, sheet: pd.DataFrame | None, fragments_path) -> list[str]:
    found = sorted(set(frags["sample"]))
    if sheet is None:
        return found
    listed = list(sheet["sample"])
    extra = [s for s in found if s not in set(listed)]
    if extra:
        raise InputError(f"sample(s) {', '.join(extra)} in the fragments are not in the sample sheet",
                         path=fragments_path)
    return listed


def run_from_fragments(*, fragments, annotator, out: Path, sheet: pd.DataFrame | None = None,
                       merge_distance: int = 5, abundance: str = "sonic", length_bin: int = 10,
                       dominance=(0.05, 0.10, 0.20), collisions: str = "remove",
                       collision_ratio: float = 10.0) -> tuple[pd.DataFrame, pd.DataFrame]:
    from cgtsafe.integration.abundance import replicate_abundance, site_abundance
    from cgtsafe.integration.fragments import merge_sites, read_fragments

    frags = read_fragments(fragments)
    samples = _sample_list(frags, sheet, fragments)
    subject_of = dict(zip(sheet["sample"], sheet["subject"])) if sheet is not None else {s: "all" for s in samples}
    merged = merge_sites(frags, subject_of, merge_distance)
    sites, exclusions = site_abundance(merged, method=abundance, length_bin=length_bin)
    reps = replicate_abundance(merged, sites, length_bin=length_bin)
    sites = sites.rename(columns={"site_position": "position"})
    sites, reps, coll, clon = _finish_sites(sites, reps, exclusions, annotator=annotator, out=Path(out), sheet=sheet,
                                            samples=samples, distance=merge_distance, dominance=dominance,
                                            collisions=collisions, collision_ratio=collision_ratio)
    out = Path(out)
    write_json(out / "from_fragments.exclusions.json", {
        "exclusions": exclusions,
        "n_fragments": int(len(frags)),
        "n_junctions": int(len(merged.drop_duplicates(["subject", "chrom", "strand", "position"]))) if len(merged) else 0,
        "samples": samples,
        "collisions": {"action": collisions, "ratio": collision_ratio,
                       "sites": int(coll["collision_id"].nunique()) if len(coll) else 0,
                       "removed": int((coll["decision"] == "removed").sum()) if len(coll) else 0},
        "replicates": {smp: sorted(set(g)) for smp, g in merged.groupby("sample", sort=True)["replicate"]}
        if len(merged) else {},
    })
    return sites, clon


def _finish_sites(sites, reps, exclusions, *, annotator, out: Path, sheet, samples, distance, dominance, collisions,
                  collision_ratio):
    """Collisions, annotation, clonality; writes sites/clonality/replicate_abundance/collisions tables."""
    from cgtsafe.integration.clonality import clonality_table
    from cgtsafe.integration.collisions import resolve_collisions

    dates = (dict(zip(sheet["sample"], sheet["sequencing_date"].astype(str).str.strip()))
             if sheet is not None and "sequencing_date" in sheet.columns else None)
    kept, coll = resolve_collisions(sites, reps, ratio=collision_ratio, distance=distance, dates=dates)
    if collisions == "remove" and len(kept) < len(sites):
        key = ["sample", "chrom", "position", "strand"]
        reps = reps.merge(kept[key], on=key, how="inner")
        sites = kept.copy()
        total = sites.groupby("sample")["abundance"].transform("sum")
        sites["relative_abundance"] = np.where(total > 0, sites["abundance"] / total.where(total > 0, 1.0), 0.0)
        n_removed = int((coll["decision"] == "removed").sum())
        exclusions.append({"what": "colliding sites (same site in more than one subject)", "count": n_removed,
                           "reason": "removed from the subject(s) that did not win by date, replicates or abundance "
                                     f"ratio >= {collision_ratio:g} (collisions.tsv)"})
    if sites.empty:
        sites = pd.DataFrame({c: pd.Series(dtype=object) for c in SITE_COLUMNS})
    else:
        sites = annotator.annotate_table(sites)
    sites = sites[SITE_COLUMNS]
    clon = clonality_table(sites, samples, dominance_thresholds=dominance)
    write_table(sites, out / "sites.tsv")
    write_table(clon, out / "clonality.tsv")
    write_table(reps, out / "replicate_abundance.tsv")
    write_table(coll, out / "collisions.tsv")
    return sites, reps, coll, clon


def run_from_matrix(*, matrix, annotator, out: Path, quantification: str = "seqCount", sheet: pd.DataFrame | None = None,
                    merge_distance: int = 5, dominance=(0.05, 0.10, 0.20), collisions: str = "remove",
                    collision_ratio: float = 10.0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sites from an imported ISAnalytics/VISPA2 matrix (no breakpoints): abundance = the imported
    quantification (read-count mode for ``seqCount``, stated as a caveat); same outputs as ``from-fragments``."""
    from cgtsafe.integration.abundance import READS_CAVEAT, REPLICATE_COLUMNS
    from cgtsafe.integration.isanalytics import read_isa_matrix

    long = read_isa_matrix(matrix, quantification=quantification)
    samples = _sample_list(long, sheet, matrix)
    subject_of = dict(zip(sheet["sample"], sheet["subject"])) if sheet is not None else {}
    sites = long.assign(subject=[subject_of.get(x, "all") for x in long["sample"]], fragments=0, umis=0)
    reads = quantification == "seqCount"
    sites["reads"] = sites["value"].round().astype(np.int64) if reads else 0
    sites["sonic"] = 0.0 if reads else sites["value"].astype(float)
    sites["abundance"] = sites["value"].astype(float)
    total = sites.groupby("sample")["abundance"].transform("sum")
    sites["relative_abundance"] = sites["abundance"] / total
    sites = sites.drop(columns=["value"])
    exclusions = [{"what": "clone size from an imported matrix", "count": int(len(sites)),
                   "reason": (READS_CAVEAT if reads else
                              f"abundance = imported {quantification} (estimated by the exporting pipeline, not "
                              "re-estimated: no breakpoints in a matrix)")}]
    reps = pd.DataFrame({c: pd.Series(dtype=object) for c in REPLICATE_COLUMNS})
    sites, reps, coll, clon = _finish_sites(sites, reps, exclusions, annotator=annotator, out=Path(out), sheet=sheet,
                                            samples=samples, distance=merge_distance, dominance=dominance,
                                            collisions=collisions, collision_ratio=collision_ratio)
    write_json(Path(out) / "from_fragments.exclusions.json", {
        "exclusions": exclusions, "n_fragments": 0, "n_junctions": int(len(long)), "samples": samples,
        "matrix": str(matrix), "quantification": quantification,
        "collisions": {"action": collisions, "ratio": collision_ratio,
                       "sites": int(coll["collision_id"].nunique()) if len(coll) else 0,
                       "removed": int((coll["decision"] == "removed").sum()) if len(coll) else 0},
    })
    return sites, clon


def read_sites(path) -> pd.DataFrame:
    df = read_table(path, required=tuple(SITE_COLUMNS), what="integration sites table")
    for c in SITE_INT:
        df[c] = pd.to_numeric(df[c], errors="coerce").fillna(0).astype(np.int64)
    for c in SITE_FLOAT:
        df[c] = pd.to_numeric(df[c], errors="coerce")
    df["tss_distance"] = df["tss_distance"].round().astype("Int64")
    return df


def run_enrichment(*, sites, genome, annotator, out, controls_out, per_site=3, seed=1, tss_window=5000):
    from cgtsafe.integration.enrichment import enrichment_table, mappable_intervals, random_controls

    from cgtsafe.integration.fragments import check_on_genome
    from cgtsafe.io.fasta import contig_lengths

    s = read_sites(sites)
    check_on_genome(s, contig_lengths(genome), path=sites, genome=genome, what="integration site")
    distinct = s.drop_duplicates(["sample", "chrom", "position", "strand"]).copy()
    distinct["site_id"] = (distinct["sample"] + "|" + distinct["chrom"] + ":" + distinct["position"].astype(str)
                           + ":" + distinct["strand"])
    ctrl = random_controls(distinct, mappable_intervals(genome), per_site=per_site, seed=seed)
    if len(ctrl):
        ctrl = annotator.annotate_table(ctrl)
    table = enrichment_table(distinct, ctrl, group_col="sample", tss_window=tss_window)
    write_table(ctrl, controls_out)
    write_table(table, out)
    return table


def run_cis(*, sites, genes, flank=100000, alpha=0.05, out_regions, out_genes, controls=None,
            out_background=None):
    from cgtsafe.integration.cis import background_cis, gene_lengths, grubbs_cis, window_cis

    s = read_sites(sites)
    distinct = s.drop_duplicates(["chrom", "position", "strand"])
    regions = window_cis(distinct)
    gtab = grubbs_cis(distinct, gene_lengths(genes), flank=flank, alpha=alpha)
    bg = None
    if controls:
        c = read_table(controls, required=("match_id", "chrom", "position"), what="random controls")
        c["position"] = pd.to_numeric(c["position"]).astype(np.int64)
        # one control set per replicate with as many sites as distinct real sites: take the controls
        # of the first occurrence of each distinct site
        s_ids = (s["sample"] + "|" + s["chrom"] + ":" + s["position"].astype(str) + ":" + s["strand"])
        keep = set(s_ids[~s[["chrom", "position", "strand"]].duplicated()])
        bg = background_cis(c[c["match_id"].isin(keep)])
    write_table(regions, out_regions)
    write_table(gtab, out_genes)
    if bg is not None:
        write_table(bg, out_background)
    return regions, gtab


def run_longitudinal(*, sites, sheet: pd.DataFrame | None, out: Path, threshold=0.05, fold=2.0, top_n=10):
    from cgtsafe.integration.longitudinal import expansion, isa_matrix, trajectories
    from cgtsafe.integration.plots import stacked_figure, trajectory_figure

    s = read_sites(sites)
    if sheet is None:
        samples = sorted(set(s["sample"]))
        sheet = pd.DataFrame({"sample": samples, "subject": [
            s.loc[s["sample"] == x, "subject"].iloc[0] for x in samples], "timepoint": samples})
    else:
        missing = sorted(set(s["sample"]) - set(sheet["sample"]))
        if missing:
            raise InputError(f"sample(s) {', '.join(missing)} in the sites table are not in the sample sheet",
                             path=sites)
    samples = list(sheet["sample"])
    traj = trajectories(s, sheet)
    exp = expansion(traj, s, threshold=threshold, fold=fold)
    mat = isa_matrix(s, samples)
    out = Path(out)
    from cgtsafe.integration.isanalytics import association_file, quant_matrices

    for name, m in quant_matrices(s, samples).items():
        write_table(m, out / f"isa_{name}_matrix.tsv")
    write_table(association_file(sheet), out / "isa_association_file.tsv")
    write_table(traj, out / "trajectories.tsv")
    write_table(exp, out / "expansion.tsv")
    write_table(mat, out / "isa_matrix.tsv")
    write_json(out / "fig_trajectories.json", trajectory_figure(traj, exp, top_n=top_n))
    write_json(out / "fig_stacked.json", stacked_figure(s, samples, top_n=top_n))
    return traj, exp, mat


def run_summarize(d: Path, *, out, params: dict, attrition=None, multihits=None, fragments=None) -> dict:
    from cgtsafe.integration.summarize import build_summary
    from cgtsafe.summary import write_summary

    s = build_summary(Path(d), params, attrition=attrition, multihits=multihits, fragments=fragments)
    write_summary(out, s)
    return s
