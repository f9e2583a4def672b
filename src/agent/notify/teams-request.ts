import { clip, factsOf, severityOf, type HttpRequest, type Notification, type Rendered } from "./notification.js";

const COLOUR = { info: "Accent", good: "Good", warning: "Warning", bad: "Attention" };

/**
 * Microsoft Teams through a Workflows webhook (the "Send webhook alerts to a
 * channel" template; its URL is a Power Automate or logic.azure.com one): a
 * message with one Adaptive Card attachment. Not the MessageCard of the old
 * Office 365 connectors: Microsoft retires those connectors, and a Workflows
 * webhook posts only the `attachments` of this shape. Adaptive Card 1.4, which
 * Teams renders on desktop, web and mobile.
 */
export function teamsRequest(url: URL, n: Notification, text: Rendered): HttpRequest {
  const body: unknown[] = [
    {
      type: "TextBlock",
      text: clip(text.title, 200),
      weight: "Bolder",
      size: "Medium",
      color: COLOUR[severityOf(n.event)],
      wrap: true,
    },
    { type: "TextBlock", text: clip(text.message, 4000), wrap: true },
  ];
  const facts = factsOf(n).filter(([label]) => label !== "Job");
  if (facts.length > 0) body.push({ type: "FactSet", facts: facts.map(([title, value]) => ({ title, value })) });
  const card = {
    $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
    type: "AdaptiveCard",
    version: "1.4",
    body,
    msteams: { width: "Full" },
  };
  return {
    url: url.href,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      type: "message",
      attachments: [{ contentType: "application/vnd.microsoft.card.adaptive", contentUrl: null, content: card }],
    }),
  };
}
