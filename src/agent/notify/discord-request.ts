import { clip, factsOf, severityOf, type HttpRequest, type Notification, type Rendered } from "./notification.js";

const COLOUR = { info: 0x1565c0, good: 0x2e7d32, warning: 0xef8f00, bad: 0xc62828 };

/**
 * A Discord webhook (https://discord.com/api/webhooks/ID/TOKEN): `content` is
 * the line a phone shows, the embed the message with its colour and facts.
 * Limits from Discord's "Execute Webhook" reference: content 2000
 * characters, an embed's title 256, description 4096, a field's value 1024.
 * `allowed_mentions` is empty so an error text saying "@everyone" pings no one.
 */
export function discordRequest(url: URL, n: Notification, text: Rendered): HttpRequest {
  const embed = {
    title: clip(text.title, 256),
    description: clip(text.message, 4096),
    color: COLOUR[severityOf(n.event)],
    timestamp: n.time,
    fields: factsOf(n)
      .filter(([label]) => label !== "Job")
      .map(([name, value]) => ({ name, value: clip(value, 1024), inline: true })),
  };
  return {
    url: url.href,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      username: "cairn",
      content: clip(text.title, 2000),
      embeds: [embed],
      allowed_mentions: { parse: [] },
    }),
  };
}
