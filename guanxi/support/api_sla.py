"""REST endpoints of the service desk: sla."""

from ninja import Router

router = Router(tags=["sla"])
