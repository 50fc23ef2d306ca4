"""Every write of the celebrating side.

- digest.py  the weekly wins email: when it is due, what it holds (one bounded selector per section),
             claiming the week so it goes once, and a staff member's one-click opt-out
- kudos.py   personal notes to staff named in a 4–5 star answer, at most one email a day each
- meeting_sheet.py  the one-page weekly sheet for the team meeting: one bounded selector per section
"""
