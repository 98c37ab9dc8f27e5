"""REST endpoints of the service desk: returns."""

from ninja import Router

router = Router(tags=["returns"])
