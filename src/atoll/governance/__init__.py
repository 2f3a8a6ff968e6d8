"""Governance: reports and the moderation queue, the audit log's readers (the admin page and
API), and space analytics for owners. It sits above the content domains and acts on content
through their own ``do_*`` functions."""
