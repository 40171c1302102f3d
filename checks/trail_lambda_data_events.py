"""trail-lambda-data-events: Lambda invoke (data) events are recorded for all functions."""

from __future__ import annotations

from auditor.semantics.event_selectors import LAMBDA_FUNCTIONS

from ._data_events import data_events

CHECK = data_events(LAMBDA_FUNCTIONS)
META = CHECK.meta
