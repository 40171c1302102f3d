"""The CI gate: baseline files (overrides, waivers, required checks), drift against a previous scan,
the scan history (stores read and write through a client the caller passes) and notifications.

May import ``auditor.mapping.frameworks``, ``auditor.engine.runner`` and below.
"""
