"""Webhooks: clients that do not poll register a URL and events; deliveries are signed,
retried with backoff by Celery, logged, and leave the machine only through the link
checker's address guard.

events.py (events_emit, called by the services that change things) · signing.py (pure) ·
delivery.py (the guarded POST, no ORM) · selectors.py (owner-scoped reads) ·
services.py (subscriptions, one attempt) · tasks.py (thin) · api.py (serializers and views)
"""
