from django import template

from guanxi.core.text import person_name

register = template.Library()


@register.filter
def person(user: object) -> str:
    """{{ customer.owner|person }}: the person's display name (张伟 / Wei Zhang / username)."""
    return person_name(user)
