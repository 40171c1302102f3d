"""trail-s3-data-events-write: S3 object-level write events are recorded for all buckets."""

from __future__ import annotations

from ._data_events import s3_data_events

CHECK = s3_data_events(write=True)
META = CHECK.meta
