"""Interchange with ISAnalytics (Calabria lab, Bioconductor) and VISPA2.

Export (``longitudinal`` step): one wide matrix per quantification, as ISAnalytics' ``import_parallel_Vispa2Matrices``
/ ``import_single_Vispa2Matrix`` read them: ``chr integration_locus strand GeneName GeneStrand`` + one column per
``CompleteAmplificationID`` (here the sample name), 0 when absent; ``isa_seqCount_matrix.tsv`` (read pairs) and
``isa_fragmentEstimate_matrix.tsv`` (sonic estimate), plus ``isa_association_file.tsv`` with ISAnalytics' default
association-file columns (:data:`AF_COLUMNS`, the header of ISAnalytics' example association file) and the
known fields filled: ProjectID, PoolID, SubjectID, Tissue/CellMarker (``cell_type``), TimePoint (``timepoint_days``
as 4 digits, else ``timepoint``), ReplicateNumber, CompleteAmplificationID, TimepointDays, SequencingDate.

Import (``from-matrix``): an ISAnalytics/VISPA2 matrix, either long (``chr integration_locus strand
CompleteAmplificationID`` + a quantification column such as ``seqCount`` / ``fragmentEstimate``) or wide (the IS
columns, optional ``GeneName GeneStrand``, then one column per sample; VISPA2's ``all`` total column is ignored).
``integration_locus`` is 1-based. Matrices carry no breakpoints, so abundance is the imported quantification
(read-count mode for ``seqCount``, with its caveat).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from cgtsafe.errors import InputError

IS_VARS = ("chr", "integration_locus", "strand")
ANNOTATION_VARS = ("GeneName", "GeneStrand")
#: ISAnalytics' default association-file columns (its example association_file, ISAnalytics >= 1.5)
AF_COLUMNS = (
    "ProjectID FUSIONID PoolID TagSequence SubjectID VectorType VectorID ExperimentID Tissue TimePoint "
    "DNAFragmentation PCRMethod TagIDextended Keywords CellMarker TagID NGSProvider NGSTechnology ConverrtedFilesDir "
    "ConverrtedFilesName SourceFileFolder SourceFileNameR1 SourceFileNameR2 DNAnumber ReplicateNumber "
    "DNAextractionDate DNAngUsed LinearPCRID LinearPCRDate SonicationDate LigationDate 1stExpoPCRID 1stExpoPCRDate "
    "2ndExpoID 2ndExpoDate FusionPrimerPCRID FusionPrimerPCRDate PoolDate SequencingDate VCN Genome SequencingRound "
    "Genotype TestGroup MOI Engraftment Transduction Notes AddedField1 AddedField2 AddedField3 AddedField4 "
    "concatenatePoolIDSeqRun AddedField6_RelativeBloodPercentage AddedField7_PurityTestFeasibility "
    "AddedField8_FacsSeparationPurity Kapa ulForPool CompleteAmplificationID UniqueID StudyTestID StudyTestGroup "
    "MouseID Tigroup Tisource PathToFolderProjectID SamplesNameCheck TimepointDays TimepointMonths TimepointYears "
    "ng DNA corrected RUN_NAME PHIX_MAPPING PLASMID_MAPPED_BYPOOL BARCODE_MUX LTR_IDENTIFIED TRIMMING_FINAL_LTRLC "
    "LV_MAPPED BWA_MAPPED_OVERALL ISS_MAPPED_OVERALL RAW_READS QUALITY_PASSED ISS_MAPPED_PP"
).split(" ")
AF_COLUMNS[AF_COLUMNS.index("ng"):AF_COLUMNS.index("ng") + 3] = ["ng DNA corrected"]


def quant_matrices(sites: pd.DataFrame, samples: list[str]) -> dict[str, pd.DataFrame]:
    """``{"seqCount": reads matrix, "fragmentEstimate": sonic matrix}`` in ISAnalytics' wide layout."""
    from cgtsafe.integration.longitudinal import isa_matrix

    return {"seqCount": isa_matrix(sites, samples, value="reads"),
            "fragmentEstimate": isa_matrix(sites, samples, value="sonic")}


def association_file(sheet: pd.DataFrame, *, project: str = "cgtsafe") -> pd.DataFrame:
    """ISAnalytics association file (one row per sample) from the sample sheet."""
    n = len(sheet)
    af = pd.DataFrame({c: [""] * n for c in AF_COLUMNS})
    col = lambda name, default="": (sheet[name].astype(str).tolist() if name in sheet.columns  # noqa: E731
                                    else [default] * n)
    days = col("timepoint_days")
    tp = col("timepoint")
    af["ProjectID"] = project
    af["PoolID"] = col("pool", "POOL1")
    af["SubjectID"] = col("subject")
    af["Tissue"] = col("cell_type")
    af["CellMarker"] = col("cell_type")
    af["TimePoint"] = [f"{int(float(d)):04d}" if d.strip() not in ("", "nan") else t for d, t in zip(days, tp)]
    af["TimepointDays"] = [f"{int(float(d)):04d}" if d.strip() not in ("", "nan") else "" for d in days]
    af["ReplicateNumber"] = col("replicate", "1")
    af["SequencingDate"] = col("sequencing_date")
    af["CompleteAmplificationID"] = sheet["sample"].astype(str).tolist()
    af["Genome"] = col("genome")
    return af


def read_isa_matrix(path: str | Path, *, quantification: str = "seqCount") -> pd.DataFrame:
    """Long table ``sample chrom position strand value`` (+ ``GeneName``) from a long or wide ISAnalytics/VISPA2
    matrix. Zero values are dropped. Errors name the file, line and column."""
    from cgtsafe.io.tables import read_table

    path = Path(path)
    df = read_table(path, required=IS_VARS, what="ISAnalytics/VISPA2 integration matrix")
    if "CompleteAmplificationID" in df.columns:
        if quantification not in df.columns:
            raise InputError(f"long matrix lacks the quantification column {quantification!r}; "
                             f"columns: {', '.join(df.columns)}", path=path)
        long = df.rename(columns={"CompleteAmplificationID": "sample", quantification: "value"})
        long = long[[*IS_VARS, "sample", "value"] + [c for c in ANNOTATION_VARS if c in df.columns]]
    else:
        samples = [c for c in df.columns if c not in IS_VARS and c not in ANNOTATION_VARS and c != "all"]
        if not samples:
            raise InputError("wide matrix has no sample columns after chr integration_locus strand", path=path)
        long = df.melt(id_vars=[*IS_VARS] + [c for c in ANNOTATION_VARS if c in df.columns], value_vars=samples,
                       var_name="sample", value_name="value")
    for c in ("integration_locus", "value"):
        v = pd.to_numeric(long[c].replace("", "0" if c == "value" else None), errors="coerce")
        bad = v.isna() | (v < 0) | ((v != np.floor(v)) if c == "integration_locus" else False)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(f"column {c}: expected a non-negative number{' (1-based integer)' if c != 'value' else ''}"
                             f", got {long[c].iloc[i]!r}", path=path)
        long[c] = v
    long["strand"] = long["strand"].astype(str).str.strip()
    bad = ~long["strand"].isin(["+", "-"])
    if bad.any():
        raise InputError(f"column strand: expected + or -, got {long['strand'][bad].iloc[0]!r}", path=path)
    long = long[long["value"] > 0].rename(columns={"chr": "chrom", "integration_locus": "position"})
    long["position"] = long["position"].astype(np.int64)
    long["chrom"] = long["chrom"].astype(str).str.strip()
    long["sample"] = long["sample"].astype(str).str.strip()
    return (long.groupby(["sample", "chrom", "position", "strand"], sort=True, as_index=False)["value"].sum()
            .reset_index(drop=True))
