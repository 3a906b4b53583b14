"""Editor-aware read classification: nucleases, cytosine/adenine base editors, prime editors and HDR.

The config names the editor (``sitecheck.editor``, default ``nuclease``); the preset carries what counts as
editing and, for base editors, the activity window. Protospacer positions are 1-based from the PAM-distal
end of a 20-nt spacer with a 3' PAM (SpCas9 and the editors built on it); the Cas9 nick lies between
positions 17 and 18, so position ``p`` is ``p - 18`` bases from the base right of the cut (``cut``, 0-based
+ strand): ``cut + p - 18`` for a + strand site and ``cut + 17 - p`` for a - strand site.

=============  ======  ==========  ========  ================================================================
preset         kind    conversion  window    source
=============  ======  ==========  ========  ================================================================
nuclease       nuc.    -           -         indels in the cut window (aliases: SpCas9, Cas9, Cas12a ...)
CBE            base    C>T         4-8       Komor et al. 2016 Nature 533:420 (BE3); aliases BE3, BE4,
                                             BE4max, AncBE4max (Koblan et al. 2018 Nat Biotechnol 36:843)
ABE            base    A>G         4-7       Gaudelli et al. 2017 Nature 551:464 (ABE7.10); alias ABE7.10
ABE8e          base    A>G         4-8       Richter et al. 2020 Nat Biotechnol 38:883
PE             prime   -           -         Anzalone et al. 2019 Nature 576:149; aliases PE2, PE3, PEmax
HDR            hdr     -           -         nuclease + donor template (expected amplicon)
=============  ======  ==========  ========  ================================================================

What a read counts as (the ``events`` column, used by the edited-vs-control verdicts):

* nuclease: an indel in the quantification window (as before);
* base editor: an indel in the window, or a substitution of the editor's type (C>T / A>G on the protospacer
  strand, i.e. G>A / T>C on the + strand for a - strand site) at a protospacer position inside the activity
  window, with base quality >= ``min_baseq``. Each editable base of the window is counted separately
  (``conversions``: e.g. ``C5:12;C7:3`` = reads converted at protospacer C5 and C7; the bases other than the
  intended one are the bystanders). The quantification window is widened to cover the activity window;
* prime editor / HDR without an expected amplicon (WGS, off-target amplicons): any indel or substitution in
  the window (templated edits at an off-target site are substitutions or insertions);
* prime editor / HDR with an expected amplicon (``expected_sequence`` in amplicons.tsv): each read is aligned
  to the reference and to the expected amplicon and assigned to the better one (equal scores: ambiguous),
  like CRISPResso2; ``events`` = every read that is not reference-unmodified (intended edits plus
  unintended indels/substitutions). With a ``scaffold`` (pegRNA scaffold, 5'->3', RNA or DNA letters), a
  prime-edited read with an insertion at the 3' end of the flap that begins with the reverse complement of
  the scaffold's 3' end is ``scaffold_incorporated``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cgtsafe.errors import InputError
from cgtsafe.io.fasta import revcomp

KINDS = ("nuclease", "base", "prime", "hdr")


@dataclass(frozen=True)
class Editor:
    name: str
    kind: str
    conversion: tuple[str, str] = ("", "")
    window: tuple[int, int] = (0, 0)
    aliases: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise InputError(f"editor {self.name}: kind must be one of {', '.join(KINDS)}")
        if self.kind == "base":
            lo, hi = self.window
            if not 1 <= lo <= hi <= 20:
                raise InputError(f"editor {self.name}: activity window must be protospacer positions within 1..20, "
                                 f"got {lo}-{hi}")

    @property
    def counted_event(self) -> str:
        if self.kind == "nuclease":
            return "indel"
        if self.kind == "base":
            f, t = self.conversion
            return f"indel or {f}>{t} at protospacer {self.window[0]}-{self.window[1]}"
        return "indel or substitution"


EDITORS = {e.name: e for e in (
    Editor("nuclease", "nuclease", aliases=("SpCas9", "Cas9", "HiFi-Cas9", "eSpCas9", "SpCas9-HF1", "SaCas9",
                                            "AsCas12a", "Cas12a", "Cpf1", "LbCas12a")),
    Editor("CBE", "base", ("C", "T"), (4, 8), aliases=("BE3", "BE4", "BE4max", "AncBE4max")),
    Editor("ABE", "base", ("A", "G"), (4, 7), aliases=("ABE7.10",)),
    Editor("ABE8e", "base", ("A", "G"), (4, 8)),
    Editor("PE", "prime", aliases=("PE2", "PE3", "PE3b", "PEmax", "prime")),
    Editor("HDR", "hdr"),
)}
_BY_NAME = {a.lower(): e for e in EDITORS.values() for a in (e.name, *e.aliases)}


def get_editor(name: str = "nuclease", window: tuple[int, int] | list | None = None) -> Editor:
    """Preset by name or alias (case-insensitive); ``window`` overrides a base editor's activity window."""
    try:
        ed = _BY_NAME[str(name or "nuclease").strip().lower()]
    except KeyError:
        raise InputError(f"unknown editor {name!r}; expected one of {', '.join(EDITORS)} or an alias "
                         "(BE4max, ABE7.10, PE2, SpCas9, ...)") from None
    if window:
        if ed.kind != "base":
            raise InputError(f"editor {ed.name}: an activity window applies to base editors only")
        try:
            lo, hi = (int(x) for x in window)
        except (TypeError, ValueError):
            raise InputError(f"editor window: expected two protospacer positions, got {window!r}") from None
        ed = Editor(ed.name, ed.kind, ed.conversion, (lo, hi))
    return ed


@dataclass
class SiteContext:
    """The editor at one site, in the local coordinates of a reference string (amplicon or fetched genome)."""
    editor: Editor
    ws: int
    we: int
    activity: dict = field(default_factory=dict)  # local index -> protospacer position
    ref_base: int = 0   # + strand byte the editor converts (C, or G on a - strand site)
    alt_base: int = 0
    label: str = ""     # protospacer-strand base letter for ``conversions`` (C or A)

    def classify(self, cls: int, subs) -> tuple[bool, list[int]]:
        """``cls`` from :func:`cgtsafe.sitecheck.quantify.classify_events`; ``subs``: ``[(local index, read
        base byte, reference base byte)]`` inside the window that passed the quality filter. Returns
        ``(is_event, converted protospacer positions)``."""
        from cgtsafe.sitecheck.quantify import INDEL, UNMODIFIED

        kind = self.editor.kind
        if kind == "nuclease":
            return cls == INDEL, []
        if kind == "base":
            conv = sorted(self.activity[i] for i, b, r in subs
                          if i in self.activity and r == self.ref_base and b == self.alt_base)
            return cls == INDEL or bool(conv), conv
        return cls != UNMODIFIED, []


def site_context(editor: Editor, strand: str, cut_lo: int, cut_hi: int, flank: int, length: int | None = None,
                 ref: bytes | None = None) -> SiteContext:
    """Window and activity positions of ``editor`` at a site whose cut interval is ``[cut_lo, cut_hi]``
    (local 0-based indexes of the base right of each nick) on ``strand``; ``length`` clips the window."""
    ws, we = min(cut_lo, cut_hi) - flank, max(cut_lo, cut_hi) + flank
    ctx = SiteContext(editor, ws, we)
    if editor.kind == "base":
        cut = min(cut_lo, cut_hi)
        f, t = editor.conversion
        if strand == "-":
            ctx.activity = {cut + 17 - p: p for p in range(editor.window[0], editor.window[1] + 1)}
            ctx.ref_base, ctx.alt_base = ord(revcomp(f)), ord(revcomp(t))
        else:
            ctx.activity = {cut + p - 18: p for p in range(editor.window[0], editor.window[1] + 1)}
            ctx.ref_base, ctx.alt_base = ord(f), ord(t)
        ctx.label = f
        ctx.ws = min(ctx.ws, min(ctx.activity))
        ctx.we = max(ctx.we, max(ctx.activity) + 1)
    ctx.ws = max(0, ctx.ws)
    if length is not None:
        ctx.we = min(ctx.we, length)
    return ctx


def format_conversions(counts: dict[int, int], label: str) -> str:
    """``{protospacer position: reads}`` -> ``C5:12;C7:3`` (positions ascending; empty when none)."""
    return ";".join(f"{label}{p}:{n}" for p, n in sorted(counts.items()) if n)
