"""What annotations announces, for the apps built on it to react to.

Annotations never imports reviews: when a claim or its evidence changes in a way a review must
answer, the service that made the change sends one of these signals. They are sent with
``send`` (not ``send_robust``) inside the service's transaction, so a receiver's writes commit
or roll back with their cause, and a receiver's error fails the change. They are not
``post_save``: each is sent once per domain event, by the one service that causes it, with
what a receiver needs to react without reading the rows again. Reviews connects its receivers
in ``ReviewsConfig.ready()`` (``reviews/receivers.py``).
"""

from __future__ import annotations

from django.dispatch import Signal

# A claim was marked. kwargs: ``claim`` (the saved Claim). Sent by claim_create.
claim_created = Signal()

# Re-anchoring onto a new article revision changed the words some claims quote, or left them
# nowhere (orphaned). kwargs: ``reasons`` ({claim id: what changed, for people}), ``changes``
# ({claim id: {"code": "wording_changed" | "claim_orphaned", "before": the words quoted until
# now, "after": the words quoted now (None when orphaned), "revision": the new revision's
# number}}, the same claims), ``by`` (the revision's author, or None). Sent by claims_reanchor
# once per revision, with every claim concerned. A receiver returns how many claims it newly
# flagged (an int).
claims_wording_changed = Signal()

# Evidence links were found broken, dead or a soft 404 by a link check. kwargs: ``links``
# ({link id: its new health}), ``claims`` ({claim id: why its evidence is stale}: each claim
# citing one of the links, once). Sent by the link checker's recording, once per batch of
# results that has any.
evidence_went_stale = Signal()

# The page an evidence link points to changed since the evidence was attached (its fingerprint
# moved). kwargs: ``claims`` ({claim id: why}). Sent by the link checker's recording.
evidence_page_changed = Signal()

# Evidence links that were stale (broken, dead or a soft 404) work again: a check found them ok
# or permanently moved. kwargs: ``links`` ({link id: its new health}). Sent by the link
# checker's recording, once per batch of results that has any.
evidence_recovered = Signal()

# Evidence whose link had no successful check for LINK_STALE_AFTER_DAYS (and is not stale for
# another reason). kwargs: ``links`` ({link id: when it was last ok, or None}), ``claims``
# ({claim id: why}). Sent by the daily sweep (`linkhealth.sweeps.evidence_sweep_unverified`);
# such a link's next successful check sends ``evidence_recovered``.
evidence_unverified = Signal()
