import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { UsageError } from "../../core/errors.js";

/** Write a secret file readable only by its owner; never overwrite one. `option` names the flag that chose `path`, for the hint. */
export async function writeSecretFile(path: string, contents: string, option = "--output"): Promise<void> {
  await mkdir(join(path, ".."), { recursive: true });
  await writeFile(path, contents, { mode: 0o600, flag: "wx" }).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "EEXIST")
      throw new UsageError(`${path} already exists; refusing to overwrite a key`, {
        hint: `choose another ${option} path or remove the old file yourself`,
      });
    throw e;
  });
}
