from .callbacks import Callback, CallbackRule
from .complaints import Compensation, ComplaintStep
from .email import InboundEmail, TicketAttachment
from .knowledge import Article, ArticleVersion
from .returns import ReturnLine, ReturnRequest
from .routing import RoutingRule, TeamCursor
from .surveys import Survey, SurveyInvitation, SurveyResponse
from .tickets import Holiday, SlaPolicy, SlaState, Ticket, TicketMessage, ticket_read_q, ticket_write_q

__all__ = [
    "Article",
    "ArticleVersion",
    "Callback",
    "CallbackRule",
    "Compensation",
    "ComplaintStep",
    "Holiday",
    "InboundEmail",
    "ReturnLine",
    "ReturnRequest",
    "RoutingRule",
    "SlaPolicy",
    "SlaState",
    "Survey",
    "SurveyInvitation",
    "SurveyResponse",
    "TeamCursor",
    "Ticket",
    "TicketAttachment",
    "TicketMessage",
    "ticket_read_q",
    "ticket_write_q",
]
