"""The request plumbing that knows no domain: the request's transaction, idempotent writes,
CSRF tokens, how a request presents its sign-in, Jinja2 rendering and problem+json answers.
Every domain's routers stand on it; it imports nothing of theirs."""
