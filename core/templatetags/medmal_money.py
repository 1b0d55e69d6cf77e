"""Money and dates in templates, through core.money_format: {% load medmal_money %}
{{ row.amount|money:"RUB" }} (right-aligned, code beside), {{ total|amount:currency }} (text only),
{{ day|date_jalali:currency }} (the Jalali date beside the Gregorian one for rial business)."""
from django import template

from core import money_format

register = template.Library()


@register.filter
def money(value, currency):
    return money_format.money_html(value, currency)


@register.filter
def money_bare(value, currency):
    """For a column whose header names the currency."""
    return money_format.money_html(value, currency, code=False)


@register.filter
def amount(value, currency):
    return money_format.amount_text(value, currency)


@register.filter
def date_jalali(value, currency=None):
    return money_format.date_html(value, currency)
