"""Email: the one builder (subject, text, HTML from named templates), MIME bytes, the recording SMTP
backend and the development console backend. Imports only `core`.
"""
