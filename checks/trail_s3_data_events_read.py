"""trail-s3-data-events-read: S3 object-level read events are recorded for all buckets."""

from __future__ import annotations

from ._data_events import s3_data_events

CHECK = s3_data_events(write=False)
META = CHECK.meta
