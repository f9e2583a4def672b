import type { SourceConfig } from "../config/source-schema.js";
import { createDbSource } from "./create-db-source.js";
import { FilesSource } from "../sources/files-source.js";
import type { CommandLog } from "../exec/child-command.js";
import type { BackupSource } from "../sources/source.js";

/** A validated `source:` section -> the BackupSource that backs it up. One case per kind in SourceSchema. */
export function createSource(c: SourceConfig, log?: CommandLog): BackupSource {
  switch (c.type) {
    case "files":
      return new FilesSource(c.paths, c.exclude);
    default:
      return createDbSource(c, log); // log: where commands' stderr lines go (default: cairn's stderr)
  }
}
