"""The check contract (``checkapi``), the results document, check discovery, the fail-closed runner,
and the helpers shared by each check family (trails, bucket policies, lifecycle, alarms, logs).

Checks in ``checks/`` import from here. May import ``auditor.model``, ``auditor.semantics``,
``auditor.logs`` and ``auditor.integrity``; never ``auditor.aws`` or anything above.
"""
