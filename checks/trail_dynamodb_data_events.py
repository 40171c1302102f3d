"""trail-dynamodb-data-events: DynamoDB item-level (data) events are recorded for all tables."""

from __future__ import annotations

from auditor.semantics.event_selectors import DYNAMODB_TABLES

from ._data_events import data_events

CHECK = data_events(DYNAMODB_TABLES)
META = CHECK.meta
