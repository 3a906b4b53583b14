"""Copy-number changes after editing: :mod:`.depth` (binned read depth, bin GC/N, mappability track),
:mod:`.segment` (GC correction, log ratio, binary segmentation, calls with cell fraction, limit of detection,
cut-site-to-telomere loss test), :mod:`.baf` (B-allele frequencies at the control's het SNPs: shift, interval and
implied cell fraction), :mod:`.regions` (centromeres and arms, arm-level calls, known iPSC culture changes by name),
:mod:`.run` / :mod:`.summarize` (the ``cgtsafe cnv`` steps, wired in ``workflow/rules/cnv.smk``)."""
