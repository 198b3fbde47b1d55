"""Serving hardened against hostile clients: per-address limits shared by the workers (client_limits.py),
bounded HTTP heads (http_protocol.py) and one short log line per refusal (http_log.py). Used by serve.py
and the site's request_guard plugin; none of it imports the build."""
