"""One guarded outbound HTTP layer for everything that leaves the machine.

`guard` vets a URL and every address it resolves to before any connection; `fetcher` makes
pinned requests to vetted addresses only (link checks, webhooks); `limits` holds the limits
shared in Redis (per-host gate, per-origin breaker); `loop` keeps one fetch event loop per
process; `config` builds all of these from Django settings. No Django models in here.
"""
