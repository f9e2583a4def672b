/** One thing `cairn check` found wrong: the object (kind and key), what, and the snapshots it affects when known. */
export interface CheckProblem {
  kind: string;
  key: string;
  message: string;
  snapshots?: string[];
}

/** An object in the repository that is not cairn's (docs/FORMAT.md §Layout): reported, never read or deleted. */
export interface CheckStray {
  key: string;
  size: number;
  message: string;
}
