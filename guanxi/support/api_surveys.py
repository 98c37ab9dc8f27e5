"""REST endpoints of the service desk: surveys."""

from ninja import Router

router = Router(tags=["surveys"])
