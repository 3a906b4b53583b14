"""Hit table (one row per protein position) and the ranked candidate list (one row per distinct k-mer).

Hit table columns (``hits.tsv``):

``target``, ``peptide``, ``hla``        target name, sequence and restricting allele
``kmer``                                the proteome k-mer found
``protein``, ``entry``, ``gene``        UniProt accession (isoforms ``P12345-2``), entry name, ``GN=`` symbol
``canonical``, ``isoform``              accession without isoform suffix; ``yes`` when the record is an isoform
``is_source``                           ``yes`` when the protein is the declared source of the target (any isoform),
                                        ``no``, or ``unknown`` when no source was declared
``position``, ``end``                   **1-based** first and last residue of the k-mer in the protein (inclusive)
``method``                              methods that found it, ``;``-separated, in the order exact;motif;xscan;similarity
``score``, ``score_type``               X-scan score (``xscan_product``/``xscan_mean``) when a matrix was given, else
                                        the normalised BLOSUM62 similarity (``blosum_norm``)
``hamming``                             residues differing from the target
``blosum``, ``blosum_norm``             (contact-weighted) BLOSUM62 score and score / target self-score
``contact_mismatches``                  differing residues at the declared TCR contact positions
``motif_match``                         ``yes``/``no``, ``not_run`` without a motif
``xscan_score``                         X-scan score, empty without a matrix
``hla_binding``, ``hla_binder``         prediction for the restricting allele (:mod:`cgtsafe.tcr.hla`): value text or
                                        ``unavailable`` (no prediction table) / ``not_predicted`` (pair absent)
``max_vital_tissue_ntpm``, ``max_vital_tissue``  highest nTPM of the source gene among the vital tissues
``max_tissue_ntpm``, ``max_tissue``     highest nTPM in any tissue
``vital_tissues_expressed``             vital tissues with nTPM >= ``min_ntpm`` (``;``-separated)
``expression_status``                   ``found`` | ``gene_not_in_table`` | ``no_gene_name`` (empty nTPM = unavailable)

Ranking rule of the candidate list (``candidates.tsv``), lexicographic:

1. ``tier`` --
   0 = the target peptide itself in a protein other than its declared source (other proteins
   present the same epitope; on-target, off-tumour risk from their expression);
   1 = fits the motif or passes the X-scan threshold, and a source gene is expressed (>= ``min_ntpm``)
   in a vital tissue or its expression is unavailable (treated as possibly vital);
   2 = fits the motif or passes X-scan, source genes not expressed in vital tissues;
   3 = similarity only (Hamming <= max), expressed in a vital tissue or unavailable;
   4 = similarity only, not expressed in vital tissues;
2. predicted binding to the restricting allele: strong < weak < score_only < unavailable/not predicted
   < non-binder;
3. X-scan score, descending (k-mers without one last);
4. normalised BLOSUM62 similarity, descending;
5. highest vital-tissue nTPM, descending (unavailable first, conservatively);
6. the k-mer, alphabetically (total order).

An exact copy of the target found only in its declared source protein and isoforms is not a
candidate (it is the target); it stays in the hit table with ``is_source = yes``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cgtsafe.tcr import similarity as sim
from cgtsafe.tcr.expression import ExpressionTable, gene_expression
from cgtsafe.tcr.hla import CLASS_ORDER, Predictions
from cgtsafe.tcr.motif import Motif
from cgtsafe.tcr.proteome import Proteome
from cgtsafe.tcr.scan import METHODS, ScanResult
from cgtsafe.tcr.xscan import XScan

HIT_COLUMNS = [
    "target", "peptide", "hla", "kmer", "protein", "entry", "gene", "canonical", "isoform", "is_source", "position",
    "end", "method", "score", "score_type", "hamming", "blosum", "blosum_norm", "contact_mismatches", "motif_match",
    "xscan_score", "hla_binding", "hla_binder", "max_vital_tissue_ntpm", "max_vital_tissue", "max_tissue_ntpm",
    "max_tissue", "vital_tissues_expressed", "expression_status",
]
CANDIDATE_COLUMNS = [
    "rank", "target", "peptide", "hla", "kmer", "tier", "methods", "n_occurrences", "proteins", "genes",
    "hamming", "blosum_norm", "contact_mismatches", "motif_match", "xscan_score", "hla_binding", "hla_binder",
    "panel_binders", "max_vital_tissue_ntpm", "max_vital_tissue", "max_vital_gene", "max_tissue_ntpm", "max_tissue",
    "expression_status", "reasons", "recommendation",
]
TIER_TEXT = {
    0: "target peptide in another protein",
    1: "motif/X-scan hit, vital-tissue expression",
    2: "motif/X-scan hit, no vital-tissue expression",
    3: "similar peptide, vital-tissue expression",
    4: "similar peptide, no vital-tissue expression",
}
RECOMMENDATION = {
    0: "assess expression of the other source protein(s) (on-target, off-tumour risk)",
    1: "test in vitro (priority)",
    2: "test in vitro",
    3: "test in vitro if capacity allows",
    4: "low priority",
}


def _is_source(proteome: Proteome, i: int, source: str | None) -> str:
    if not source:
        return "unknown"
    s = source.strip()
    return "yes" if s in (proteome.genes[i], proteome.canonical[i], proteome.accessions[i], proteome.entries[i]) \
        else "no"


def hit_table(result: ScanResult, proteome: Proteome, *, target: str, hla: str, source: str | None,
              motif: Motif | None, xscan: XScan | None, expression: ExpressionTable, vital: list[str],
              min_ntpm: float, predictions: Predictions, contact_positions: list[int] | None,
              contact_weight: float) -> pd.DataFrame:
    pep = result.peptide
    k = len(pep)
    w = sim.weights(k, contact_positions, contact_weight)
    self_s = sim.self_score(pep, w)
    prot_idx = proteome.protein_of(result.offsets)
    rows = []
    expr_cache: dict[str, object] = {}
    for n, (off, pi) in enumerate(zip(result.offsets.tolist(), prot_idx.tolist())):
        pos0 = off - int(proteome.starts[pi])
        kmer = bytes(proteome.codes[off:off + k].tolist())
        kmer = "".join("ACDEFGHIKLMNPQRSTVWY"[c] for c in kmer)
        methods = [m for m in METHODS if result.flags[m][n]]
        b = sim.blosum_score(pep, kmer, w)
        xs = xscan.score(kmer) if xscan is not None else None
        gene = proteome.genes[pi]
        if gene not in expr_cache:
            expr_cache[gene] = gene_expression(expression, gene, vital, min_ntpm)
        ge = expr_cache[gene]
        hb, hc = predictions.lookup(kmer, hla)
        rows.append({
            "target": target, "peptide": pep, "hla": hla, "kmer": kmer, "protein": proteome.accessions[pi],
            "entry": proteome.entries[pi], "gene": gene, "canonical": proteome.canonical[pi],
            "isoform": "yes" if proteome.is_isoform(pi) else "no", "is_source": _is_source(proteome, pi, source),
            "position": pos0 + 1, "end": pos0 + k, "method": ";".join(methods),
            "score": xs if xs is not None else b / self_s,
            "score_type": f"xscan_{xscan.scoring}" if xscan is not None else "blosum_norm",
            "hamming": sim.hamming(pep, kmer), "blosum": b, "blosum_norm": b / self_s,
            "contact_mismatches": sim.contact_mismatches(pep, kmer, contact_positions),
            "motif_match": ("yes" if motif.matches(kmer) else "no") if motif is not None else "not_run",
            "xscan_score": xs, "hla_binding": hb, "hla_binder": hc,
            "max_vital_tissue_ntpm": ge.max_vital_ntpm, "max_vital_tissue": ge.max_vital_tissue,
            "max_tissue_ntpm": ge.max_ntpm, "max_tissue": ge.max_tissue,
            "vital_tissues_expressed": ";".join(ge.vital_tissues_expressed), "expression_status": ge.status,
        })
    df = pd.DataFrame(rows, columns=HIT_COLUMNS)
    if len(df):
        df = df.sort_values(["protein", "position"], kind="mergesort").reset_index(drop=True)
    return df


def _fmt(x: float | None, unit: str = "") -> str:
    return "unavailable" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{x:,.4g}{unit}"


def candidate_table(hits: pd.DataFrame, *, min_ntpm: float, xscan: XScan | None, motif: Motif | None,
                    predictions: Predictions, hla_panel: list[str]) -> pd.DataFrame:
    """Rank distinct k-mers for in vitro testing (rule in the module docstring)."""
    rows = []
    if hits.empty:
        return pd.DataFrame(columns=CANDIDATE_COLUMNS)
    target_pep = hits["peptide"].iloc[0]
    for kmer, grp in hits.groupby("kmer", sort=True):
        is_target = kmer == target_pep
        occ = grp[grp["is_source"] != "yes"] if is_target else grp
        if occ.empty:
            continue
        methods = [m for m in METHODS if any(m in s.split(";") for s in occ["method"])]
        specific = ("motif" in methods) or ("xscan" in methods)
        found = occ[occ["expression_status"] == "found"]
        unavailable = occ[occ["expression_status"] != "found"]
        vital_hit = bool((found["max_vital_tissue_ntpm"].astype(float) >= min_ntpm).any())
        if len(found):
            j = found["max_vital_tissue_ntpm"].astype(float).to_numpy().argmax()
            mv = float(found["max_vital_tissue_ntpm"].iloc[j])
            mvt, mvg = found["max_vital_tissue"].iloc[j], found["gene"].iloc[j]
            jj = found["max_tissue_ntpm"].astype(float).to_numpy().argmax()
            mt, mtt = float(found["max_tissue_ntpm"].iloc[jj]), found["max_tissue"].iloc[jj]
        else:
            mv, mvt, mvg, mt, mtt = None, "", "", None, ""
        possibly_vital = vital_hit or len(unavailable) > 0
        if is_target:
            tier = 0
        elif specific:
            tier = 1 if possibly_vital else 2
        else:
            tier = 3 if possibly_vital else 4
        first = occ.iloc[0]
        xs = first["xscan_score"] if xscan is not None else None
        hb, hc = first["hla_binding"], first["hla_binder"]
        panel = []
        for allele in hla_panel:
            _, c = predictions.lookup(kmer, allele)
            if c in ("strong", "weak"):
                panel.append(f"{allele}({c})")
        genes = sorted({g for g in occ["gene"] if g})
        expr_status = "found" if unavailable.empty else ("unavailable" if found.empty else "partly_unavailable")
        reasons = []
        if is_target:
            others = sorted(set(occ["protein"]))
            reasons.append(f"identical to the target; encoded by {len(others)} protein(s) other than the declared "
                           f"source: {', '.join(others)}" if first["is_source"] == "no" else
                           "identical to the target; source protein not declared")
        if "motif" in methods:
            reasons.append(f"fits motif {motif.canonical()}")
        if "xscan" in methods:
            reasons.append(f"X-scan {xscan.scoring} score {xs:.3g} >= {xscan.threshold:g}")
        elif xscan is not None and not is_target:
            reasons.append(f"X-scan {xscan.scoring} score {xs:.3g} < {xscan.threshold:g}")
        if "similarity" in methods:
            reasons.append(f"{int(first['hamming'])} mismatch(es) to the target (BLOSUM62 "
                           f"{float(first['blosum_norm']):.2f} of self)")
        if vital_hit:
            reasons.append(f"{mvg} expressed in vital tissue {mvt} ({_fmt(mv)} nTPM)")
        elif len(found):
            reasons.append(f"not expressed in vital tissues (max {_fmt(mv)} nTPM; highest anywhere: {mtt} "
                           f"{_fmt(mt)} nTPM)")
        if len(unavailable):
            reasons.append("expression unavailable for " + ", ".join(
                sorted({(g or p) for g, p in zip(unavailable["gene"], unavailable["protein"])})))
        if hc in ("strong", "weak", "non_binder", "score_only"):
            reasons.append(f"predicted {first['hla']} {hc.replace('_', '-')} ({hb})")
        else:
            reasons.append(f"HLA binding {hc.replace('_', ' ')}")
        rows.append({
            "rank": 0, "target": first["target"], "peptide": target_pep, "hla": first["hla"], "kmer": kmer,
            "tier": tier, "methods": ";".join(methods), "n_occurrences": len(occ),
            "proteins": ";".join(sorted(set(occ["protein"]))), "genes": ";".join(genes),
            "hamming": int(first["hamming"]), "blosum_norm": float(first["blosum_norm"]),
            "contact_mismatches": int(first["contact_mismatches"]), "motif_match": first["motif_match"],
            "xscan_score": xs, "hla_binding": hb, "hla_binder": hc, "panel_binders": ";".join(panel),
            "max_vital_tissue_ntpm": mv, "max_vital_tissue": mvt, "max_vital_gene": mvg,
            "max_tissue_ntpm": mt, "max_tissue": mtt, "expression_status": expr_status,
            "reasons": "; ".join(reasons), "recommendation": RECOMMENDATION[tier],
        })
    if not rows:
        return pd.DataFrame(columns=CANDIDATE_COLUMNS)

    def key(r):
        xs = r["xscan_score"]
        mv = r["max_vital_tissue_ntpm"]
        return (r["tier"], CLASS_ORDER.get(r["hla_binder"], 3),
                0 if xs is not None else 1, -(xs or 0.0),
                -r["blosum_norm"],
                0 if mv is None else 1, -(mv or 0.0),
                r["kmer"])

    rows.sort(key=key)
    for i, r in enumerate(rows, start=1):
        r["rank"] = i
    return pd.DataFrame(rows, columns=CANDIDATE_COLUMNS)


def panel_table(candidates: pd.DataFrame, predictions: Predictions, alleles: list[str]) -> pd.DataFrame:
    """Long table: every candidate k-mer x (restricting allele + panel alleles)."""
    rows = []
    for _, c in candidates.iterrows():
        for allele in [c["hla"], *[a for a in alleles if a != c["hla"]]]:
            hb, hc = predictions.lookup(c["kmer"], allele)
            rows.append({"target": c["target"], "kmer": c["kmer"], "rank": c["rank"], "allele": allele,
                         "restricting": "yes" if allele == c["hla"] else "no", "hla_binding": hb, "hla_binder": hc})
    return pd.DataFrame(rows, columns=["target", "kmer", "rank", "allele", "restricting", "hla_binding",
                                       "hla_binder"])
