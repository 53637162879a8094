"""Shareable documents made from a core: ``dapcore report`` (one core, as
text, Markdown or JSON) and ``dapcore triage`` (many cores, grouped by crash
signature). A front end, beside :mod:`dapcore.cli` and :mod:`dapcore.render`:
it reads the core through :class:`dapcore.engine.Engine` only."""
