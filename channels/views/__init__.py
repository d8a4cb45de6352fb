"""Pages of the channels app for branch staff: the timeline, logging contacts, requests."""
