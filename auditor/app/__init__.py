"""The entry points and the sequences behind them: the CLI, console output, the evaluation pipeline,
the scan job, the demo.

The top layer: may import every other package; nothing in ``auditor`` imports it except
``auditor.aws`` entry points (the Lambda handler, which runs the same scan job) and ``__main__``.
"""
