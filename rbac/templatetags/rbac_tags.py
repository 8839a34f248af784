from django import template

register = template.Library()


@register.filter
def allows(access, url_name: str) -> bool:
    """`{% if rbac|allows:"crm:campus-create" %}`: show a link or button only to those who may use it."""
    return bool(access) and access.allows(url_name)
