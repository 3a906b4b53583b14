"""Long-term follow-up (LTFU) tier from the sponsor's three answers in ``product.ltfu``.

The tiers are stated identically (up to wording) in two seed documents:

* 001 《免疫细胞治疗产品临床试验技术指导原则（试行）》 三（一） — rows R001-16, R001-17, R001-18;
* 002 (gene-therapy new-technology clinical research guide) 7.5 — rows R002-62, R002-63, R002-64.

=========================================  =============================================  ==========
exogenous gene expressed                   integration or recombination risk              minimum
=========================================  =============================================  ==========
no, and ex vivo manipulation does not      (not relevant)                                  >= 1 year
alter DNA (001: nor survival/differentiation;  001 adds: not shorter than the cells'
natural in vivo lifespan)
yes                                        no, or low                                      >= 5 years
yes                                        yes                                             >= 15 years
=========================================  =============================================  ==========

An answer that is ``None`` (not stated) leaves the tier open: the report prints "sponsor to state".
"No exogenous expression but DNA altered ex vivo" (e.g. a knock-out without a transgene) is not
covered by the stated tiers; the report says so rather than guessing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

INTEGRATING_VECTORS = ("gamma_retrovirus", "lentivirus", "transposon")
CITED_ROWS = ("R001-16", "R001-17", "R001-18", "R002-62", "R002-63", "R002-64")


@dataclass(frozen=True)
class LtfuTier:
    years: int | None          # 1, 5, 15 or None (undetermined)
    rows: tuple[str, ...]      # requirement rows that state this tier
    basis_en: str
    basis_zh: str
    notes: tuple[tuple[str, str], ...] = field(default_factory=tuple)  # (en, zh) remarks

    @property
    def determined(self) -> bool:
        return self.years is not None


def _answer(ltfu: dict, key: str):
    value = (ltfu or {}).get(key)
    if value is None or isinstance(value, bool):
        return value
    raise ValueError(f"product.ltfu.{key}: expected true, false or null, got {value!r}")


def ltfu_tier(ltfu: dict | None, vector: str = "none") -> LtfuTier:
    """Tier from the answers ``exogenous_gene_expressed``, ``integration_or_recombination_risk``,
    ``dna_altered_ex_vivo`` (each True/False/None)."""
    expressed = _answer(ltfu or {}, "exogenous_gene_expressed")
    integ = _answer(ltfu or {}, "integration_or_recombination_risk")
    altered = _answer(ltfu or {}, "dna_altered_ex_vivo")
    notes: list[tuple[str, str]] = []
    if integ is False and vector in INTEGRATING_VECTORS:
        notes.append((f"The declared vector ({vector}) integrates into the genome, but the answer to "
                      "'integration or recombination risk' is 'no': the sponsor should justify this.",
                      f"所申报载体（{vector}）为整合型，但“基因整合或重组风险”的回答为“否”：申请人应说明理由。"))
    if expressed is True and integ is True:
        return LtfuTier(15, ("R001-18", "R002-64"),
                        "Exogenous gene expressed and the vector carries an integration or recombination risk.",
                        "有外源基因表达，且载体存在基因整合或重组风险。", tuple(notes))
    if expressed is True and integ is False:
        return LtfuTier(5, ("R001-17", "R002-63"),
                        "Exogenous gene expressed, no (or low) integration or recombination risk.",
                        "有外源基因表达，但无基因整合或重组风险（或风险较低）。", tuple(notes))
    if expressed is False and altered is False:
        notes.append(("001 adds: not shorter than the natural in vivo lifespan of the cells.",
                      "001 另要求：不应短于细胞在体内的自然存活时间。"))
        return LtfuTier(1, ("R001-16", "R002-62"),
                        "No exogenous gene expression and the ex vivo manipulation does not alter DNA.",
                        "无外源基因表达，且体外操作不改变DNA。", tuple(notes))
    if expressed is False and altered is True:
        return LtfuTier(None, CITED_ROWS,
                        "No exogenous gene expression, but DNA altered ex vivo: this case is not covered by the "
                        "three tiers stated in 001 and 002; sponsor to state and justify the duration.",
                        "无外源基因表达但体外操作改变了DNA：001 与 002 所述三档随访期未涵盖此情形；"
                        "申请人应说明随访时长并论证。", tuple(notes))
    if expressed is None:
        missing = ["exogenous_gene_expressed"]
    elif expressed is True:
        missing = ["integration_or_recombination_risk"]
    else:
        missing = ["dna_altered_ex_vivo"]
    return LtfuTier(None, CITED_ROWS,
                    "Sponsor to state: answer(s) missing for " + ", ".join(missing) + ".",
                    "申请人待说明：以下问题未作答：" + "、".join(missing) + "。", tuple(notes))
