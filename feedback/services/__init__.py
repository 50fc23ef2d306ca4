"""Every write to feedback requests and feedback, split by sub-domain.

- requests.py  creating requests (one or many), with suppression
- sending.py   the outbox: claiming, sending invitations and reminders, the sweep, expiry
- daily_limit.py  each business's daily cap of invitation emails, reserved when a batch is claimed
- responses.py the customer's answer, unsubscribing, bounces
"""
