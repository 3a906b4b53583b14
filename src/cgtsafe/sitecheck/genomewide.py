"""Genome-wide edited-only small variants: edited sample vs its matched unedited control.

Guidance 004 asks for an in vitro whole-genome comparison of edited and unedited cells, 002 6.2.3
for WGS next to prediction and validation. This module scans the whole genome (or BED regions) of an
edited BAM/CRAM and its matched control in one pass per region and reports small variants (SNVs and
indel loci) present in the edited sample and absent from the control.

Read filters: unmapped, secondary (0x100), QC-fail (0x200), duplicate (0x400) and supplementary
(0x800) records and reads with MAPQ < ``min_mapq`` are skipped; bases with quality < ``min_baseq``
are not counted as alleles (they still count for depth).

Counting (per position, both samples, same filters): A/C/G/T counts from aligned (M/=/X) bases;
indels from the CIGAR (I/D), left-normalised against the reference (VCF-style, so that the same
indel placed differently by an aligner is one allele); depth = fragments whose aligned span covers the
position (deletions included). Overlapping mates of a pair count once (the later mate adds nothing
where the first one already covers the reference), so "reads" below means fragments.

Modules: :mod:`.genomewide_count` (parameters, regions, counting of one sample),
:mod:`.genomewide_call` (candidates and tests, the scan driver, region jobs ``--chunk i/n`` and their
merge: one Benjamini-Hochberg over the union, so n merged jobs equal one unsplit run byte for byte),
:mod:`.genomewide_summary` (summary fragment, figure), :mod:`.genomewide_editor` (an excess of the
editor's own variants: edited-only vs control-only counts under one symmetric rule, per substitution class). Inputs are opened and checked by
:mod:`cgtsafe.io.alignment` against :class:`cgtsafe.io.reference.ReferenceGenome`.

Candidates and tests
* **SNV**: the most frequent non-reference base of the edited sample at a position with
  edited depth >= ``min_depth``, alt reads >= ``min_alt_reads``, VAF >= ``min_vaf``; control depth
  >= ``min_control_depth``. A candidate whose control alt reads exceed ``max_control_alt`` is a
  *shared* variant (germline or clonal in both) and is not reported (only counted).
* **Indel locus**: CRISPR repair gives many different indels at one cut, each at a low VAF, so
  indels are tested per locus. Indel alleles of the edited sample that are not present in the
  control (control reads with that allele <= ``max_control_alt``) are clustered when their spans
  lie within ``cluster_distance`` bp; the locus count is the number of reads carrying any indel
  overlapping the (extended) locus span, in each sample; depth = reads spanning the locus.
  Thresholds as for SNVs with ``min_indel_reads`` instead of ``min_alt_reads``; a locus whose control
  indel reads exceed ``max_control_alt`` is shared.
* One-sided Fisher exact test (edited alt/ref vs control alt/ref, alternative "greater"),
  Benjamini-Hochberg per variant class (SNV, indel) over all tested candidates; ``call`` =
  q <= ``alpha``.
* Each reported row is checked for similarity to the guides: the reference within ``guide_window``
  bp of the variant is searched with the exhaustive off-target engine
  (:func:`cgtsafe.offtarget.search.search_genome`, <= ``guide_max_mismatches`` mismatches and
  <= ``guide_max_bulges`` DNA and RNA bulges); ``guide_like`` = a site overlaps the window. Rows are
  annotated with genes and genes of concern (:func:`cgtsafe.offtarget.annotate.annotate_positions`).

Expected sensitivity is computed, not assumed: for a true VAF f at the median depths, the power is
P(Binomial(d_edited, f) >= k_min), k_min the smallest alt count that passes the thresholds and the
Fisher test at nominal ``alpha`` against 0 alt reads in the control.

Coordinates of ``genomewide_variants.tsv``: ``start``/``end`` 0-based, end exclusive (reference
bases affected: the SNV base, the deleted bases, or for an insertion the base right of the insertion
point); ``pos``/``ref``/``alt`` VCF-style, ``pos`` **1-based**, indels with the preceding anchor
base (for an indel locus: the most frequent allele; all alleles in ``alleles`` as
``pos:REF>ALT:reads`` with the same 1-based convention). ``guide_site_start`` 0-based,
``guide_cut`` 0-based (base right of the break), gene positions as in ``cgtsafe.io.annotation``.
"""

from __future__ import annotations

# The method lives in three modules; this one keeps the public names in one place.
from cgtsafe.io.alignment import open_alignment as open_alignments  # noqa: F401
from cgtsafe.io.reference import ReferenceGenome as Reference  # noqa: F401
from cgtsafe.sitecheck.genomewide_call import (COLUMNS, RAW_COLUMNS, _fisher_greater, annotate, bh,  # noqa: F401
                                               call_region, complete_pair, expected_sensitivity, finalize,
                                               guide_similarity, job_key, median_from_hist, merge_stats, new_stats,
                                               parse_chunk, plan_tasks, run_pair, scan, scan_raw)
from cgtsafe.sitecheck.genomewide_count import (BASES, CHUNK_OVERLAP, CODE, SKIP_FLAGS, Params,  # noqa: F401
                                                RegionCounts, count_region, normalize_indel, read_regions)
from cgtsafe.sitecheck.genomewide_summary import add_editor_test, build_summary, fmt_pct, sensitivity_figure  # noqa: F401
