import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { UsageError, UserFileError } from "../../core/errors.js";

/** Write a secret file readable only by its owner; never overwrite one. `option` names the flag that chose `path`, for the messages. */
export async function writeSecretFile(path: string, contents: string, option = "--output"): Promise<void> {
  const fail = (e: unknown) => {
    throw new UserFileError(
      option,
      { verb: "write", thing: "key file" },
      path,
      e,
      `choose another ${option} path, in a directory this user can write`,
    );
  };
  // mkdir -p says EEXIST when a file stands where a directory of the path should be.
  await mkdir(dirname(path), { recursive: true }).catch((e: NodeJS.ErrnoException) =>
    fail(e.code === "EEXIST" ? Object.assign(new Error(e.message), { code: "ENOTDIR" }) : e),
  );
  await writeFile(path, contents, { mode: 0o600, flag: "wx" }).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "EEXIST")
      throw new UsageError(`${path} already exists; refusing to overwrite a key`, {
        hint: `choose another ${option} path or remove the old file yourself`,
      });
    fail(e);
  });
}
