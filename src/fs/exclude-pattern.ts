/**
 * Why an exclude pattern cannot be used, or undefined when it can. The one
 * check behind `backup --exclude`, a config source's `exclude:` and
 * ExcludeMatcher itself: a pattern that is empty once its trailing `/`
 * (directories only) is taken off names nothing, and the glob library
 * rejects it with a TypeError.
 */
export function excludePatternProblem(pattern: string): string | undefined {
  if (pattern.replace(/\/$/, "") !== "") return undefined;
  return pattern === ""
    ? "an exclude pattern must not be empty"
    : `exclude pattern ${JSON.stringify(pattern)} names nothing: a trailing / only restricts a pattern to directories`;
}
