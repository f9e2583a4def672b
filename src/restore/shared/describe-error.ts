import { CairnError } from "../../core/errors.js";

/** Node's own messages print Buffer paths badly; name the errno instead, the entry path is beside it. */
export function describeError(err: unknown): string {
  if (err instanceof CairnError) return err.message;
  const e = err as NodeJS.ErrnoException;
  // On a case-insensitive or normalising file system a case/NFC twin in the snapshot lands here too.
  if (e?.code === "EEXIST") {
    return "already exists in the target (or a case/Unicode twin of it does); restore into an empty or new directory";
  }
  if (typeof e?.code === "string") return `${e.code} (${e.syscall ?? "fs"})`;
  return err instanceof Error ? err.message : String(err);
}
