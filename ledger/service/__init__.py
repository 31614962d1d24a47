"""An agency's HTTP service: one ASGI app (FastAPI) over the SDK, run by uvicorn.

- `app.create_app(source, ...)`: the app factory, taking its dependencies;
- `exchange_routes`: the once-only data service (POST /exchange/query);
- `citizen_routes`: the citizen's side (GET /exchange/challenge, GET /exchange/receipts,
  POST /exchange/consents, POST /exchange/consents/withdraw);
- `errors`: every error as JSON with a stable code, in one handler (4xx for bad input, never a
  traceback);
- `limits`: the request body limit (before parsing) and the per-requester rate limit;
- `server`: running the app under uvicorn, stopping cleanly on SIGINT/SIGTERM.
"""

from __future__ import annotations

from ledger._lazy import lazy_exports

__all__ = ["ServiceLimits", "create_app", "serve"]

__getattr__, __dir__ = lazy_exports(
    __name__,
    globals(),
    {
        "ServiceLimits": "ledger.service.limits",
        "create_app": "ledger.service.app",
        "serve": "ledger.service.server",
    },
)
