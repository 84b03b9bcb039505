"""The scoring engine: the maturity level of organisations, derived from measure events.

Pure functions over pandas frames; no database, no files. The input is an *events* frame
(``org``, ``measure_id``, ``status``, ``date``; optionally ``due_date``), the append-only
history of measure statuses. Status keys: the built-in ``planned``, ``in_progress``,
``completed``, ``not_applicable`` and the keys of the measure's answer scale.

The rule, for a catalog with levels 1..N (a level 0, if the catalog names one, is where an
organisation stands before level 1), threshold θ and rule ``gated`` or ``additive``,
organisation o, Stichtag t:

1. The state of (o, measure m) at t is the event of o and m with the greatest date <= t;
   among events of the same date the later row wins. No such event: open. Events dated
   after t are ignored.
2. The *credit* of m is the credit of its state's status in m's answer scale: ``planned``
   and ``in_progress`` 0, ``completed`` 1, ``not_applicable`` none; the keys of the
   catalog's ``answers`` (or of the scale ``answer_scales[m.answers]`` if m names one)
   with their credit in [0, 1]. Open: 0. A credit > 0 expires: if ``valid_for_months`` is
   set and not t < date of the state event + valid_for_months calendar months, the day
   clipped to the month's end as ``pandas.DateOffset`` does (2023-01-31 + 1 month =
   2023-02-28, and on 2023-02-28 the answer no longer counts), the credit is 0.
3. m is *excluded* iff its status has no credit (``not_applicable``): neither done nor
   open, mandatory or not. m is *done* iff its credit is 1.
4. f(d, l) = Σ weight · credit / Σ weight over the non-excluded measures of dimension d on
   level l; 1.0 when there are none (all excluded, or no measures on the level).

With ``rule: gated`` (the default):

5. Level l of d is fulfilled iff f(d, l) >= θ and every mandatory, non-excluded measure of
   d on level l is done. The comparison is ``f >= θ - 1e-12`` (:data:`TOLERANCE`) so that
   float rounding of the weight sums cannot miss a threshold reached exactly.
6. level(d) = the largest l in 0..N such that levels 1..l are all fulfilled.
7. score(d) = N if level(d) = N, else level(d) + min(f(d, level(d) + 1), 0.99); so
   floor(score) == level.

With ``rule: additive``:

8. score(d) = N · (mean of f(d, l) over the levels l on which d has measures, excluded
   or not); level(d) = floor(score(d) + 1e-12). θ and ``mandatory`` do not apply.

For both rules:

9. measures_completed = number of done measures; measures_total = number of non-excluded
   measures.
10. A group's members are its dimensions (catalog order), then its child groups (order of
    ``groups``). Its level = the minimum of its members' levels; its score = the mean of
    its members' scores weighted by their weights (the dimension's or the group's);
    measures_completed and measures_total = the sums over its members.
11. overall = the same over the top-level members: the dimensions without a group, then
    the groups without a parent (without groups: all dimensions, so level = the minimum
    of the dimensions' levels and score = their mean weighted by dimension weight).

Mappings between catalogs (:class:`Cover`: a source catalog, its events and pairs of its
measures with measures of the catalog scored, relation ``equal`` or ``superset``):

12. A measure y that is not excluded is done via mapping (credit 1) at t when a source
    measure x paired with it is done at t by its own state in its own catalog (clauses
    1–3 there, with its own answer scale and expiry). Only the source catalogs' own
    states count, never what a mapping gave them (not transitive). Pairs with relation
    ``subset`` or ``intersect`` never change a result.

Results have one row per organisation and dimension (catalog order), then one per group
(order of ``groups``), then ``overall``.
"""

from spatz.scoring._catalog import STATUSES
from spatz.scoring._covers import Cover
from spatz.scoring._engine import TOLERANCE
from spatz.scoring._events import EventsError
from spatz.scoring._planning import (
    FORECAST_COLUMNS,
    ROADMAP_COLUMNS,
    TARGET_COLUMNS,
    TargetsError,
    forecast,
    roadmap,
)
from spatz.scoring._score import (
    EXPLAIN_COLUMNS,
    RESULT_COLUMNS,
    explain,
    month_ends,
    score,
    trend,
)

__all__ = [
    "EXPLAIN_COLUMNS",
    "FORECAST_COLUMNS",
    "RESULT_COLUMNS",
    "ROADMAP_COLUMNS",
    "STATUSES",
    "TARGET_COLUMNS",
    "TOLERANCE",
    "Cover",
    "EventsError",
    "TargetsError",
    "explain",
    "forecast",
    "month_ends",
    "roadmap",
    "score",
    "trend",
]
