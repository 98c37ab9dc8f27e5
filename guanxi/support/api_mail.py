"""REST endpoints of the service desk: mail."""

from ninja import Router

router = Router(tags=["mail"])
