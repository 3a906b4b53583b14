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
* prime editor without an intended edit (off-target sites, WGS or amplicon): an indel in the window, or a
  substitution in the stretch a reverse transcript can write: from the nick over ``reach`` bases on the PAM
  side (3' of the nick on the protospacer strand; default :data:`PRIME_REACH`, or the RT template length
  given). Substitutions elsewhere in the window are not a prime editor's product (they stay
  ``substitution_only``, reported but not events). The window is widened to cover that stretch;
* HDR without an intended edit (off-target sites): an indel in the window (the nuclease's double-strand
  break; a donor's templated edit needs homology an off-target site lacks); substitutions are reported, not
  events;
* prime editor / HDR with an intended edit (``expected_sequence`` or ``pegrna_extension`` in amplicons.tsv;
  ``sitecheck.intended_edits`` for WGS sites): each read is aligned to the reference and to the expected
  sequence and assigned to the better one (equal scores: ambiguous), like CRISPResso2
  (:data:`OUTCOMES`); ``events`` = every read that is not reference-unmodified (intended edits plus
  unintended indels/substitutions). With a ``scaffold`` (pegRNA scaffold, 5'->3', RNA or DNA letters), a
  prime-edited read with an insertion at the 3' end of the flap that begins with the reverse complement of
  the scaffold's 3' end is ``scaffold_incorporated``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cgtsafe.errors import InputError
from cgtsafe.io.fasta import revcomp

KINDS = ("nuclease", "base", "prime", "hdr")
#: bases from the nick (PAM side) that a prime editor's reverse transcript can write when no RT template length
#: is given: RT templates of PE2/PE3 are mostly 10-16 nt (Anzalone et al. 2019 Nature 576:149); 20 covers them
PRIME_REACH = 20
#: per-read classes against an expected (prime-edited / HDR) sequence, CRISPResso2's: Reference
#: unmodified/modified, Prime-edited (or HDR) unmodified/modified, Scaffold-incorporated, ambiguous
OUTCOMES = ("reference_unmodified", "reference_modified", "intended_unmodified", "intended_modified",
            "scaffold_incorporated", "ambiguous")


@dataclass(frozen=True)
class Editor:
    name: str
    kind: str
    conversion: tuple[str, str] = ("", "")
    window: tuple[int, int] = (0, 0)
    aliases: tuple[str, ...] = field(default_factory=tuple)
    reach: int = PRIME_REACH  # prime editors: bases from the nick a reverse transcript can write

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
        if self.kind == "prime":
            return f"indel or substitution within {self.reach} nt 3' of the nick"
        return "indel"


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


def get_editor(name: str = "nuclease", window: tuple[int, int] | list | None = None,
               reach: int | None = None) -> Editor:
    """Preset by name or alias (case-insensitive); ``window`` overrides a base editor's activity window,
    ``reach`` a prime editor's (the RT template length)."""
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
    if reach:
        if ed.kind != "prime":
            raise InputError(f"editor {ed.name}: an RT template length applies to prime editors only")
        if not 1 <= int(reach) <= 200:
            raise InputError(f"RT template length: expected 1..200 nt, got {reach!r}")
        ed = Editor(ed.name, ed.kind, reach=int(reach))
    return ed


#: the forms an amplicon table's ``editor`` cell may take (:func:`parse_editor_spec`), for error messages and docs
EDITOR_SPEC_FORMS = ("PRESET (nuclease, CBE, ABE, ABE8e, PE, HDR or an alias such as BE4max, ABE7.10, PE2), "
                     "PRESET:FIRST-LAST (a base editor's activity window, protospacer positions 1-20, e.g. CBE:4-8), "
                     "X>Y:FIRST-LAST (a base editor by its conversion on the protospacer strand, e.g. C>G:4-8) or "
                     "PRESET:rt=N (a prime editor's RT template length, e.g. PE2:rt=13)")


def parse_editor_spec(text: str) -> Editor:
    """An editor written in one cell (the amplicon table's ``editor`` column): ``PRESET``, ``PRESET:FIRST-LAST``,
    ``X>Y:FIRST-LAST`` or ``PRESET:rt=N`` (:data:`EDITOR_SPEC_FORMS`). A conversion-defined editor is a base
    editor named ``X>Y`` (conversion X to Y on the protospacer strand, the + strand of a + strand site).
    Raises :class:`InputError` naming what is wrong and the expected forms."""
    import re

    spec = str(text or "").strip()
    name, sep, arg = (x.strip() for x in spec.partition(":"))
    window = re.fullmatch(r"(\d+)\s*-\s*(\d+)", arg)
    rt = re.fullmatch(r"rt\s*=\s*(\d+)", arg, flags=re.IGNORECASE)
    conv = re.fullmatch(r"([ACGT])\s*>\s*([ACGT])", name.upper())
    try:
        if conv:
            if not window or conv.group(1) == conv.group(2):
                raise InputError(f"a conversion-defined base editor needs two different bases and a window, got {spec!r}")
            return Editor(f"{conv.group(1)}>{conv.group(2)}", "base", (conv.group(1), conv.group(2)),
                          (int(window.group(1)), int(window.group(2))))
        if name.lower() not in _BY_NAME:
            raise InputError(f"unknown editor {name!r}")
        if not sep:
            return get_editor(name)
        if window:
            return get_editor(name, (int(window.group(1)), int(window.group(2))))
        if rt:
            return get_editor(name, reach=int(rt.group(1)))
        raise InputError(f"cannot read {arg!r} after {name}:")
    except InputError as exc:
        raise InputError(f"{exc}; expected {EDITOR_SPEC_FORMS}") from None


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
    templated: tuple[int, int] = (0, 0)  # prime editor: [lo, hi) local stretch its reverse transcript can write

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
        if kind == "prime":
            lo, hi = self.templated
            return cls == INDEL or (cls != UNMODIFIED and any(lo <= i < hi for i, _, _ in subs)), []
        return cls == INDEL, []


def site_context(editor: Editor, strand: str, cut_lo: int, cut_hi: int, flank: int, length: int | None = None,
                 ref: bytes | None = None, intended: bool = False) -> SiteContext:
    """Window and activity positions of ``editor`` at a site whose cut interval is ``[cut_lo, cut_hi]``
    (local 0-based indexes of the base right of each nick) on ``strand``; ``length`` clips the window.
    ``intended``: the site has an intended (expected) edit, against which reads are classified instead."""
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
    elif editor.kind == "prime" and not intended:  # with an intended edit the reads are classified against it
        nick = min(cut_lo, cut_hi)
        ctx.templated = (nick, nick + editor.reach) if strand != "-" else (nick - editor.reach, nick)
        ctx.ws = min(ctx.ws, ctx.templated[0])
        ctx.we = max(ctx.we, ctx.templated[1])
    ctx.ws = max(0, ctx.ws)
    if length is not None:
        ctx.we = min(ctx.we, length)
    return ctx


def format_conversions(counts: dict[int, int], label: str) -> str:
    """``{protospacer position: reads}`` -> ``C5:12;C7:3`` (positions ascending; empty when none)."""
    return ";".join(f"{label}{p}:{n}" for p, n in sorted(counts.items()) if n)


#: reference bases on each side of a WGS read in the segment it is realigned to (intended-edit sites)
SEGMENT_PAD = 30


@dataclass
class IntendedEdit:
    """The intended edit at one WGS site (``sitecheck.intended_edits``): a pegRNA 3' extension (prime
    editing; the expected sequence is built as for amplicons), or a + strand reference stretch
    ``[edit_start, edit_end)`` (0-based, contig coordinates) replaced by ``replacement`` (HDR donor or any
    templated edit)."""

    site_id: str
    pegrna_extension: str = ""
    edit_start: int = -1
    edit_end: int = -1
    replacement: str = ""
    scaffold: str = ""

    def describe(self) -> str:
        if self.pegrna_extension:
            return f"pegRNA extension {self.pegrna_extension}"
        return f"+ strand {self.edit_start}-{self.edit_end} (0-based) -> {self.replacement or 'deleted'}"

    def _build(self, refseq: bytes, off: int, site) -> tuple[int, int, bytes, int | None]:
        """``(lo, hi, replacement, flap end)`` in the local coordinates of ``refseq`` (starting at ``off``)."""
        if not self.pegrna_extension:
            return self.edit_start - off, self.edit_end - off, self.replacement.upper().encode(), None
        from cgtsafe.sitecheck.amplicon import common_flanks, prime_edited_amplicon

        cut = site.cut_start - off
        a, b = max(0, cut - 150), min(len(refseq), cut + 150)
        seg = refseq[a:b]
        try:
            exp, fe = prime_edited_amplicon(seg.decode(), cut - a, site.strand, self.pegrna_extension)
        except InputError as exc:
            raise InputError(f"intended edit of site {self.site_id}: {exc}") from None
        e = exp.encode()
        pre, suf = common_flanks(seg, e)
        return a + pre, a + len(seg) - suf, e[pre:len(e) - suf], a + fe

    def span(self, ref, chrom: str, site, contig_len: int) -> tuple[int, int]:
        """Contig coordinates ``[lo, hi)`` of the reference stretch the edit changes."""
        a = max(0, site.cut_start - 400)
        refseq = ref.fetch_bytes(chrom, a, min(contig_len, site.cut_start + 400))
        lo, hi, _, _ = self._build(refseq, a, site)
        return a + lo, a + hi

    def local(self, refseq: bytes, off: int, site, editor) -> _LocalEdit:
        lo, hi, rep, fe = self._build(refseq, off, site)
        return _LocalEdit(lo, hi, rep, fe, site.cut_start - off, site.cut_end - off, site.strand,
                          self.scaffold or None)


@dataclass
class _LocalEdit:
    lo: int
    hi: int
    replacement: bytes
    flap_end: int | None
    cut: int
    cut_end: int
    strand: str
    scaffold: str | None

    def outcome(self, read, refseq: bytes, off: int, flank: int, min_baseq: int, editor) -> str | None:
        """CRISPResso2-style class of one aligned read (:data:`OUTCOMES`): the read is realigned to the
        reference segment it covers (+- :data:`SEGMENT_PAD`) and to the same segment with the edit applied
        (:func:`cgtsafe.sitecheck.amplicon.quantify_amplicon`). ``None``: the segment misses the edit."""
        from cgtsafe.sitecheck.amplicon import quantify_amplicon

        rs, re_ = read.reference_start - off, (read.reference_end or read.reference_start + 1) - off
        a, b = max(0, rs - SEGMENT_PAD), min(len(refseq), re_ + SEGMENT_PAD)
        if not (a <= self.lo and self.hi <= b):
            return None
        seg = refseq[a:b]
        exp = seg[:self.lo - a] + self.replacement + seg[self.hi - a:]
        quals = read.query_qualities
        seq = read.query_sequence.encode()
        qual = bytes(q + 33 for q in quals) if quals is not None else b"I" * len(seq)
        res = quantify_amplicon(seg.decode(), self.cut - a, [(seq, qual)], flank=flank, min_baseq=min_baseq,
                                min_identity=0.0, cut_end_offset=self.cut_end - a, editor=editor,
                                strand=self.strand, expected_seq=exp.decode(),
                                flap_end=None if self.flap_end is None else self.flap_end - a,
                                scaffold=self.scaffold)
        if not res["reads"]:
            return None
        return next(k for k in OUTCOMES if res[k])
