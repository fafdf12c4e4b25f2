"""Data compliance: the tamper-evident audit log, staff access to personal data, and (as the
compliance issue lands) consent, data-subject requests, retention and residency checks."""
