"""REST endpoints of the service desk: complaints."""

from ninja import Router

router = Router(tags=["complaints"])
