"""The customers app's part of the partner API (``/api/v1/``)."""
