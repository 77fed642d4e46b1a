"""Secret values used across the connector suite; the log scan looks for every one of them."""

HTTP_TOKEN = "tok-HTTP-7f3a9c2e51d84b06"
HUBSPOT_TOKEN = "pat-na1-3c8e0a5f-HUBSPOT-SECRET-1b2d"
HUBSPOT_CLIENT_SECRET = "hs-client-SECRET-99aa77bb"
HUBSPOT_REFRESH_TOKEN = "hs-refresh-SECRET-5e6f7a8b"
SLACK_WEBHOOK_PATH = "/services/T0000SECRET/B0000SECRET/XyZsecretWebhook42"
SMTP_PASSWORD = "smtp-pass-SECRET-4711"
SQL_PASSWORD = "pg-pass-SECRET-0815"
SALESFORCE_CLIENT_SECRET = "sf-client-SECRET-c0ffee11"
SALESFORCE_REFRESH_TOKEN = "sf-refresh-SECRET-deadbeef"
ODOO_API_KEY = "odoo-key-SECRET-8c1d2e3f4a5b"
ODOO_PASSWORD = "odoo-pass-SECRET-42"
TRYTON_PASSWORD = "tryton-pass-SECRET-77"

# Every log line the suite produced (filled by conftest, scanned last).
CAPTURED: list[str] = []

ALL = [value for name, value in dict(globals()).items() if name.isupper() and isinstance(value, str)]
