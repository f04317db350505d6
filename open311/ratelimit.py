"""Rate limits of the Open311 endpoints: the shared fixed-window counter (geoportal.ratelimit)
keyed per API key or per client address (geoportal.clientip: REMOTE_ADDR unless the peer is a
trusted proxy)."""
from __future__ import annotations

from geoportal.clientip import client_ip
from geoportal.ratelimit import hit

__all__ = ["client_ip", "hit"]
