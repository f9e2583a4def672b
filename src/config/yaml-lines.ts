import { isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from "yaml";

/**
 * The 1-based line of a dotted config path in the parsed YAML, or of the
 * nearest ancestor that exists (a missing key is reported at its parent).
 * `atKey` points at the key itself rather than its value (unknown keys).
 */
export function lineOf(
  doc: Document,
  lc: LineCounter,
  path: readonly (string | number)[],
  atKey = false,
): number | undefined {
  let node: unknown = doc.contents;
  let line = lineAt(node, lc);
  for (const [i, seg] of path.entries()) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      // A key's own line: for a nested mapping the value starts on the next line.
      line = lineAt(pair.key, lc) ?? line;
      if (atKey && i === path.length - 1) return line;
      node = pair.value;
      if (isScalar(node)) line = lineAt(node, lc) ?? line;
    } else if (isSeq(node) && typeof seg === "number" && node.items[seg] !== undefined) {
      node = node.items[seg];
      line = lineAt(node, lc) ?? line;
    } else break;
    if (node === null || node === undefined) break;
  }
  return line;
}

function lineAt(node: unknown, lc: LineCounter): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? lc.linePos(range[0]).line : undefined;
}
