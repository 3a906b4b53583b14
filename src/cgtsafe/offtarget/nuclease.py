"""Nuclease presets for the off-target search (PAM, PAM side, spacer length, cut offsets).

A :class:`Nuclease` describes what the genome-wide search needs to know:

* ``pam``: the canonical PAM as an IUPAC pattern, written 5'->3' on the strand that carries the
  protospacer (the hit strand), e.g. ``NGG`` for SpCas9, ``TTTV`` for Cas12a;
* ``pam_side``: ``"3prime"`` (PAM follows the protospacer, Cas9) or ``"5prime"`` (PAM precedes it,
  Cas12a);
* ``spacer_length``: length of the guide spacer in nt;
* ``cut_offsets``: distance (nt) from the PAM-proximal end of the protospacer to the break on the hit
  (non-target) strand and on the target strand. Equal values give a blunt cut (SpCas9: 3/3), different
  values a staggered cut (Cas12a: 18/23);
* ``alt_pams``: alternative (weaker, non-canonical) PAMs searched in addition by default and reported
  with ``pam_class = alternative`` (SpCas9: NAG, NGA).

Preset table (names are case-insensitive; aliases map base and prime editors to their nuclease):

=================  =======  ========  ======  ======  ==================  ===============================
preset             PAM      side      spacer  cut     alternative PAMs    aliases
=================  =======  ========  ======  ======  ==================  ===============================
SpCas9             NGG      3'        20      3/3     NAG, NGA            Cas9, ABE8e, ABE7.10, BE3, BE4,
                                                                          BE4max, AncBE4max, CBE, ABE,
                                                                          PE2, PE3, PE3b, PEmax, HiFi-Cas9,
                                                                          eSpCas9, SpCas9-HF1
SpCas9-NRG         NRG      3'        20      3/3     -                   NRG, SpRY-NRG, xCas9-NRG
SpCas9-NG          NGN      3'        20      3/3     -                   NG, xCas9, SpCas9-NG-ABE
SpRY               NRN      3'        20      3/3     NYN                 SpRY-ABE8e, SpRY-CBE
SaCas9             NNGRRT   3'        21      3/3     -                   SaCas9-ABE, SaBE4
AsCas12a           TTTV     5'        20      18/23   -                   Cas12a, Cpf1, LbCas12a
=================  =======  ========  ======  ======  ==================  ===============================

A custom nuclease is built with :func:`custom_nuclease` (``--pam PATTERN --pam-side 3prime|5prime``).
Base and prime editors are searched with the PAM and spacer of the Cas9 they carry; their edit window
is not modelled here (the search reports the protospacer; editing outcome is assessed downstream).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from cgtsafe.errors import InputError

IUPAC = {
    "A": "A", "C": "C", "G": "G", "T": "T",
    "R": "AG", "Y": "CT", "S": "CG", "W": "AT", "K": "GT", "M": "AC",
    "B": "CGT", "D": "AGT", "H": "ACT", "V": "ACG", "N": "ACGT",
}  # fmt: skip

PAM_SIDES = ("3prime", "5prime")


@dataclass(frozen=True)
class Nuclease:
    """A CRISPR nuclease as the search sees it (see the module docstring for the fields)."""

    name: str
    pam: str
    pam_side: str = "3prime"
    spacer_length: int = 20
    cut_offsets: tuple[int, int] = (3, 3)
    alt_pams: tuple[str, ...] = field(default_factory=tuple)
    aliases: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self):
        for pat in (self.pam, *self.alt_pams):
            validate_pam(pat)
        if any(len(p) != len(self.pam) for p in self.alt_pams):
            raise InputError(f"nuclease {self.name}: alternative PAMs must have the length of the PAM {self.pam}")
        if self.pam_side not in PAM_SIDES:
            raise InputError(f"nuclease {self.name}: pam_side must be one of {', '.join(PAM_SIDES)}, got {self.pam_side!r}")
        if not 10 <= self.spacer_length <= 30:
            raise InputError(f"nuclease {self.name}: spacer_length must be 10..30, got {self.spacer_length}")

    @property
    def pam_length(self) -> int:
        return len(self.pam)

    @property
    def site_length(self) -> int:
        """Length of protospacer + PAM without bulges."""
        return self.spacer_length + len(self.pam)

    @property
    def blunt(self) -> bool:
        return self.cut_offsets[0] == self.cut_offsets[1]


def validate_pam(pattern: str, *, what: str = "PAM") -> str:
    """Upper-case an IUPAC PAM pattern and check it (1..10 letters of IUPAC nucleotide codes)."""
    pat = str(pattern).strip().upper()
    if not pat or len(pat) > 10 or any(c not in IUPAC for c in pat):
        raise InputError(f"{what} {pattern!r} is not an IUPAC nucleotide pattern of 1..10 letters (A C G T R Y S W K M B D H V N)")
    return pat


def pam_matches(pattern: str, seq: str) -> bool:
    """True if ``seq`` (A/C/G/T, any case) matches the IUPAC ``pattern`` (N matches A/C/G/T only)."""
    seq = seq.upper()
    return len(seq) == len(pattern) and all(b in IUPAC[p] for p, b in zip(pattern, seq))


NUCLEASES: dict[str, Nuclease] = {
    n.name: n
    for n in (
        Nuclease(
            "SpCas9",
            "NGG",
            "3prime",
            20,
            (3, 3),
            ("NAG", "NGA"),
            (
                "Cas9", "ABE8e", "ABE7.10", "ABE", "BE3", "BE4", "BE4max", "AncBE4max", "CBE",
                "PE2", "PE3", "PE3b", "PEmax", "HiFi-Cas9", "eSpCas9", "SpCas9-HF1",
            ),
        ),
        Nuclease("SpCas9-NRG", "NRG", "3prime", 20, (3, 3), (), ("NRG", "SpRY-NRG", "xCas9-NRG")),
        Nuclease("SpCas9-NG", "NGN", "3prime", 20, (3, 3), (), ("NG", "xCas9", "SpCas9-NG-ABE")),
        Nuclease("SpRY", "NRN", "3prime", 20, (3, 3), ("NYN",), ("SpRY-ABE8e", "SpRY-CBE")),
        Nuclease("SaCas9", "NNGRRT", "3prime", 21, (3, 3), (), ("SaCas9-ABE", "SaBE4")),
        Nuclease("AsCas12a", "TTTV", "5prime", 20, (18, 23), (), ("Cas12a", "Cpf1", "LbCas12a")),
    )
}

_BY_NAME: dict[str, Nuclease] = {}
for _n in NUCLEASES.values():
    for _alias in (_n.name, *_n.aliases):
        _BY_NAME[_alias.lower()] = _n


def get_nuclease(name: str) -> Nuclease:
    """Look up a preset by name or alias (case-insensitive)."""
    try:
        return _BY_NAME[str(name).strip().lower()]
    except KeyError:
        known = ", ".join(sorted(NUCLEASES))
        raise InputError(f"unknown nuclease {name!r}; expected one of {known} (or an alias listed in the docs), or a custom --pam") from None


def custom_nuclease(
    pam: str,
    *,
    pam_side: str = "3prime",
    spacer_length: int = 20,
    cut_offsets: tuple[int, int] | None = None,
    base: Nuclease | None = None,
) -> Nuclease:
    """A nuclease with a user-given PAM (no alternative PAMs); cut offsets default to the base's or 3/3."""
    pat = validate_pam(pam)
    if cut_offsets is None:
        cut_offsets = base.cut_offsets if base is not None and base.pam_side == pam_side else (3, 3)
    name = f"custom({pat},{pam_side})"
    return Nuclease(name, pat, pam_side, spacer_length, tuple(cut_offsets), ())
