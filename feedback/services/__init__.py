"""Every write to feedback requests and feedback, split by sub-domain.

- requests.py  creating requests (one or many), with suppression
- sending.py   the outbox: claiming, sending invitations and reminders, the sweep, expiry
- responses.py the customer's answer, unsubscribing, bounces
"""
