from .tickets import Holiday, SlaPolicy, Ticket, TicketMessage

__all__ = ["Holiday", "SlaPolicy", "Ticket", "TicketMessage"]
