"""Every write of the celebrating side, and the builders that compose a report from its reads.

- digest.py  the weekly wins email: when it is due, what it holds (built from one bounded selector
             per section), claiming the week so it goes once, and a staff member's one-click opt-out
- kudos.py   personal notes to staff named in a 4–5 star answer, at most one email a day each
- meeting_sheet.py  the one-page weekly sheet for the team meeting, built from one bounded selector
             per section
- scorecards.py  a staff member's own monthly scorecard, and queuing it once a month

The reads themselves are in insights.selectors (and the business-wide figures in insights.metrics);
the weeks and months they cover in insights.periods.
"""
