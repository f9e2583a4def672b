/** Worker-thread entry for PackDecrypter: decrypts whole packs (ageDecrypt) off the main thread. */
import { parentPort } from "node:worker_threads";
import { ageDecrypt } from "../crypto/age-file.js";
import { parseIdentity, type AgeIdentity } from "../crypto/age-keys.js";
import { ownBuffer, transferable } from "../workers/transfer.js";
import { serveRequests } from "../workers/worker-pool.js";
import { collectRequestGarbage } from "../workers/collect-garbage.js";

export interface PackDecryptRequest {
  seq: number;
  file: Uint8Array;
  /** AGE-SECRET-KEY strings; they never leave the process. */
  identities: string[];
  what: string;
}

const parsed = new Map<string, AgeIdentity>();

serveRequests<PackDecryptRequest, Uint8Array>(parentPort, (req) => {
  const ids = req.identities.map((s) => {
    let id = parsed.get(s);
    if (!id) parsed.set(s, (id = parseIdentity(s)));
    return id;
  });
  const plain = ownBuffer(ageDecrypt(req.file, ids, req.what));
  // The pack file (16 MiB or more) is dead once decrypted: freed before the next one arrives rather than at
  // the isolate's next full collection (see collectRequestGarbage).
  setImmediate(collectRequestGarbage);
  return { result: plain, transfer: transferable(plain) };
});
