"""Template filters of the run page."""
from django import template

register = template.Library()


@register.filter
def with_cession(results):
    """The segment results a treaty covered (their reinsurers' share is shown beside the gross)."""
    return [r for r in results if (r.cession or {}).get("treaties")]
