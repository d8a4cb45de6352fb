"""The site shell: the home page and its widgets, the main menu, the demo banks.

It sits on top of the rest of ``crm`` (tenancy, audit, jobs, api): they never import it,
and apps above ``crm`` reach it only through its registries (``navigation``, ``widgets``,
``demo``), from their ``AppConfig.ready()``.
"""
