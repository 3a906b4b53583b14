"""Hit table (one row per protein position) and the ranked candidate list (one row per distinct k-mer).

Hit table columns (``hits.tsv``):

``target``, ``peptide``, ``hla``        target name, sequence and restricting allele
``kmer``                                the proteome k-mer found
``protein``, ``entry``, ``gene``        UniProt accession (isoforms ``P12345-2``), entry name, ``GN=`` symbol
``canonical``, ``isoform``              accession without isoform suffix; ``yes`` when the record is an isoform
``is_source``                           ``yes`` when the protein is the declared source of the target (any isoform),
                                        ``no``, or ``unknown`` when no source was declared
``position``, ``end``                   **1-based** first and last residue of the k-mer in the protein (inclusive)
``method``                              methods that found it, ``;``-separated, in the order
                                        exact;motif;xscan;similarity;ranked
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
``expression_status``                   ``found`` | ``gene_not_in_table`` | ``no_gene_name`` |
                                        ``vital_tissues_not_measured`` (empty nTPM = unavailable)

``vital_tissues_detected``              every vital tissue with > 0 nTPM and its value (``Amygdala:0.4;...``)

Ranking rule of the candidate list (``candidates.tsv``): a documented, monotone score.

Three pieces of evidence decide whether a k-mer could reproduce the two fatal MAGE-A3 cases:

``R`` recognition   fits the recognition motif, passes the X-scan threshold, is identical to the target at
                    every TCR contact position (when contact positions are known), or differs from the target at
                    one position (MAGE-A12 ``KMAELVHFL`` vs MAGE-A3 ``KVAELVHFL``: brain toxicity, Morgan
                    et al. 2013 J Immunother 36:133);
``B`` presentation  predicted to bind the restricting allele (strong or weak), or no prediction available
                    (unknown is not assumed absent); titin ``ESDPIVAQY`` binds HLA-A*01:01 like the target
                    (Cameron et al. 2013 Sci Transl Med 5:197ra103);
``V`` vital tissue  a source gene detected (> 0 nTPM) in a vital tissue, or expression unavailable;
                    MAGE-A12 is at 0.1-0.5 nTPM in the brain (HPA) -- below the 1 nTPM cut-off, yet lethal.

``tier`` = 0 for the target itself in a protein other than its declared source; otherwise
``4 - (R + B + V)``: 1 = all three, 2 = two, 3 = one, 4 = none. A k-mer with all three therefore always
ranks above one lacking any of them (monotone: gaining evidence never lowers a rank). Within a tier:

1. a vital-tissue nTPM ``>= min_ntpm`` (or unavailable) before detection below the cut-off (the cut-off
   lowers priority, it never removes the tissue from ``reasons``);
2. X-scan score, descending (k-mers without one last);
3. similarity score ``blosum_norm`` (contact-weighted BLOSUM62 / target self-score), descending;
4. predicted binding: strong < weak < score_only < unavailable/not predicted/no model < non-binder
   (binding already counts in the tier; beyond the binder cut-off a lower IC50 is not evidence of TCR
   recognition -- titin's ESDPIVAQY is a weaker A*01:01 binder than the target, yet was lethal);
5. highest vital-tissue nTPM, descending (unavailable first, conservatively);
6. the k-mer, alphabetically (total order).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cgtsafe.tcr import similarity as sim
from cgtsafe.tcr.expression import ExpressionTable, detection_text, gene_expression, split_genes
from cgtsafe.tcr.hla import CLASS_ORDER, Predictions
from cgtsafe.tcr.motif import Motif
from cgtsafe.tcr.peptide import AMINO_ACIDS, encode
from cgtsafe.tcr.proteome import Proteome
from cgtsafe.tcr.scan import METHODS, ScanResult
from cgtsafe.tcr.xscan import XScan

HIT_COLUMNS = [
    "target", "peptide", "hla", "kmer", "protein", "entry", "gene", "canonical", "isoform", "is_source", "position",
    "end", "method", "score", "score_type", "hamming", "blosum", "blosum_norm", "contact_mismatches", "motif_match",
    "xscan_score", "hla_binding", "hla_binder", "max_vital_tissue_ntpm", "max_vital_tissue", "max_tissue_ntpm",
    "max_tissue", "vital_tissues_expressed", "vital_tissues_detected", "expression_status",
]
#: reviewer-first columns at the front
CANDIDATE_COLUMNS = [
    "rank", "target", "kmer", "genes", "tier", "evidence", "hamming", "hla_binder", "max_vital_tissue",
    "max_vital_tissue_ntpm", "reasons", "recommendation", "peptide", "hla", "methods", "n_occurrences", "proteins",
    "blosum_norm", "contact_mismatches", "motif_match", "xscan_score", "hla_binding", "panel_binders",
    "max_vital_gene", "vital_tissues_detected", "max_tissue_ntpm", "max_tissue", "expression_status",
]
TIER_TEXT = {
    0: "target peptide in another protein",
    1: "recognition + HLA binding + vital tissue",
    2: "two of recognition / HLA binding / vital tissue",
    3: "one of recognition / HLA binding / vital tissue",
    4: "none of recognition / HLA binding / vital tissue",
}
RECOMMENDATION = {
    0: "assess expression of the other source protein(s) (on-target, off-tumour risk)",
    1: "test in vitro (priority)",
    2: "test in vitro",
    3: "test in vitro if capacity allows",
    4: "low priority",
}
_UNKNOWN_BINDING = ("unavailable", "not_predicted", "no_model", "score_only")


def _source_flags(proteome: Proteome, source: str | None) -> np.ndarray:
    """Per protein: ``yes`` / ``no`` / ``unknown`` (no source declared)."""
    if not source:
        return np.full(proteome.n_proteins, "unknown", dtype=object)
    names = set(split_genes(source))
    out = np.full(proteome.n_proteins, "no", dtype=object)
    for i in range(proteome.n_proteins):
        if names & {proteome.genes[i], proteome.canonical[i], proteome.accessions[i], proteome.entries[i],
                    *split_genes(proteome.genes[i])}:
            out[i] = "yes"
    return out


_NM = len(METHODS)
_METHOD_TEXT = np.array([";".join(m for j, m in enumerate(METHODS) if code >> (_NM - 1 - j) & 1)
                         for code in range(1 << _NM)], dtype=object)


def hit_table(result: ScanResult, proteome: Proteome, *, target: str, hla: str, source: str | None,
              motif: Motif | None, xscan: XScan | None, expression: ExpressionTable, vital: list[str],
              min_ntpm: float, predictions: Predictions, contact_positions: list[int] | None,
              contact_weight: float) -> pd.DataFrame:
    """One row per hit (vectorised over hits; see the module docstring for the columns)."""
    pep = result.peptide
    k = len(pep)
    n = int(result.offsets.size)
    if n == 0:
        return pd.DataFrame(columns=HIT_COLUMNS)
    w = sim.weights(k, contact_positions, contact_weight)
    self_s = sim.self_score(pep, w)
    target_codes = encode(pep).astype(np.intp)
    pidx = proteome.protein_of(result.offsets)
    mat = proteome.codes[result.offsets[:, None] + np.arange(k)[None, :]].astype(np.intp)  # (n, k), all < 20
    kmers = np.frombuffer(AMINO_ACIDS.encode(), dtype=np.uint8)[mat].astype(np.uint8)
    kmers = np.array([b.decode() for b in kmers.view(f"S{k}").ravel()], dtype=object)
    hamming = (mat != target_codes[None, :]).sum(axis=1)
    b62 = sim.blosum62()
    blosum = (b62[target_codes[None, :], mat] * w[None, :]).sum(axis=1).astype(float)
    cpos = [int(c) - 1 for c in contact_positions or []]
    contact_mm = (mat[:, cpos] != target_codes[None, cpos]).sum(axis=1) if cpos else np.zeros(n, dtype=int)
    if xscan is not None:
        vals = xscan.matrix[np.arange(k)[None, :], mat]
        xs = vals.prod(axis=1) if xscan.scoring == "product" else vals.sum(axis=1) / k
    else:
        xs = None
    if motif is not None:
        motif_match = np.where(motif.allowed[np.arange(k)[None, :], mat].all(axis=1), "yes", "no").astype(object)
    else:
        motif_match = np.full(n, "not_run", dtype=object)
    code = sum(result.flags[m].astype(int) << (_NM - 1 - j) for j, m in enumerate(METHODS))
    acc = np.array(proteome.accessions, dtype=object)
    genes = np.array(proteome.genes, dtype=object)
    src_flags = _source_flags(proteome, source)
    starts = proteome.starts[pidx]
    position = result.offsets - starts + 1
    # expression per distinct gene, HLA per distinct k-mer
    expr = {g: gene_expression(expression, g, vital, min_ntpm) for g in sorted(set(genes[pidx]))}
    predictions.prepare(sorted(set(kmers)), [hla])
    hla_of = {km: predictions.lookup(km, hla) for km in sorted(set(kmers))}
    hit_genes = genes[pidx]
    df = pd.DataFrame({
        "target": target, "peptide": pep, "hla": hla, "kmer": kmers, "protein": acc[pidx],
        "entry": np.array(proteome.entries, dtype=object)[pidx], "gene": hit_genes,
        "canonical": np.array(proteome.canonical, dtype=object)[pidx],
        "isoform": np.where(acc[pidx] != np.array(proteome.canonical, dtype=object)[pidx], "yes", "no"),
        "is_source": src_flags[pidx], "position": position.astype(np.int64), "end": (position + k - 1).astype(np.int64),
        "method": _METHOD_TEXT[code],
        "score": xs if xs is not None else blosum / self_s,
        "score_type": f"xscan_{xscan.scoring}" if xscan is not None else "blosum_norm",
        "hamming": hamming.astype(np.int64), "blosum": blosum, "blosum_norm": blosum / self_s,
        "contact_mismatches": np.asarray(contact_mm, dtype=np.int64), "motif_match": motif_match,
        "xscan_score": xs if xs is not None else np.full(n, np.nan),
        "hla_binding": [hla_of[km][0] for km in kmers], "hla_binder": [hla_of[km][1] for km in kmers],
        "max_vital_tissue_ntpm": [expr[g].max_vital_ntpm for g in hit_genes],
        "max_vital_tissue": [expr[g].max_vital_tissue for g in hit_genes],
        "max_tissue_ntpm": [expr[g].max_ntpm for g in hit_genes],
        "max_tissue": [expr[g].max_tissue for g in hit_genes],
        "vital_tissues_expressed": [";".join(expr[g].vital_tissues_expressed) for g in hit_genes],
        "vital_tissues_detected": [";".join(f"{t}:{v:g}" for t, v in expr[g].vital_tissues_detected)
                                   for g in hit_genes],
        "expression_status": [expr[g].status for g in hit_genes],
    }, columns=HIT_COLUMNS)
    for col in ("max_vital_tissue_ntpm", "max_tissue_ntpm"):
        df[col] = pd.to_numeric(df[col], errors="coerce")
    order = np.lexsort((df["position"].to_numpy(), df["protein"].to_numpy().astype(str)))
    return df.iloc[order].reset_index(drop=True)


def _fmt(x) -> str:
    return "unavailable" if x is None or pd.isna(x) else f"{x:,.4g}"


def candidate_table(hits: pd.DataFrame, *, min_ntpm: float, xscan: XScan | None, motif: Motif | None,
                    predictions: Predictions, hla_panel: list[str], n_contacts: int = 0) -> pd.DataFrame:
    """Rank distinct k-mers for in vitro testing (rule in the module docstring)."""
    if hits.empty:
        return pd.DataFrame(columns=CANDIDATE_COLUMNS)
    target_pep = hits["peptide"].iloc[0]
    occ = hits[~((hits["kmer"] == target_pep) & (hits["is_source"] == "yes"))]
    if occ.empty:
        return pd.DataFrame(columns=CANDIDATE_COLUMNS)
    # plain arrays in (kmer, protein, position) order; groups are contiguous runs of one k-mer
    occ = occ.iloc[np.lexsort((occ["position"].to_numpy(), occ["protein"].to_numpy().astype(str),
                               occ["kmer"].to_numpy().astype(str)))]
    col = {c: occ[c].to_numpy() for c in occ.columns}
    kmers = col["kmer"].astype(str)
    _, starts, counts = np.unique(kmers, return_index=True, return_counts=True)
    method_sets = [set(m.split(";")) for m in col["method"]]
    found = col["expression_status"] == "found"
    mv = np.where(found, col["max_vital_tissue_ntpm"].astype(float), np.nan)
    mt = np.where(found, col["max_tissue_ntpm"].astype(float), np.nan)
    motif_text = motif.canonical() if motif is not None else ""
    predictions.prepare(sorted(set(kmers.tolist())), hla_panel)
    rows = []
    for a, cnt in zip(starts.tolist(), counts.tolist()):
        b = a + cnt
        kmer = kmers[a]
        is_target = kmer == target_pep
        mset = set().union(*method_sets[a:b])
        methods = [m for m in METHODS if m in mset]
        has_motif, has_x = "motif" in mset, "xscan" in mset
        gmv, gmt = mv[a:b], mt[a:b]
        n_found = int(found[a:b].sum())
        unavail = n_found < cnt
        top = float(np.nanmax(gmv)) if n_found and not np.isnan(gmv).all() else None
        vital_cut = top is not None and top >= min_ntpm  # at/above the expression cut-off
        detected = top is not None and top > 0  # any vital tissue above 0 nTPM
        if n_found:
            j = a + int(np.nanargmax(gmv))
            mvv, mvt, mvg = float(mv[j]), col["max_vital_tissue"][j], col["gene"][j]
            det_txt = col["vital_tissues_detected"][j]
            jj = a + int(np.nanargmax(gmt))
            mtv, mtt = float(mt[jj]), col["max_tissue"][jj]
        else:
            mvv, mvt, mvg, mtv, mtt, det_txt = None, "", "", None, "", ""
        xs = float(col["xscan_score"][a]) if xscan is not None else None
        hb, hc = col["hla_binding"][a], col["hla_binder"][a]
        ham, bn = int(col["hamming"][a]), float(col["blosum_norm"][a])
        contact_ok = n_contacts > 0 and int(col["contact_mismatches"][a]) == 0
        r_ev = has_motif or has_x or ham <= 1 or contact_ok
        b_ev = hc in ("strong", "weak") or hc in _UNKNOWN_BINDING
        v_ev = detected or unavail
        tier = 0 if is_target else 4 - (int(r_ev) + int(b_ev) + int(v_ev))
        evidence = "target" if is_target else ";".join(
            n for n, e in (("recognition", r_ev), ("binding", b_ev), ("vital_tissue", v_ev)) if e) or "none"
        prots = sorted(set(col["protein"][a:b].tolist()))
        genes = sorted(set(col["gene"][a:b].tolist()) - {""})
        panel = [f"{al}({c})" for al in hla_panel for c in [predictions.lookup(kmer, al)[1]] if c in ("strong", "weak")]
        reasons = []
        if is_target:
            reasons.append(f"identical to the target; encoded by {cnt} protein record(s) other than the declared "
                           f"source: {', '.join(prots)}" if col["is_source"][a] == "no" else
                           "identical to the target; source protein not declared")
        elif ham <= 1:
            reasons.append("one substitution from the target")
        if contact_ok and not is_target:
            reasons.append(f"identical to the target at all {n_contacts} TCR contact positions")
        if has_motif:
            reasons.append(f"fits motif {motif_text}")
        if xscan is not None and (has_x or not is_target):
            reasons.append(f"X-scan {xscan.scoring} score {xs:.3g} {'>=' if has_x else '<'} {xscan.threshold:g}")
        if not is_target:
            reasons.append(f"{ham} mismatch(es) to the target (BLOSUM62 {bn:.2f} of self)")
        if n_found:
            det = [(t, float(v)) for t, v in (d.rsplit(":", 1) for d in det_txt.split(";") if d)]
            reasons.append(detection_text(mvg, det, min_ntpm) if detected else
                           f"{mvg}: not detected in any vital tissue (0 nTPM; highest anywhere: "
                           f"{mtt or 'none'} {_fmt(mtv)} nTPM)")
        if unavail:
            reasons.append("expression unavailable for " + ", ".join(sorted(
                {(col["gene"][i] or col["protein"][i]) for i in range(a, b) if not found[i]})))
        if hc in ("strong", "weak", "non_binder", "score_only"):
            reasons.append(f"predicted {col['hla'][a]} {hc.replace('_', '-')} ({hb})")
        elif hc == "no_model":
            reasons.append(f"HLA binding unknown: {hb}")
        else:
            reasons.append(f"HLA binding {hc.replace('_', ' ')}")
        rows.append({
            "rank": 0, "target": col["target"][a], "peptide": target_pep, "hla": col["hla"][a], "kmer": kmer,
            "tier": tier, "evidence": evidence, "methods": ";".join(methods), "n_occurrences": cnt,
            "proteins": ";".join(prots), "genes": ";".join(genes), "hamming": ham, "blosum_norm": bn,
            "contact_mismatches": int(col["contact_mismatches"][a]), "motif_match": col["motif_match"][a],
            "xscan_score": xs, "hla_binding": hb, "hla_binder": hc, "panel_binders": ";".join(panel),
            "max_vital_tissue_ntpm": mvv, "max_vital_tissue": mvt, "max_vital_gene": mvg,
            "vital_tissues_detected": det_txt, "max_tissue_ntpm": mtv, "max_tissue": mtt,
            "expression_status": "found" if not unavail else ("unavailable" if n_found == 0 else "partly_unavailable"),
            "reasons": "; ".join(reasons), "recommendation": RECOMMENDATION[tier],
            "_cut": 0 if (vital_cut or unavail) else 1,
        })

    def key(r):
        x = r["xscan_score"]
        v = r["max_vital_tissue_ntpm"]
        return (r["tier"], r["_cut"], 0 if x is not None else 1, -(x or 0.0), -r["blosum_norm"],
                CLASS_ORDER.get(r["hla_binder"], 3), 0 if v is None else 1, -(v or 0.0), r["kmer"])

    rows.sort(key=key)
    for i, r in enumerate(rows, start=1):
        r["rank"] = i
    return pd.DataFrame(rows, columns=CANDIDATE_COLUMNS)


def panel_table(candidates: pd.DataFrame, predictions: Predictions, alleles: list[str]) -> pd.DataFrame:
    """Long table: every candidate k-mer x (restricting allele + panel alleles)."""
    rows = []
    for target, kmer, rank, hla in zip(candidates["target"].tolist(), candidates["kmer"].tolist(),
                                       candidates["rank"].tolist(), candidates["hla"].tolist()):
        for allele in [hla, *[a for a in alleles if a != hla]]:
            hb, hc = predictions.lookup(kmer, allele)
            rows.append((target, kmer, rank, allele, "yes" if allele == hla else "no", hb, hc))
    return pd.DataFrame(rows, columns=["target", "kmer", "rank", "allele", "restricting", "hla_binding",
                                       "hla_binder"])
