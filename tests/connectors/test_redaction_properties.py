from urllib.parse import quote, quote_plus

from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.redaction import MASK, Redactor

# Brackets are left out: a secret built from the mask's own characters could re-form across
# the mask's edge, which real tokens, keys and passwords do not do.
secret_text = st.text(min_size=4, max_size=40).filter(
    lambda s: "[" not in s and "]" not in s and s not in MASK and s.strip())
noise = st.text(max_size=60)


@settings(max_examples=300, deadline=None)
@given(secret=secret_text, before=noise, after=noise)
def test_a_secret_embedded_anywhere_never_survives_redaction_in_raw_or_url_encoded_form(secret, before, after):
    redactor = Redactor([secret])
    for form in (secret, quote(secret, safe=""), quote_plus(secret)):
        assert secret not in redactor.redact(before + form + after)


@settings(max_examples=200, deadline=None)
@given(secrets=st.lists(secret_text, min_size=1, max_size=4), text=noise)
def test_redaction_leaves_text_without_secrets_unchanged(secrets, text):
    redactor = Redactor(secrets)
    if not any(form in text for s in secrets for form in (s, quote(s, safe=""), quote_plus(s))):
        assert redactor.redact(text) == text
