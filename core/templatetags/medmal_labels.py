"""Template filters that show stored codes by their human names in the user's language
(core.labels): {% load medmal_labels %} … {{ r.segment|segment_name }}."""
from django import template

from core import labels

register = template.Library()

register.filter("segment_name", labels.segment_name)
register.filter("profession_name", labels.profession_name)
register.filter("method_name", labels.method_name)
register.filter("grain_name", labels.grain_name)
register.filter("data_check_name", labels.data_check_name)
register.filter("severity_name", labels.severity_name)
register.filter("reserve_name", labels.reserve_name)
