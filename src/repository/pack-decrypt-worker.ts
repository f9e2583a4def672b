/** Worker-thread entry for PackDecrypter: decrypts whole packs (ageDecrypt) off the main thread. */
import { parentPort } from "node:worker_threads";
import { ageDecrypt } from "../crypto/age-file.js";
import { parseIdentity, type AgeIdentity } from "../crypto/age-keys.js";

export interface PackDecryptRequest {
  seq: number;
  file: Uint8Array;
  /** AGE-SECRET-KEY strings; they never leave the process. */
  identities: string[];
  what: string;
}

export type PackDecryptResponse =
  | { seq: number; ok: true; plain: Uint8Array }
  | { seq: number; ok: false; message: string; kind?: string; objectKey?: string };

const parsed = new Map<string, AgeIdentity>();

parentPort?.on("message", (req: PackDecryptRequest) => {
  try {
    const ids = req.identities.map((s) => {
      let id = parsed.get(s);
      if (!id) parsed.set(s, (id = parseIdentity(s)));
      return id;
    });
    const plain = ageDecrypt(req.file, ids, req.what);
    const whole = plain.byteOffset === 0 && plain.byteLength === plain.buffer.byteLength;
    const out = whole ? plain : new Uint8Array(plain);
    parentPort!.postMessage({ seq: req.seq, ok: true, plain: out } satisfies PackDecryptResponse, [out.buffer as ArrayBuffer]);
  } catch (e) {
    const err = e as Error & { kind?: string; objectKey?: string };
    parentPort!.postMessage({ seq: req.seq, ok: false, message: err.message, kind: err.kind, objectKey: err.objectKey } satisfies PackDecryptResponse);
  }
});
