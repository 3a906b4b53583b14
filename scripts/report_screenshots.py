#!/usr/bin/env python3
"""Screenshot every section of an evidence report in headless Chromium and check its layout.

    scripts/report_screenshots.py [results/report/evidence_report.html] [--out results/report/screenshots]
                                  [--lang both|en|zh]

Writes one PNG per section (``<section id>.png``) and prints, per section, the layout defects found by
:data:`cgtsafe.report.browser.LAYOUT_CHECK` (clipped axis or title, legend overlapping the x axis, figure
without title, table without rows or with rows hidden in a blank box). Exit status 1 when any defect is
found, 2 when chromium or websocket-client is missing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("html", nargs="?", default="results/report/evidence_report.html")
    ap.add_argument("--out", default="results/report/screenshots")
    ap.add_argument("--lang", default=None, choices=("both", "en", "zh"))
    args = ap.parse_args(argv)
    from cgtsafe.report.browser import chromium, open_page, check_layout, section_screenshots

    if chromium() is None:
        print("chromium absent: apt-get install -y chromium", file=sys.stderr)
        return 2
    try:
        import websocket  # noqa: F401
    except ImportError:
        print("websocket-client absent: pip install 'cgtsafe[test]'", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as profile, open_page(Path(args.html), Path(profile)) as cdp:
        if args.lang:
            cdp.eval(f"document.documentElement.setAttribute('data-lang', '{args.lang}')")
        shots = section_screenshots(cdp, Path(args.out))
        bad = 0
        for s in check_layout(cdp):
            status = "ok" if not s["problems"] else "; ".join(s["problems"])
            bad += bool(s["problems"])
            print(f"{s['id']:<14} {status}")
    print(f"{len(shots)} screenshots in {args.out}; sections with defects: {bad}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
