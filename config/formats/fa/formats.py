# Shown as Django's Persian (Gregorian, "20 سپتامبر 2025"; the Jalali date is added beside it for
# rial business by core.money_format); inputs ISO.
DATE_INPUT_FORMATS = ["%Y-%m-%d"]
DATETIME_INPUT_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]
