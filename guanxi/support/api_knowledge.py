"""REST endpoints of the service desk: knowledge."""

from ninja import Router

router = Router(tags=["knowledge"])
