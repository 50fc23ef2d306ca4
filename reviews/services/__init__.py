"""Every write to reviews and cases.

- moderation.py  reviews from consented feedback, publishing rules, moderation actions and their log
- cases.py       complaint cases: opening, alerts, updates, overdue reminders, "did we make it right?"
- staff_cases.py cases owned by front-line staff through a signed link (assign, revoke, resolve)
- answers.py     what happens when a customer answers or changes an answer (calls the two above)
"""
