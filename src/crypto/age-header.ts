/**
 * The textual age v1 header: version line, recipient stanzas, MAC line.
 *
 *   age-encryption.org/v1
 *   -> X25519 <base64 ephemeral share>
 *   <base64 body, 64-column lines, last line shorter than 64 (maybe empty)>
 *   --- <base64 HMAC-SHA256 over everything up to and including "---">
 *
 * Parsing is strict (canonical base64, printable ASCII, bounded size) because
 * the header comes from storage we do not trust.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { IntegrityError } from "../core/errors.js";
import { decodeBase64NoPad, encodeBase64NoPad } from "./base64.js";
import { hkdfSha256 } from "./hkdf.js";

export const AGE_VERSION_LINE = "age-encryption.org/v1";
/** Headers we accept are at most this long (ours: about 100 bytes per recipient). */
export const AGE_MAX_HEADER_LENGTH = 64 * 1024;

const VERSION_BYTES = Buffer.from(AGE_VERSION_LINE + "\n");
const LF = 0x0a;
const DASH = 0x2d;
const COLUMNS = 64;
const MAC_LENGTH = 32;

/** One recipient stanza; `args[0]` is its type (e.g. "X25519"). */
export interface Stanza {
  readonly args: readonly string[];
  readonly body: Buffer;
}

export interface AgeHeader {
  readonly stanzas: readonly Stanza[];
  /** The header bytes the MAC covers (through "---"). */
  readonly macInput: Uint8Array;
  readonly mac: Buffer;
  /** Bytes through the MAC line's newline; the payload nonce starts here. */
  readonly length: number;
}

function malformed(what: string, message: string): IntegrityError {
  return new IntegrityError("age file", what, `malformed header: ${message}`);
}

/**
 * Length of the header if `prefix` contains all of it, undefined if more bytes
 * are needed. Throws once the prefix cannot be (the start of) an age header.
 */
export function locateHeaderEnd(prefix: Uint8Array, what: string): number | undefined {
  const limit = Math.min(prefix.length, AGE_MAX_HEADER_LENGTH);
  const n = Math.min(limit, VERSION_BYTES.length);
  if (!VERSION_BYTES.subarray(0, n).equals(prefix.subarray(0, n))) {
    throw new IntegrityError("age file", what, `not an ${AGE_VERSION_LINE} file`);
  }
  // The MAC line is the first line starting with "---": stanza lines start
  // with "->" and body lines are base64, which has no '-'.
  for (let start = VERSION_BYTES.length; start < limit;) {
    const lf = prefix.indexOf(LF, start);
    if (lf < 0 || lf >= limit) break;
    if (lf - start >= 3 && prefix[start] === DASH && prefix[start + 1] === DASH && prefix[start + 2] === DASH) {
      return lf + 1;
    }
    start = lf + 1;
  }
  if (prefix.length >= AGE_MAX_HEADER_LENGTH) {
    throw malformed(what, `no end of header within ${AGE_MAX_HEADER_LENGTH} bytes`);
  }
  return undefined;
}

function decodeLine(line: string, maxBytes: number, what: string, field: string): Buffer {
  const bytes = decodeBase64NoPad(line);
  if (!bytes || bytes.length > maxBytes) throw malformed(what, `bad base64 in ${field}`);
  return bytes;
}

/** Parses a stanza starting at lines[i]; returns it and the index of the line after it. */
function parseStanza(lines: readonly string[], i: number, what: string): { stanza: Stanza; next: number } {
  const line = lines[i];
  if (!line.startsWith("-> ")) throw malformed(what, `line ${i + 1} is neither a stanza nor the MAC line`);
  const args = line.slice(3).split(" ");
  if (args.some((a) => a === "")) throw malformed(what, `empty stanza argument on line ${i + 1}`);
  const parts: Buffer[] = [];
  // The last line is the MAC line, so a body must end before it.
  for (let j = i + 1; j < lines.length - 1; j++) {
    if (lines[j].length > COLUMNS) throw malformed(what, `line ${j + 1} longer than ${COLUMNS} columns`);
    parts.push(decodeLine(lines[j], 48, what, `stanza body line ${j + 1}`));
    if (lines[j].length < COLUMNS) return { stanza: { args, body: Buffer.concat(parts) }, next: j + 1 };
  }
  throw malformed(what, `stanza on line ${i + 1} has no final body line`);
}

/** Parses and validates the header's syntax (not its MAC: that needs the file key). */
export function parseHeader(file: Uint8Array, what: string): AgeHeader {
  const length = locateHeaderEnd(file, what);
  if (length === undefined) throw new IntegrityError("age file", what, "truncated header");
  const text = Buffer.from(file.buffer, file.byteOffset, length - 1).toString("latin1");
  if (!/^[\x20-\x7e\n]*$/.test(text)) throw malformed(what, "non-printable character");
  const lines = text.split("\n");
  const stanzas: Stanza[] = [];
  for (let i = 1; i < lines.length - 1;) {
    const { stanza, next } = parseStanza(lines, i, what);
    stanzas.push(stanza);
    i = next;
  }
  if (stanzas.length === 0) throw malformed(what, "no recipient stanzas");
  const macLine = lines[lines.length - 1];
  if (!macLine.startsWith("--- ")) throw malformed(what, "bad MAC line");
  const mac = decodeLine(macLine.slice(4), MAC_LENGTH, what, "MAC line");
  if (mac.length !== MAC_LENGTH) throw malformed(what, "bad MAC length");
  return { stanzas, macInput: file.subarray(0, length - macLine.length + 2), mac, length };
}

function headerMac(fileKey: Uint8Array, macInput: Uint8Array): Buffer {
  return createHmac("sha256", hkdfSha256(fileKey, "", "header"))
    .update(macInput)
    .digest();
}

export function verifyHeaderMac(header: AgeHeader, fileKey: Uint8Array, what: string): void {
  if (!timingSafeEqual(headerMac(fileKey, header.macInput), header.mac)) {
    throw new IntegrityError("age file", what, "header MAC mismatch (header tampered or corrupted)");
  }
}

function encodeStanza(stanza: Stanza): string {
  const b64 = encodeBase64NoPad(stanza.body);
  const lines = [`-> ${stanza.args.join(" ")}`];
  for (let i = 0; i < b64.length; i += COLUMNS) lines.push(b64.slice(i, i + COLUMNS));
  // A body line of exactly 64 columns means "more follows": end with a short (empty) one.
  if (b64.length % COLUMNS === 0) lines.push("");
  return lines.join("\n") + "\n";
}

/** The complete header, MAC line included. */
export function encodeHeader(stanzas: readonly Stanza[], fileKey: Uint8Array): Buffer {
  const macInput = Buffer.from(`${AGE_VERSION_LINE}\n${stanzas.map(encodeStanza).join("")}---`, "latin1");
  const macLine = Buffer.from(` ${encodeBase64NoPad(headerMac(fileKey, macInput))}\n`, "latin1");
  return Buffer.concat([macInput, macLine]);
}
