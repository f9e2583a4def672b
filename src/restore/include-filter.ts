import { nameMatches, splitSnapshotPath } from "./path-lookup.js";

/**
 * Which parts of a snapshot to restore, from `--include` snapshot paths.
 * A filter for a directory answers, per child: restore all of it (`"all"`),
 * descend into it because an included path lies below (a child filter), or
 * skip it (`undefined`). Parents of an included path are restored as
 * directories (with their metadata) but without their other contents.
 */
export class IncludeFilter {
  private readonly children = new Map<string, IncludeFilter>();
  private all = false;
  private matched = false;

  /** `undefined` or an empty list means everything. */
  static from(include: string[] | undefined): IncludeFilter | "all" {
    if (include === undefined || include.length === 0) return "all";
    const root = new IncludeFilter();
    for (const p of include) root.add(splitSnapshotPath(p));
    return root.all ? "all" : root;
  }

  child(raw: Buffer): IncludeFilter | "all" | undefined {
    for (const [component, sub] of this.children) {
      if (!nameMatches(raw, component)) continue;
      sub.matched = true;
      return sub.all ? "all" : sub;
    }
    return undefined;
  }

  /** Include paths that matched no entry, to warn about typos. */
  unmatched(prefix = ""): string[] {
    const out: string[] = [];
    for (const [component, sub] of this.children) {
      const path = `${prefix}/${component}`;
      if (!sub.matched) out.push(path);
      else if (!sub.all) out.push(...sub.unmatched(path));
    }
    return out;
  }

  private add(components: string[]): void {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- walking down from this node is the point
    let node: IncludeFilter = this;
    for (const c of components) {
      let next = node.children.get(c);
      if (next === undefined) node.children.set(c, (next = new IncludeFilter()));
      node = next;
    }
    node.all = true;
  }
}
