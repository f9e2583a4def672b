import type { NotifyFormat } from "../../config/notify-schema.js";
import { discordRequest } from "./discord-request.js";
import { gotifyRequest } from "./gotify-request.js";
import { healthchecksRequest } from "./healthchecks-request.js";
import { jsonRequest } from "./json-request.js";
import { renderMessage } from "./message-template.js";
import { titleOf, type HttpRequest, type Notification, type Rendered } from "./notification.js";
import { ntfyRequest } from "./ntfy-request.js";
import { slackRequest } from "./slack-request.js";
import { teamsRequest } from "./teams-request.js";

const FORMATS: Record<NotifyFormat, (url: URL, n: Notification, text: Rendered) => HttpRequest> = {
  json: jsonRequest,
  slack: slackRequest,
  discord: discordRequest,
  teams: teamsRequest,
  ntfy: ntfyRequest,
  gotify: gotifyRequest,
  healthchecks: healthchecksRequest,
};

/**
 * The request that tells `target` about `n` in its service's terms.
 * Credentials in the URL (`https://user:pass@ntfy.example/topic`) become a
 * Basic Authorization header: fetch refuses URLs that carry them.
 */
export function formatRequest(
  target: { url: string; format: NotifyFormat; template?: string },
  n: Notification,
): HttpRequest {
  const url = new URL(target.url);
  const auth =
    url.username || url.password
      ? `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString("base64")}`
      : undefined;
  url.username = "";
  url.password = "";
  const req = FORMATS[target.format](url, n, { title: titleOf(n), message: renderMessage(n, target.template) });
  return auth ? { ...req, headers: { ...req.headers, Authorization: auth } } : req;
}
