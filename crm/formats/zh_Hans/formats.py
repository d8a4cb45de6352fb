# Amounts at Chinese banks are written with a comma every three digits (1,234,567.89);
# Django's zh_Hans locale groups by four with no separator, which shows no grouping at all.
# Everything not set here comes from Django's own zh_Hans formats.
THOUSAND_SEPARATOR = ","
NUMBER_GROUPING = 3
