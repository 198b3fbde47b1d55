"""End-to-end tests: a real datasette process, a real HTTP client and a real browser."""
