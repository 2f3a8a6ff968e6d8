"""The event spine, below every domain: the log of events (a transactional outbox), the
subscribers that follow a change inside its transaction, and the broker that announces
committed events to the servers' streams.

A domain's ``do_*`` writes its rows and calls ``record_event`` (through its own ``events.py``);
whatever must follow elsewhere — a search document, a notification, an interaction row —
is a subscriber to that event type, wired by the shell when it makes the sessionmaker
(``outbox.wire``). So a domain never calls the domains above it, and a change is whole or
not at all."""
