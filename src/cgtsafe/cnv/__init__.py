"""Copy-number changes after editing (partial: the statistics of :mod:`.segment` on binned counts; read binning,
CLI, rules and report are not written yet)."""
