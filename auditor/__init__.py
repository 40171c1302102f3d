"""trail-auditor: prove that CloudTrail audit logging is complete, protected and watched."""

from __future__ import annotations

__all__ = ["__version__"]

__version__ = "0.1.0"
