"""The scoring engine: the maturity level of organisations, derived from measure events.

Pure functions over pandas frames; no database, no files. The input is an *events* frame
(``org``, ``measure_id``, ``status``, ``date``; optionally ``due_date``), the append-only
history of measure statuses. Status keys: ``planned``, ``in_progress``, ``completed``,
``not_applicable``.

The rule, for a catalog with levels 1..N and threshold θ, organisation o, Stichtag t:

1. The state of (o, measure m) at t is the event of o and m with the greatest date <= t;
   among events of the same date the later row wins. No such event: open. Events dated
   after t are ignored.
2. m is *done* iff its state is ``completed`` and (``valid_for_months`` is null, or
   t < completion date + valid_for_months calendar months, the day clipped to the month's
   end as ``pandas.DateOffset`` does: 2023-01-31 + 1 month = 2023-02-28, and on 2023-02-28
   the measure is no longer done). The completion date is the date of the state event.
3. m is *excluded* iff its state is ``not_applicable``: neither done nor open, mandatory
   or not.
4. f(d, l) = weight of the done measures of dimension d on level l / weight of its
   non-excluded measures; 1.0 when all are excluded.
5. Level l of d is fulfilled iff f(d, l) >= θ and every mandatory, non-excluded measure of
   d on level l is done. The comparison is ``f >= θ - 1e-12`` (:data:`TOLERANCE`) so that
   float rounding of the weight sums cannot miss a threshold reached exactly.
6. level(d) = the largest l in 0..N such that levels 1..l are all fulfilled.
7. score(d) = N if level(d) = N, else level(d) + min(f(d, level(d) + 1), 0.99); so
   floor(score) == level.
8. overall: level = minimum of the dimensions' levels; score = mean of the dimensions'
   scores weighted by dimension weight.
9. measures_completed = number of done measures; measures_total = number of non-excluded
   measures; overall: sums over the dimensions.
"""

from spatz.scoring._catalog import STATUSES
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
    "EventsError",
    "TargetsError",
    "explain",
    "forecast",
    "month_ends",
    "roadmap",
    "score",
    "trend",
]
