/** Worker-thread entry for PackDecrypter: decrypts whole packs (ageDecrypt) off the main thread. */
import { parentPort } from "node:worker_threads";
import { ageDecrypt } from "../crypto/age-file.js";
import { parseIdentity, type AgeIdentity } from "../crypto/age-keys.js";
import { collectAfterRequest } from "../workers/collect-garbage.js";
import { serveRequests } from "../workers/worker-pool.js";

export interface PackDecryptRequest {
  seq: number;
  file: Uint8Array;
  /** AGE-SECRET-KEY strings; they never leave the process. */
  identities: string[];
  what: string;
}

const parsed = new Map<string, AgeIdentity>();

const sharedBuffer = (size: number): Buffer => Buffer.from(new SharedArrayBuffer(size));

serveRequests<PackDecryptRequest, Uint8Array>(parentPort, (req) => {
  const ids = req.identities.map((s) => {
    let id = parsed.get(s);
    if (!id) parsed.set(s, (id = parseIdentity(s)));
    return id;
  });
  // Shared memory: the restore's writer threads read blobs straight out of it, no copy on the way.
  const plain = ageDecrypt(req.file, ids, req.what, sharedBuffer);
  // Frees the pack's ciphertext, and drops this thread's hold on the shared plaintext once posted.
  setImmediate(collectAfterRequest);
  return { result: plain, transfer: [] };
});
