/** Worker-thread entry for PackVerifierPool: verifies whole packs (pack-verify.ts). */
import { parentPort, workerData } from "node:worker_threads";
import { parseIdentity } from "../crypto/age-keys.js";
import { serveRequests } from "../workers/worker-pool.js";
import { sha256Hex } from "../repository/format/sha256.js";
import { verifyPack, type PackVerifyResult } from "./pack-verify.js";

/** Identities as AGE-SECRET-KEY strings and the blob-ID subkey: they never leave the process. */
export interface PackVerifyWorkerData {
  idKey: Uint8Array;
  data: string[];
  meta: string[];
}

export interface PackVerifyRequest {
  seq: number;
  kind: "data" | "meta";
  key: string;
  file: Uint8Array;
}

const wd = workerData as PackVerifyWorkerData;
const identities = { data: wd.data.map(parseIdentity), meta: wd.meta.map(parseIdentity) };

/** The verification and the pack's SHA-256 (its name: check's content test, so the pack is read once). */
export type PackCheckResult = PackVerifyResult & { sha256: string };

serveRequests<PackVerifyRequest, PackCheckResult>(parentPort, (req) => ({
  result: { ...verifyPack(req.file, identities[req.kind], wd.idKey, req.key), sha256: sha256Hex(req.file) },
}));
