import { clip, factsOf, severityOf, type HttpRequest, type Notification, type Rendered } from "./notification.js";

const ICON = { info: ":arrow_forward:", good: ":white_check_mark:", warning: ":warning:", bad: ":rotating_light:" };

/** Slack's three control characters in message text (its "Formatting text" guide): &, < and >. */
function escape(s: string): string {
  return s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/**
 * A Slack incoming webhook (https://hooks.slack.com/services/...): `text` is
 * the notification and fallback line, `blocks` the message as shown: a
 * header, the message, and the facts as context. Limits from Slack's Block
 * Kit reference: a header's text 150 characters, a section's 3000.
 */
export function slackRequest(url: URL, n: Notification, text: Rendered): HttpRequest {
  const facts = factsOf(n).filter(([label]) => label !== "Job");
  const blocks: unknown[] = [
    { type: "header", text: { type: "plain_text", text: clip(text.title, 150), emoji: true } },
    {
      type: "section",
      text: { type: "mrkdwn", text: clip(`${ICON[severityOf(n.event)]} ${escape(text.message)}`, 3000) },
    },
  ];
  if (facts.length > 0)
    blocks.push({
      type: "context",
      elements: facts.slice(0, 10).map(([label, value]) => ({ type: "mrkdwn", text: `*${label}:* ${escape(value)}` })),
    });
  return {
    url: url.href,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ text: clip(escape(`${text.title}: ${text.message}`), 3000), blocks }),
  };
}
