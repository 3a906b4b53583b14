"""Copy-number changes after editing -- PARTIAL: :mod:`.depth` (binned read depth, bin GC/N) and
:mod:`.segment` (GC correction, log ratio, binary segmentation, calls with cell fraction, limit of detection,
cut-site-to-telomere loss test), :mod:`.regions` (known iPSC culture gains by name), :mod:`.run` / :mod:`.summarize`
(the ``cgtsafe cnv`` steps, wired in ``workflow/rules/cnv.smk``) are implemented and tested; B-allele frequencies,
arm-level 12p/17q and synthetic CNV truth in test-data are not."""
