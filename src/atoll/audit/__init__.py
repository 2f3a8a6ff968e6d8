"""The audit log: who did what to what, when, with the state before and after. Append-only:
``record_audit`` adds one row in the caller's transaction; nothing in the application edits
or deletes a row (the one exception, pseudonymising an erased person, is
``do_pseudonymise``)."""
