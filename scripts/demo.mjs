#!/usr/bin/env node
// Round trip in a temporary directory: key generate -> init -> backup -> snapshots
// -> ls -> restore -> compare -> check --read-data. No cloud account needed.
import { execFileSync } from "node:child_process";
import {
  mkdtempSync,
  mkdirSync,
  writeFileSync,
  readFileSync,
  readdirSync,
  lstatSync,
  symlinkSync,
  readlinkSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const cli = join(dirname(fileURLToPath(import.meta.url)), "..", "bin", "cairn.js");
const work = mkdtempSync(join(tmpdir(), "cairn-demo-"));
const src = join(work, "sample");
const env = {
  ...process.env,
  CAIRN_REPO: join(work, "repo"),
  CAIRN_AGENT_KEY_FILE: join(work, "agent.key"),
  CAIRN_CACHE_DIR: join(work, "cache"),
};

function cairn(...args) {
  console.log(`\n$ cairn ${args.join(" ")}`);
  const out = execFileSync(process.execPath, [cli, ...args], {
    env,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  process.stdout.write(out);
  return out;
}

mkdirSync(join(src, "docs", "notes"), { recursive: true });
writeFileSync(
  join(src, "docs", "readme.txt"),
  "cairn demo: these bytes travel encrypted and come back intact.\n".repeat(200),
);
writeFileSync(join(src, "docs", "notes", "empty"), "");
writeFileSync(join(src, "data.bin"), Buffer.from(Array.from({ length: 3_000_000 }, (_, i) => (i * 2654435761) >>> 24)));
symlinkSync("docs/readme.txt", join(src, "link-to-readme"));

const recipient = cairn("key", "generate", "--output", join(work, "id.txt")).trim();
cairn("init", "--recipient", recipient);
cairn("backup", src);
writeFileSync(join(src, "docs", "new.txt"), "added after the first backup\n");
cairn("backup", src);
cairn("snapshots");
cairn("ls", "--identity", join(work, "id.txt"), "latest");
const target = join(work, "restored");
cairn("restore", "--identity", join(work, "id.txt"), "latest", "--target", target);
cairn("check", "--read-data", "--identity", join(work, "id.txt"));

function compare(a, b) {
  for (const name of readdirSync(a)) {
    const pa = join(a, name),
      pb = join(b, name),
      st = lstatSync(pa);
    if (st.isDirectory()) compare(pa, pb);
    else if (st.isSymbolicLink()) {
      if (readlinkSync(pa) !== readlinkSync(pb)) throw new Error(`symlink differs: ${pb}`);
    } else if (!readFileSync(pa).equals(readFileSync(pb))) throw new Error(`content differs: ${pb}`);
  }
}
compare(src, join(target, src));
console.log(`\ndemo OK: restored tree matches ${src} (work dir ${work})`);
