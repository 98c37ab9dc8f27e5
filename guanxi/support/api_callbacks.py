"""REST endpoints of the service desk: callbacks."""

from ninja import Router

router = Router(tags=["callbacks"])
