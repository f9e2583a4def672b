import { closeSync, constants, fstatSync, openSync } from "node:fs";
import { CairnError } from "../core/errors.js";

/**
 * Flags for opening a file the walk found to be a regular file. Between the
 * walk's lstat and the open, it may have been replaced: by a symlink
 * (O_NOFOLLOW fails with ELOOP rather than reading wherever it points) or by
 * a fifo (O_NONBLOCK returns at once instead of waiting forever for a
 * writer, which would hang the backup). Neither flag changes anything for a
 * regular file.
 */
export const OPEN_REGULAR = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW;

/** The file is no longer what the walk listed: reported as a file that could not be read (exit 3). */
export class NotRegularError extends CairnError {
  constructor() {
    super("E_READ", "not a regular file any more (replaced after it was listed); not backed up");
  }
}

/** Open `path` for reading if it is still a regular file, else throw (NotRegularError, ELOOP). */
export function openRegularSync(path: Buffer): number {
  const fd = openSync(path, OPEN_REGULAR);
  if (!fstatSync(fd).isFile()) {
    closeSync(fd);
    throw new NotRegularError();
  }
  return fd;
}
