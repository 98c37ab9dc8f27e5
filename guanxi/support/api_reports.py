"""REST endpoints of the service desk: reports."""

from ninja import Router

router = Router(tags=["reports"])
