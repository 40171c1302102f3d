"""The built-in checks, one module per check; installed as ``auditor.builtin_checks``."""
