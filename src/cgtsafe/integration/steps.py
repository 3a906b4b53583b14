"""The fragments -> evidence step runners of ``cgtsafe integration`` (one per workflow rule): each reads its
inputs, calls the domain modules and writes its tables atomically.

Output tables (all TSV, sorted; positions **1-based**):

``sites.tsv``        sample chrom position strand fragments abundance relative_abundance nearest_gene
                     tss_distance gene_of_concern + subject umis reads sonic and the other annotation
                     columns of :mod:`cgtsafe.integration.annotate`
``clonality.tsv``    see :mod:`cgtsafe.integration.clonality`
``enrichment.tsv``   see :mod:`cgtsafe.integration.enrichment`; ``random_controls.tsv`` the annotated controls
``cis_regions.tsv``, ``cis_genes.tsv``  see :mod:`cgtsafe.integration.cis`
``trajectories.tsv``, ``expansion.tsv``, ``isa_matrix.tsv``  see :mod:`cgtsafe.integration.longitudinal`
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
                       dominance=(0.05, 0.10, 0.20)) -> tuple[pd.DataFrame, pd.DataFrame]:
    from cgtsafe.integration.abundance import site_abundance
    from cgtsafe.integration.clonality import clonality_table
    from cgtsafe.integration.fragments import merge_sites, read_fragments

    frags = read_fragments(fragments)
    samples = _sample_list(frags, sheet, fragments)
    subject_of = dict(zip(sheet["sample"], sheet["subject"])) if sheet is not None else {s: "all" for s in samples}
    merged = merge_sites(frags, subject_of, merge_distance)
    sites, exclusions = site_abundance(merged, method=abundance, length_bin=length_bin)
    sites = sites.rename(columns={"site_position": "position"})
    if sites.empty:
        sites = pd.DataFrame({c: pd.Series(dtype=object) for c in SITE_COLUMNS})
    else:
        sites = annotator.annotate_table(sites)
    sites = sites[SITE_COLUMNS]
    clon = clonality_table(sites, samples, dominance_thresholds=dominance)
    out = Path(out)
    write_table(sites, out / "sites.tsv")
    write_table(clon, out / "clonality.tsv")
    write_json(out / "from_fragments.exclusions.json", {
        "exclusions": exclusions,
        "n_fragments": int(len(frags)),
        "n_junctions": int(len(merged.drop_duplicates(["subject", "chrom", "strand", "position"]))) if len(merged) else 0,
        "samples": samples,
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
