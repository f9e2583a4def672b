import { UsageError } from "../core/errors.js";

/**
 * Percentages and sizes as users write them, for `cairn prune` flags and the
 * agent's `agent.prune` block alike, so that what the config validator
 * accepts is exactly what a prune can use.
 */
/** `5%` -> 0.05; `unlimited` -> 1. */
export function parsePercent(text: string, option: string): number {
  if (text === "unlimited") return 1;
  const m = /^(\d+(?:\.\d+)?)%$/.exec(text);
  if (!m || Number(m[1]) > 100)
    throw new UsageError(`${option} ${JSON.stringify(text)} is not a percentage`, {
      hint: "e.g. 5%, 0%, or unlimited",
    });
  return Number(m[1]) / 100;
}

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tib: 1024 ** 4,
};

/** `1GiB`, `500M`, `1048576` -> bytes. */
export function parseSize(text: string, option: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text);
  const unit = m ? SIZE_UNITS[m[2].toLowerCase()] : undefined;
  if (!m || unit === undefined)
    throw new UsageError(`${option} ${JSON.stringify(text)} is not a size`, { hint: "e.g. 1GiB, 500MiB, 2G" });
  return Math.floor(Number(m[1]) * unit);
}
