"""Template filters of the run page."""
from django import template

from core import labels

register = template.Library()


@register.filter
def with_cession(results):
    """The segment results a treaty covered (their reinsurers' share is shown beside the gross)."""
    return [r for r in results if (r.cession or {}).get("treaties")]


# the codes of the workbench's own words by their human names (core.labels)
register.filter("basis_name", labels.basis_name)
register.filter("bootstrap_status_name", labels.bootstrap_status_name)
