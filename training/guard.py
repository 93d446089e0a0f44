"""The promotion guard: may a challenger replace the champion, and why (pure functions).

The basis is the challenger's `champion_comparison` (`training.champion`): the champion
as deployed and the challenger scored on the same newest sales. Without one against the
current champion, two versions are still comparable when their test periods are the
same (same sales, each model's own evaluation); otherwise the guard refuses and says how
to get a comparison. Rules, on the figures of the same sales:

- overall MdAPE at most `MDAPE_TOLERANCE` above the champion's;
- overall PE10 at most `PE10_TOLERANCE` below the champion's;
- the 80 % range's coverage no further from 80 % than the champion's plus
  `COVERAGE_TOLERANCE`;
- no département × type cell of at least `MIN_CELL_SALES` sales with an MdAPE more than
  `CELL_MDAPE_TOLERANCE` above the champion's. Cells worse by more than
  `CELL_SHOWN_TOLERANCE` are said to be worse whatever their size.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from model.registry import PromotionRefused

MDAPE_TOLERANCE = 0.005
PE10_TOLERANCE = 0.01
COVERAGE_TARGET = 0.80
COVERAGE_TOLERANCE = 0.02
MIN_CELL_SALES = 200
CELL_MDAPE_TOLERANCE = 0.02
CELL_SHOWN_TOLERANCE = 0.005
TYPES = {"apartment": "apartments", "house": "houses"}


@dataclass
class Decision:
    """The guard's verdict and everything it looked at."""

    passed: bool
    basis: str  # "first model" | "champion as deployed" | "same test period" | "none"
    champion: str | None = None
    candidate: str | None = None
    sales: int | None = None
    period: list[str] | None = None
    rows: list[dict] = field(default_factory=list)  # metric, champion, challenger, ok, rule
    cells: list[dict] = field(default_factory=list)  # département × type, MdAPE of each
    reasons: list[str] = field(default_factory=list)  # why refused (empty when passed)

    @property
    def summary(self) -> str:
        """One line: the verdict and its main reason."""
        if self.passed:
            return f"promote: {self.basis}" + (f", {self.sales} sales" if self.sales else "")
        more = f" (and {len(self.reasons) - 1} more)" if len(self.reasons) > 1 else ""
        return f"refuse: {self.reasons[0]}{more}"

    def explain(self) -> str:
        """The comparison table, the cells that got worse and the verdict, for people."""
        if self.basis == "first model":
            return "guard: no champion yet, the first model is served as it is"
        lines = [
            f"guard: challenger {self.candidate} against champion {self.champion} "
            + (f"({self.basis}, {self.sales} sales of {' – '.join(self.period or [])})"
               if self.sales is not None else f"({self.basis})"),
        ]  # fmt: skip
        if self.rows:
            lines.append(f"  {'metric':<9} {'champion':>9} {'challenger':>10} {'change':>9}  rule")
            for row in self.rows:
                change = 100 * (row["challenger"] - row["champion"])
                lines.append(
                    f"  {row['metric']:<9} {_pct(row['champion']):>9} "
                    f"{_pct(row['challenger']):>10} {change:>+6.2f} pt  {row['rule']} "
                    f"{'ok' if row['ok'] else 'FAILED'}"
                )
        for cell in self.cells:
            mark = "refuses" if cell["refuses"] else "worse" if cell["worse"] else "ok"
            lines.append(
                f"  MdAPE of {cell['departement']} {TYPES.get(cell['property_type'], '?'):<10} "
                f"{_pct(cell['champion']):>9} {_pct(cell['challenger']):>10} "
                f"{100 * (cell['challenger'] - cell['champion']):>+6.2f} pt  "
                f"{cell['sales']} sales: {mark}"
            )
        verdict = "promote" if self.passed else "refuse"
        lines.append(f"decision: {verdict}" + "".join(f"\n  - {r}" for r in self.reasons))
        return "\n".join(lines)


def _pct(value: float) -> str:
    return f"{100 * value:.2f} %"


def decide(
    candidate: Mapping, champion: Mapping | None, candidate_name=None, champion_name=None
) -> Decision:
    """The verdict on `candidate` (a version's metadata) against the `champion`'s."""
    if champion is None:
        return Decision(True, "first model", candidate=candidate_name)
    champion_name = champion_name or champion.get("version")
    candidate_name = candidate_name or candidate.get("version")
    names = {"champion": champion_name, "candidate": candidate_name}
    comparison = _dict(candidate.get("champion_comparison"))
    if comparison and comparison.get("champion") == champion_name:
        if comparison.get("error"):
            reason = f"the champion could not be scored ({comparison['error']}): use --force"
            return Decision(False, "none", **names, reasons=[reason])
        results = _dict(comparison.get("results"))
        return _judge(
            _dict(results.get("champion")),
            _dict(results.get("challenger")),
            Decision(True, "champion as deployed", **names, sales=comparison.get("sales"),
                     period=comparison.get("period")),
        )  # fmt: skip
    new, old = _dict(candidate.get("evaluation")), _dict(champion.get("evaluation"))
    if new.get("test_period") and new.get("test_period") == old.get("test_period"):
        own = _dict(_dict(new.get("results")).get("model"))
        theirs = _dict(_dict(old.get("results")).get("model"))
        sales = _dict(own.get("overall")).get("sales")
        decision = Decision(True, "same test period", **names, sales=sales,
                            period=new["test_period"])  # fmt: skip
        return _judge(theirs, own, decision)
    against = comparison.get("champion") if comparison else None
    why = (
        f"it was compared with {against}, not with the current champion"
        if against
        else "it holds no comparison with the champion on the same sales (trained before "
        "the champion, or on no sale newer than the champion's data)"
    )
    reason = (
        f"test periods differ ({new.get('test_period')} vs champion {old.get('test_period')}) "
        f"and {why}: retrain now that {champion_name} is the champion, or use --force"
    )
    return Decision(False, "none", **names, reasons=[reason])


def _judge(champion: Mapping, challenger: Mapping, decision: Decision) -> Decision:
    """Apply the rules to the two evaluations of the same sales."""
    old, new = _dict(champion.get("overall")), _dict(challenger.get("overall"))
    rules = (
        ("MdAPE", "mdape", lambda c, n: n <= c + MDAPE_TOLERANCE,
         f"≤ champion + {100 * MDAPE_TOLERANCE:.1f} pt"),
        ("PE10", "pe10", lambda c, n: n >= c - PE10_TOLERANCE,
         f"≥ champion − {100 * PE10_TOLERANCE:.1f} pt"),
        ("coverage", "coverage",
         lambda c, n: abs(n - COVERAGE_TARGET) <= abs(c - COVERAGE_TARGET) + COVERAGE_TOLERANCE,
         f"|x − 80 %| ≤ champion's + {100 * COVERAGE_TOLERANCE:.0f} pt"),
    )  # fmt: skip
    for label, key, ok, rule in rules:
        c, n = old.get(key), new.get(key)
        if c is None or n is None:
            decision.reasons.append(f"{label} missing from the comparison: use --force")
            continue
        passed = bool(ok(c, n))
        decision.rows.append(
            {"metric": label, "champion": c, "challenger": n, "ok": passed, "rule": rule}
        )
        if not passed:
            decision.reasons.append(f"{label} {_pct(n)} against the champion's {_pct(c)} ({rule})")
    decision.cells = compare_cells(champion, challenger)
    for cell in decision.cells:
        if cell["refuses"]:
            decision.reasons.append(
                f"MdAPE of {cell['departement']} {TYPES.get(cell['property_type'], '?')} "
                f"{_pct(cell['champion'])} → {_pct(cell['challenger'])} (more than "
                f"{100 * CELL_MDAPE_TOLERANCE:.0f} pt worse on {cell['sales']} sales)"
            )
    decision.passed = not decision.reasons
    return decision


def compare_cells(champion: Mapping, challenger: Mapping) -> list[dict]:
    """Each département × type cell's MdAPE in both; `worse` when it rose by more than
    `CELL_SHOWN_TOLERANCE`, `refuses` when by more than the rule allows."""

    def cells(evaluation):
        rows = evaluation.get("by_departement_type") or []
        return {(str(r.get("departement")), str(r.get("property_type"))): r for r in rows
                if isinstance(r, Mapping)}  # fmt: skip

    old, new = cells(champion), cells(challenger)
    out = []
    for key in sorted(old.keys() & new.keys()):
        c, n = old[key].get("mdape"), new[key].get("mdape")
        if c is None or n is None:
            continue
        sales = int(min(old[key].get("sales") or 0, new[key].get("sales") or 0))
        refuses = sales >= MIN_CELL_SALES and n > c + CELL_MDAPE_TOLERANCE
        out.append({"departement": key[0], "property_type": key[1], "champion": c,
                    "challenger": n, "sales": sales, "worse": n > c + CELL_SHOWN_TOLERANCE,
                    "refuses": refuses})  # fmt: skip
    return out


def check(candidate: Mapping, champion: Mapping | None) -> Decision:
    """`decide`, raising `PromotionRefused` (with the decision) when it refuses: the
    `guard` of `model.registry.promote`."""
    decision = decide(candidate, champion)
    if not decision.passed:
        raise PromotionRefused("; ".join(decision.reasons), decision=decision)
    return decision


def _dict(value) -> dict:
    return dict(value) if isinstance(value, Mapping) else {}
