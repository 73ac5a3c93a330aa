"""Human escalation: what is sent, to whom, and how delivery is retried.

Two audiences are kept apart: the *clinical* team (crisis escalations, to acknowledge and act
on) and *operations* (system alerts). A crisis that nobody acknowledges in time goes to the
*supervisor*. A message carries a pseudonymous conversation reference, the category, the names
of the matched signals, the time and what the nurse is asked to do (acknowledge, then record
the outcome; it never promises a callback, since the gateway holds no contact details); never
message text, unless the excerpt setting is on, and then only a short redacted excerpt.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Literal

from shared.escalation.flood import FloodConfig, parse_flood_config
from shared.escalation.followups import SignalSeverity, parse_signal_severity
from shared.escalation.markdown import escape_markdown
from shared.platform import ConfigReader, config_path, read_config_file

Audience = Literal["clinical", "supervisor", "operations"]
AUDIENCES: tuple[Audience, ...] = ("clinical", "supervisor", "operations")
Channel = Literal["teams", "email"]
CHANNELS: tuple[Channel, ...] = ("teams", "email")


@dataclass(frozen=True, slots=True)
class AudienceConfig:
    teams_webhook_setting: str
    email_to_setting: str


@dataclass(frozen=True, slots=True)
class RetryConfig:
    first_delay_s: float = 2.0
    max_delay_s: float = 60.0
    window_s: float = 1800.0
    attempt_timeout_s: float = 10.0

    def delays(self) -> Iterator[float]:
        """Exponential backoff delays, doubling from the first, capped at the maximum."""
        delay = self.first_delay_s
        while True:
            yield delay
            delay = min(delay * 2, self.max_delay_s)


@dataclass(frozen=True, slots=True)
class EscalationConfig:
    audiences: Mapping[str, AudienceConfig]
    retry: RetryConfig
    ack_timeout_s: float
    dedup_window_s: float
    excerpt_max_chars: int
    # A channel that gave up alerts operations once per audience and channel in this window.
    channel_alert_window_s: float = 3600.0
    # Signal ranks for re-escalation (follow-ups); every name rank 1 when not configured.
    severity: SignalSeverity = field(default_factory=SignalSeverity)
    # How long an acknowledgement link outlives the acknowledgement window (ACK_LINK_TTL_S
    # overrides the sum): room for a card that took delivery retries to arrive.
    ack_link_margin_s: float = 1800.0
    flood: FloodConfig = field(default_factory=FloodConfig)


def parse_escalation_config(data: object) -> EscalationConfig:
    root = ConfigReader(data, "")
    audiences = root.obj("audiences")
    retry = root.obj("retry") if root.has("retry") else ConfigReader({}, "retry")
    return EscalationConfig(
        audiences={
            name: AudienceConfig(
                teams_webhook_setting=audiences.obj(name).text("teams_webhook_setting"),
                email_to_setting=audiences.obj(name).text("email_to_setting"),
            )
            for name in AUDIENCES
        },
        retry=RetryConfig(
            first_delay_s=retry.number("first_delay_s", 2.0, minimum=0.001),
            max_delay_s=retry.number("max_delay_s", 60.0, minimum=0.001),
            window_s=retry.number("window_s", 1800.0, minimum=0.0),
            attempt_timeout_s=retry.number("attempt_timeout_s", 10.0, minimum=0.1),
        ),
        ack_timeout_s=root.number("ack_timeout_s", 300.0, minimum=0.001),
        dedup_window_s=root.number("dedup_window_s", 900.0),
        excerpt_max_chars=root.integer("excerpt_max_chars", 160, minimum=20),
        channel_alert_window_s=root.number("channel_alert_window_s", 3600.0, minimum=0.0),
        severity=(
            parse_signal_severity(root.obj("signal_severity"))
            if root.has("signal_severity")
            else SignalSeverity()
        ),
        ack_link_margin_s=root.number("ack_link_margin_s", 1800.0, minimum=0.0),
        flood=parse_flood_config(
            root.obj("flood") if root.has("flood") else ConfigReader({}, "flood")
        ),
    )


def missing_audiences(config: EscalationConfig, setting: Callable[[str], str]) -> list[str]:
    """The audiences with no channel: no Teams webhook, and no SMTP host or no recipients.
    An alert to such an audience is ``skipped``: nobody is told."""
    smtp = bool(setting("SMTP_HOST"))
    return [
        name
        for name in AUDIENCES
        if not setting(config.audiences[name].teams_webhook_setting)
        and not (smtp and setting(config.audiences[name].email_to_setting))
    ]


def load_escalation_config(config_dir: str | Path | None = None) -> EscalationConfig:
    """Read and validate ``escalation-config.json``. Raises ConfigError."""
    return read_config_file(
        config_path(config_dir, "escalation-config.json"), parse_escalation_config
    )


@dataclass(frozen=True, slots=True)
class Escalation:
    """One escalation or alert, as it is sent. JSON round-trips as the orchestration input."""

    id: str
    audience: Audience
    kind: Literal["crisis", "alert", "unacknowledged", "undeliverable", "channel_gave_up"]
    title: str
    created_at: str
    category: str | None = None
    signals: tuple[str, ...] = ()
    conversation_ref: str | None = None
    callback_required: bool = False
    excerpt: str | None = None
    facts: tuple[tuple[str, str], ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["signals"] = list(self.signals)
        data["facts"] = [list(f) for f in self.facts]
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Escalation:
        return cls(
            id=data["id"],
            audience=data["audience"],
            kind=data["kind"],
            title=data["title"],
            created_at=data["created_at"],
            category=data.get("category"),
            signals=tuple(data.get("signals", ())),
            conversation_ref=data.get("conversation_ref"),
            callback_required=bool(data.get("callback_required", False)),
            excerpt=data.get("excerpt"),
            facts=tuple((str(k), str(v)) for k, v in data.get("facts", ())),
        )

    def derived(
        self, *, id: str, audience: Audience, kind: Any, title: str, created_at: str
    ) -> Escalation:
        """A follow-up about this escalation (reminder or failure notice), same facts."""
        return Escalation(
            id=id,
            audience=audience,
            kind=kind,
            title=title,
            created_at=created_at,
            category=self.category,
            signals=self.signals,
            conversation_ref=self.conversation_ref,
            callback_required=self.callback_required,
            excerpt=self.excerpt,
            facts=(("Original escalation", self.id), *self.facts),
        )

    def fact_rows(self, user_text: Callable[[str], str] = str) -> list[tuple[str, str]]:
        """The facts, label and value; ``user_text`` is applied to every value derived from
        what a person wrote (the excerpt): a Teams card escapes markdown there."""
        rows: list[tuple[str, str]] = [("Escalation", self.id), ("Time (UTC)", self.created_at)]
        if self.category:
            rows.append(("Category", self.category.replace("_", " ")))
        if self.signals:
            rows.append(("Signals", ", ".join(self.signals)))
        if self.conversation_ref:
            rows.append(("Conversation", self.conversation_ref))
        if self.callback_required:
            rows.append(
                (
                    "Action",
                    "Acknowledge, then record the outcome (the gateway holds no contact details)",
                )
            )
        rows.extend(self.facts)
        if self.excerpt:
            rows.append(("Excerpt (redacted)", user_text(self.excerpt)))
        return rows


def teams_message(escalation: Escalation, *, ack_url: str | None = None) -> dict[str, Any]:
    """A Workflows-webhook message carrying one Adaptive Card; with ``ack_url``, the card has
    an "Acknowledge" button (``Action.OpenUrl``) that opens the confirmation page."""
    card: dict[str, Any] = {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": [
                        {
                            "type": "TextBlock",
                            "size": "Large",
                            "weight": "Bolder",
                            "color": "Attention",
                            "text": escalation.title,
                            "wrap": True,
                        },
                        {
                            "type": "FactSet",
                            "facts": [
                                {"title": k, "value": v}
                                for k, v in escalation.fact_rows(escape_markdown)
                            ],
                        },
                    ],
                },
            }
        ],
    }
    if ack_url:
        card["attachments"][0]["content"]["actions"] = [
            {"type": "Action.OpenUrl", "title": "Acknowledge", "url": ack_url}
        ]
    return card


def email_message(
    escalation: Escalation, *, sender: str, recipients: str, ack_url: str | None = None
) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = f"[Ask Eve] {escalation.title}"
    message["From"] = sender
    message["To"] = recipients
    message["X-AskEve-Escalation"] = escalation.id
    lines = [escalation.title, ""]
    lines += [f"{k}: {v}" for k, v in escalation.fact_rows()]
    if ack_url:
        lines += ["", "To acknowledge that you have taken this case, open:", ack_url]
    lines += ["", "This message was sent automatically by the Ask Eve failover gateway."]
    message.set_content("\n".join(lines))
    return message
