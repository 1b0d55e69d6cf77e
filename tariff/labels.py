"""The quote's steps (tariff.engine, which stays free of Django) in the user's language.

The engine names each step in English, with its figures in the name; the policy keeps those
names as issued (rating_steps). Pages show step_name()/step_value(): each known pattern is a
translatable text with the same figures, codes (profession, setting) get their human names
(core.labels). An unknown step is shown as the engine wrote it."""
from __future__ import annotations

import re

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.labels import profession_name

SETTINGS = {
    "hospital": gettext_lazy("hospital"),
    "own_office": gettext_lazy("own independent office"),
    "doctors_office": gettext_lazy("doctor's office"),
}


def setting_name(code: str) -> str:
    return str(SETTINGS.get(code, code))


def _patterns():
    return [
        (r"profession", lambda m: _("profession")),
        (r"base rate ‰ \((\S+), (\S+)\)", lambda m: _("base rate ‰ (%(profession)s, %(setting)s)") % {
            "profession": profession_name(m[1]), "setting": setting_name(m[2])}),
        (r"risk group (\d+) rate ‰ \((\S+)\)", lambda m: _("risk group %(group)s rate ‰ (%(setting)s)") % {
            "group": m[1], "setting": setting_name(m[2])}),
        (r"(\S+) multiplier", lambda m: _("%(setting)s multiplier") % {"setting": setting_name(m[1])}
         if m[1] in SETTINGS else None),
        (r"resident multiplier", lambda m: _("resident multiplier")),
        (r"cover share (\S+) multiplier", lambda m: _("cover share %(share)s multiplier") % {"share": m[1]}),
        (r"rate ‰", lambda m: _("rate ‰")),
        (r"full cover", lambda m: _("full cover")),
        (r"insured cover \((\S+)\)", lambda m: _("insured cover (%(share)s)") % {"share": m[1]}),
        (r"premium before discounts", lambda m: _("premium before discounts")),
        (r"group discount (\S+) \(group of (\d+), band (.+)\)",
         lambda m: _("group discount %(rate)s (group of %(size)s, band %(band)s)") % {
             "rate": m[1], "size": m[2], "band": m[3]}),
        (r"group discount not applied", lambda m: _("group discount not applied")),
        (r"no-claims discount (\S+) \((\d+) claim-free years\)",
         lambda m: _("no-claims discount %(rate)s (%(years)s claim-free years)") % {"rate": m[1], "years": m[2]}),
        (r"premium", lambda m: _("premium")),
        (r"VAT (\S+)", lambda m: _("VAT %(rate)s") % {"rate": m[1]}),
        (r"total", lambda m: _("total")),
    ]


def step_name(name: str) -> str:
    for pattern, text in _patterns():
        m = re.fullmatch(pattern, name)
        if m:
            shown = text(m)
            if shown is not None:
                return shown
    return name


def _value_patterns():
    return [
        (r"(\S+) \(risk group (\d+)\)", lambda m: _("%(profession)s (risk group %(group)s)") % {
            "profession": profession_name(m[1]), "group": m[2]}),
        (r"group size (\d+) is below the minimum of (\d+)",
         lambda m: _("group size %(size)s is below the minimum of %(minimum)s") % {"size": m[1], "minimum": m[2]}),
        (r"the group was formed for the purpose of buying insurance",
         lambda m: _("the group was formed for the purpose of buying insurance")),
        (r"(\d+) insured of (\d+) members is less than (\S+) of the group",
         lambda m: _("%(size)s insured of %(members)s members is less than %(share)s of the group") % {
             "size": m[1], "members": m[2], "share": m[3]}),
    ]


def step_value(name: str, value: str) -> str:
    if name in ("profession", "group discount not applied"):
        for pattern, text in _value_patterns():
            m = re.fullmatch(pattern, value)
            if m:
                return text(m)
    return value


def steps_shown(steps) -> list[tuple[str, str]]:
    """(name, value) pairs of a quote's steps, or a policy's rating_steps, as a page shows them."""
    out = []
    for step in steps or []:
        name, value = (step["name"], step["value"]) if isinstance(step, dict) else step
        out.append((step_name(name), step_value(name, value)))
    return out
