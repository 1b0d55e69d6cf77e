# Day-month-year and a 24-hour clock, as finance staff outside the US read dates ("20 Sep 2025, 22:30"),
# not Django's US "Sept. 20, 2025, 10:30 p.m.".
DATE_FORMAT = "j M Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j M Y, H:i"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
FIRST_DAY_OF_WEEK = 1
