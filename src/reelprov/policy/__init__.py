"""Policy: rules as data that turn evidence, stage, tags and cut usage into flags.

The flag vocabulary lives here so that commands which only read flags (ls, show) need not load
the rule engine.
"""

SEVERITIES = ("review", "escalate", "block")
STATUSES = ("open", "approved", "rejected", "waived", "resolved")
UNRESOLVED = ("open", "rejected")  # still in the way of delivery
