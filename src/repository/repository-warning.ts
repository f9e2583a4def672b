/** Damage a repository met and worked around (a skipped snapshot, index file or prune mark, a missing pack); the CLI prints these. */
export interface RepositoryWarning {
  kind: string;
  key: string;
  message: string;
}
