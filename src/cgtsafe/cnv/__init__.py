"""Copy-number changes after editing -- PARTIAL: :mod:`.depth` (binned read depth, bin GC/N) and
:mod:`.segment` (GC correction, log ratio, binary segmentation, calls with cell fraction, limit of detection,
cut-site-to-telomere loss test) are implemented and tested; the CLI step, rules, known iPSC recurrent regions,
B-allele frequencies and the report section are not written yet."""
