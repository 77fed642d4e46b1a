"""A fake Slack incoming-webhook endpoint: answers ``ok`` as text/html, or Slack's plain-text errors."""

from __future__ import annotations

from ..fakeserver import FakeServer, Recorded, Reply


def slack_error(status: int, code: str, **headers: str) -> Reply:
    return Reply(status, raw=code.encode(), headers={"Content-Type": "text/html", **headers})


class FakeSlack(FakeServer):
    def __init__(self, path: str) -> None:
        super().__init__()
        self.path = path
        self.messages: list[dict] = []
        self.route("POST", r"/services/.*", self._post)

    def _post(self, rec: Recorded, match) -> Reply:
        if rec.path != self.path:
            return slack_error(404, "no_service")
        try:
            payload = rec.json()
        except ValueError:
            return slack_error(400, "invalid_payload")
        if not isinstance(payload, dict) or not (payload.get("text") or payload.get("blocks")):
            return slack_error(400, "no_text")
        self.messages.append(payload)
        return Reply(200, raw=b"ok", headers={"Content-Type": "text/html"})
