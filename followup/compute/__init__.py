"""The quarterly follow-up computation, by job; followup.services holds its entry points.

- rollup: the set-based SQL that rolls observations up the unit tree (MeasureResult, and
  PeriodResult per period), each computed row compared with its stored one;
- series: the period series of each (measure, unit) and their SPC (SpcResult);
- goal_status: the inputs of every goal's status, gathered set-based, and their digests;
  evaluate: turning those inputs into a GoalResult row with goals.status (what decides a status);
- writes: how computed rows reach the result tables (temporary tables, COPY, upserts);
- db: statements, advisory locks and planner settings shared by the jobs;
- scope: which units the goals are about and which measures they follow.
"""
