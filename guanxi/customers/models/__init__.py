from .activity import Interaction, Task
from .custom_fields import CustomFieldDefinition
from .customer import Contact, Customer, Tag
from .imports import ImportEntity, ImportJob, ImportMapping
from .orders import Order, OrderLine, Product
from .team import CustomerTeamMember

__all__ = [
    "Contact",
    "CustomFieldDefinition",
    "Customer",
    "CustomerTeamMember",
    "ImportEntity",
    "ImportJob",
    "ImportMapping",
    "Interaction",
    "Order",
    "OrderLine",
    "Product",
    "Tag",
    "Task",
]
