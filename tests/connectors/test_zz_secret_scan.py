import connector_test_secrets as secrets


def test_no_secret_appears_in_any_log_line_of_the_suite():
    assert len(secrets.CAPTURED) > 0, "the suite logged nothing: the capture is broken"
    leaks = [(secret, line) for line in secrets.CAPTURED for secret in secrets.ALL if secret in line]
    assert leaks == []
