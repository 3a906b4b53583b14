"""One target peptide end to end: validate every input, scan, annotate, rank, write.

All inputs are read and checked before anything is written; tables are written atomically with
:func:`cgtsafe.io.tables.write_table` (fixed float format, total row order).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cgtsafe.errors import InputError
from cgtsafe.tcr.candidates import candidate_table, hit_table, panel_table
from cgtsafe.tcr.expression import DEFAULT_VITAL_TISSUES, gene_expression, read_expression, shipped_table_path
from cgtsafe.tcr.hla import CHINESE_PANEL, read_predictions
from cgtsafe.tcr.motif import check_peptide_fits, parse_motif
from cgtsafe.tcr.peptide import normalize_allele, validate_peptide
from cgtsafe.tcr.proteome import read_proteome
from cgtsafe.tcr.scan import scan
from cgtsafe.tcr.similarity import weights as sim_weights
from cgtsafe.tcr.xscan import read_xscan


@dataclass
class ScanParams:
    proteome: str
    peptide: str
    hla: str
    name: str = ""
    source: str = ""
    motif: str | None = None
    xscan: str | None = None
    xscan_threshold: float = 0.1
    xscan_scoring: str = "product"
    max_hamming: int = 3
    contact_positions: list[int] = field(default_factory=list)
    contact_weight: float = 2.0
    expression: str | None = None
    vital_tissues: list[str] = field(default_factory=lambda: list(DEFAULT_VITAL_TISSUES))
    min_ntpm: float = 1.0
    hla_predictions: str | None = None
    hla_panel: list[str] = field(default_factory=lambda: list(CHINESE_PANEL))
    hla_predictor: str = "smmpmbec"
    top_n: int = 500
    source_accession: list[str] = field(default_factory=list)


def _sha256(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def run_scan(p: ScanParams):
    """Return ``(hits, candidates, panel, stats)``; raises InputError on any bad input."""
    peptide = validate_peptide(p.peptide)
    hla = normalize_allele(p.hla, what="restricting HLA allele")
    panel = [normalize_allele(a, what="HLA panel allele") for a in p.hla_panel]
    k = len(peptide)
    if not (0 <= int(p.max_hamming) < k):
        raise InputError(f"max_hamming {p.max_hamming} must be between 0 and {k - 1} for a {k}-mer")
    for c in p.contact_positions:
        if not (1 <= int(c) <= k):
            raise InputError(f"contact position {c} is outside the peptide {peptide} (1..{k})")
    if p.xscan_threshold < 0:
        raise InputError(f"xscan_threshold {p.xscan_threshold} must be >= 0")
    motif = parse_motif(p.motif) if p.motif else None
    if motif is not None:
        check_peptide_fits(motif, peptide, strict=True)
    xscan = read_xscan(p.xscan, length=k, scoring=p.xscan_scoring, threshold=p.xscan_threshold) if p.xscan else None
    if not p.vital_tissues:
        raise InputError("vital_tissues is empty; expected at least one tissue column name")
    expression = read_expression(p.expression, vital_tissues=p.vital_tissues)
    if int(p.top_n) < 0:
        raise InputError(f"top_n {p.top_n} must be >= 0 (0 = no whole-proteome similarity ranking)")
    predictions = read_predictions(p.hla_predictions, p.hla_predictor)
    proteome = read_proteome(p.proteome, keep_sequences=False)
    warnings = []
    if proteome.n_non_uniprot and p.source and not p.source_accession:
        warnings.append(f"{proteome.n_non_uniprot} of {proteome.n_proteins} FASTA headers are not UniProt style "
                        "(sp|ACC|ENTRY ... GN=); the source may not be recognised: name it with --source-accession")
    for acc in p.source_accession:
        if acc not in proteome.accessions and acc not in proteome.canonical:
            raise InputError(f"source accession {acc!r} is not a record of the proteome; expected the accession "
                             "(UniProt) or the first word of the FASTA header", path=p.proteome)
    # contact positions: given, else the X-scan's intolerant positions, else the motif's constrained positions
    contacts = [int(c) for c in p.contact_positions]
    contact_origin = "given" if contacts else ""
    if not contacts and xscan is not None and xscan.implied_motif_positions():
        contacts, contact_origin = xscan.implied_motif_positions(), "xscan"
    if not contacts and motif is not None and motif.constrained_positions:
        contacts, contact_origin = motif.constrained_positions, "motif"
    w = sim_weights(k, contacts, p.contact_weight)

    binding = None
    if predictions.builtin is not None:
        mc = predictions.builtin.matrix(hla, k)
        if mc is not None:
            binding = (mc[0], mc[1], float(np.log10(500.0)))
    result = scan(proteome, peptide, motif=motif, xscan=xscan, max_hamming=int(p.max_hamming), top_n=int(p.top_n),
                  weights=w, binding=binding)
    name = p.name or peptide
    source = ",".join(x for x in [p.source, *p.source_accession] if x) or None
    hits = hit_table(result, proteome, target=name, hla=hla, source=source, motif=motif, xscan=xscan,
                     expression=expression, vital=list(p.vital_tissues), min_ntpm=p.min_ntpm,
                     predictions=predictions, contact_positions=contacts,
                     contact_weight=p.contact_weight)
    if p.source and len(hits) and not (hits["is_source"] == "yes").any():
        warnings.append(f"source {source!r} matches no protein of the proteome (GN=, accession or entry name): "
                        "the target's own protein may be listed as a candidate; name it with --source-accession")
    cands = candidate_table(hits, min_ntpm=p.min_ntpm, xscan=xscan, motif=motif, predictions=predictions,
                            hla_panel=panel, n_contacts=len(contacts))
    panel_df = panel_table(cands, predictions, panel)
    source_found = bool(p.source) and bool((hits["is_source"] == "yes").any()) if len(hits) else False
    n_iso = sum(1 for i in range(proteome.n_proteins) if proteome.is_isoform(i))
    # on-target expression of the declared source gene (symbol, or the GN= of the declared accession)
    src_gene = ""
    if p.source:
        if p.source in expression.genes:
            src_gene = p.source
        else:
            for i in range(proteome.n_proteins):
                if p.source in (proteome.accessions[i], proteome.canonical[i], proteome.entries[i]):
                    src_gene = proteome.genes[i]
                    break
    src_expr = gene_expression(expression, src_gene, list(p.vital_tissues), p.min_ntpm) if src_gene else None
    stats = {
        "target": name,
        "peptide": peptide,
        "hla": hla,
        "source": p.source,
        "source_found": source_found,
        "source_expression": None if src_expr is None else {
            "gene": src_gene, "status": src_expr.status, "max_vital_tissue_ntpm": src_expr.max_vital_ntpm,
            "max_vital_tissue": src_expr.max_vital_tissue, "max_tissue_ntpm": src_expr.max_ntpm,
            "max_tissue": src_expr.max_tissue, "vital_tissues_expressed": list(src_expr.vital_tissues_expressed)},
        "motif": motif.canonical() if motif else None,
        "motif_input": p.motif,
        "motif_constrained_positions": motif.constrained_positions if motif else [],
        "xscan": p.xscan,
        "xscan_scoring": p.xscan_scoring if xscan else None,
        "xscan_threshold": p.xscan_threshold if xscan else None,
        "xscan_target_score": xscan.score(peptide) if xscan else None,
        "xscan_constrained_positions": xscan.implied_motif_positions() if xscan else [],
        "max_hamming": int(p.max_hamming),
        "contact_positions": contacts,
        "contact_positions_origin": contact_origin,
        "contact_weight": p.contact_weight,
        "top_n": int(p.top_n),
        "ranked_cutoff": result.ranked_cutoff,
        "hla_predictor": p.hla_predictor,
        "source_accession": list(p.source_accession),
        "warnings": warnings,
        "proteome": {"path": p.proteome, "sha256": _sha256(p.proteome), "proteins": proteome.n_proteins,
                     "isoforms": n_iso, "residues": proteome.n_residues,
                     "nonstandard_residues": proteome.n_nonstandard,
                     "proteins_without_gene_name": sum(1 for g in proteome.genes if not g)},
        "windows": result.n_windows,
        "windows_scanned": result.n_windows_scanned,
        "windows_excluded_nonstandard": result.n_windows - result.n_windows_scanned,
        "counts": {"hits": int(len(hits)), **result.counts, "candidates": int(len(cands)),
                   **{f"tier{t}": int((cands["tier"] == t).sum()) for t in range(5)}},
        "expression": {"path": p.expression or "cgtsafe/data/" + shipped_table_path().name + " (shipped HPA copy)", "shipped_hpa": not p.expression,
                       "tissues": len(expression.tissues), "genes": len(expression.genes)},
        "vital_tissues": list(p.vital_tissues),
        "min_ntpm": p.min_ntpm,
        "hla_predictions": p.hla_predictions,
        "hla_predictions_available": predictions.available,
        "hla_panel": panel,
        "hla_no_model": sorted({a for a in [hla, *panel] if predictions.builtin is not None
                                and predictions.builtin.matrix(a, k) is None}),
    }
    return hits, cands, panel_df, stats
