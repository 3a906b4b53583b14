"""Empirical off-target nomination from GUIDE-seq (and CHANGE-seq / CIRCLE-seq) reads: read layouts,
demultiplexing and UMI consolidation (:mod:`.reads`), break positions, windows and guide search
(:mod:`.sites`), the ``call`` step (:mod:`.run`) and the summary with the prediction comparison
(:mod:`.summarize`)."""
