import { execFileSync, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { validate, ValidationSeverity } from "dockerfile-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execForm, readDockerfile, stage, stageEnv, type Instruction } from "./dockerfile-model.js";
import { freePort, until } from "../e2e/helpers/agent-process.js";

/**
 * No Docker engine runs here, so the image is checked by replaying its steps:
 * the production-dependency stage's RUN lines on a clean copy of the files it
 * COPYs, the runtime stage's layout, and the CLI started from that copy under
 * the image's Node major version (from the npm registry's `node` package).
 */
const repo = join(import.meta.dirname, "..", "..");
const dockerfilePath = join(repo, "Dockerfile");
const model = readDockerfile(dockerfilePath);
const nodeMajor = model.globalArgs.get("NODE_VERSION") ?? "";
/** The runtime image's environment (allocator settings included), with the cache in the test's copy instead of /var/cache. */
const imageEnv = (app: string) => ({
  ...process.env,
  ...stageEnv(stage(model, undefined)),
  XDG_CACHE_HOME: join(app, "cache"),
});

describe("Dockerfile", () => {
  it("passes the Dockerfile linter", () => {
    const problems = validate(readFileSync(dockerfilePath, "utf8"))
      .filter((d) => d.severity === ValidationSeverity.ERROR || d.severity === ValidationSeverity.WARNING)
      .map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
    expect(problems).toEqual([]);
  });

  it("builds on a current even-numbered (LTS) Node, not the end-of-life Node 20", () => {
    expect(Number(nodeMajor)).toBeGreaterThanOrEqual(22);
    expect(Number(nodeMajor) % 2).toBe(0);
    for (const s of model.stages) expect(s.image).toBe(`node:${nodeMajor}-trixie-slim`);
  });

  it("runs the agent as a non-root user with a health check, tini and the database clients", () => {
    const runtime = stage(model, undefined);
    const last = (k: string): Instruction | undefined => runtime.instructions.filter((i) => i.keyword === k).at(-1);
    const user = last("USER")?.args ?? "root";
    expect(user.split(":")[0]).not.toMatch(/^(root|0)$/);
    expect(execForm(last("ENTRYPOINT")!.args)).toEqual(["/usr/bin/tini", "--", "cairn"]);
    expect(execForm(last("CMD")!.args)).toEqual(["agent", "--config", "/etc/cairn/cairn.yaml"]);
    expect(last("HEALTHCHECK")?.args).toMatch(/healthz|HEALTHCHECK_URL/);
    const installs = runtime.instructions
      .filter((i) => i.keyword === "RUN")
      .map((i) => i.args)
      .join(" ");
    for (const pkg of ["postgresql-client", "mariadb-client", "mariadb-backup", "sqlite3", "age", "zstd", "tini"]) {
      expect(installs.split(" "), `runtime stage installs ${pkg}`).toContain(pkg);
    }
  });

  it(".dockerignore keeps secrets and local state out without hiding what the build COPYs", () => {
    const ignored = readFileSync(join(repo, ".dockerignore"), "utf8")
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith("#"));
    for (const must of [".git", "node_modules", "dist", "*.key"]) expect(ignored).toContain(must);
    const copied = model.stages
      .flatMap((s) => s.instructions)
      .filter((i) => i.keyword === "COPY" && !i.args.startsWith("--from"));
    for (const c of copied) {
      for (const src of c.args.split(" ").slice(0, -1))
        expect(ignored, `COPY ${src} (line ${c.line})`).not.toContain(src);
    }
  });
});

describe("image steps replayed on a clean copy", () => {
  let app: string;

  beforeAll(() => {
    if (!existsSync(join(repo, "dist", "src", "cli", "main.js")))
      throw new Error("dist/ is missing: run `npm run build` first (npm test does)");
    app = mkdtempSync(join(tmpdir(), "cairn-image-"));
    const deps = stage(model, "deps");
    for (const ins of deps.instructions) {
      if (ins.keyword === "COPY") {
        for (const src of ins.args.split(" ").slice(0, -1))
          cpSync(join(repo, src), join(app, src), { recursive: true });
      } else if (ins.keyword === "RUN" && !ins.args.startsWith("apt-get")) {
        // The deps stage's own commands (npm ci --omit=dev, the addon check), verbatim; JOBS=max only lets node-gyp use both cores.
        const r = spawnSync("sh", ["-c", ins.args], {
          cwd: app,
          encoding: "utf8",
          env: { ...process.env, NODE_ENV: "production", JOBS: "max" },
        });
        if (r.status !== 0)
          throw new Error(`Dockerfile line ${ins.line} failed (${r.status}): ${ins.args}\n${r.stderr}`);
      }
    }
    // The runtime stage's layout: the build stage's dist/ and bin/ beside the production node_modules.
    for (const ins of stage(model, undefined).instructions.filter((i) => i.keyword === "COPY")) {
      const [first, ...rest] = ins.args.split(" ");
      const from = first!.startsWith("--from=") ? first!.slice("--from=".length) : undefined;
      const src = from ? rest[0]! : first!;
      const dest = (from ? rest[1] : rest[0])!;
      if (from === "deps") continue; // already in place: the RUN lines above ran in `app`
      const rel = from === "build" ? src.replace(/^\/src\//, "") : src;
      cpSync(join(repo, rel), dest.endsWith("/") ? join(app, dest, basename(rel)) : join(app, dest), {
        recursive: true,
      });
    }
    cpSync(join(repo, "scripts", "demo.mjs"), join(app, "scripts", "demo.mjs"));
  }, 300_000);

  afterAll(() => {
    if (app) rmSync(app, { recursive: true, force: true });
  });

  it("installs no dev dependency", () => {
    const pkg = JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as {
      devDependencies: Record<string, string>;
    };
    for (const dev of ["vitest", "typescript", "s3rver", "azurite"]) {
      if (dev in pkg.devDependencies) expect(existsSync(join(app, "node_modules", dev)), dev).toBe(false);
    }
  });

  /** The image's Node, from the npm registry's `node` package (downloaded once, then cached by npx). */
  const imageNode = () =>
    execFileSync("npx", ["-y", "-p", `node@${nodeMajor}`, "node", "-p", "process.execPath"], {
      encoding: "utf8",
    }).trim();

  it(`runs a backup/restore round trip under Node ${nodeMajor} from the production install`, () => {
    const out = execFileSync(imageNode(), [join(app, "scripts", "demo.mjs")], {
      cwd: app,
      encoding: "utf8",
      env: imageEnv(app),
      stdio: ["ignore", "pipe", "pipe"],
    });
    expect(out).toContain(`demo OK`);
  }, 180_000);

  it(`starts the image's default command (the agent) under Node ${nodeMajor}: /healthz answers, SIGTERM exits 0`, async () => {
    const node = imageNode();
    const cli = join(app, "bin", "cairn.js");
    const env = imageEnv(app);
    const recipient = execFileSync(node, [cli, "key", "generate", "--output", join(app, "id.txt")], {
      encoding: "utf8",
      env,
    }).trim();
    execFileSync(
      node,
      [cli, "init", "--repo", join(app, "repo"), "--recipient", recipient, "--agent-key-file", join(app, "agent.key")],
      { env, stdio: "ignore" },
    );
    const port = await freePort();
    const config = join(app, "cairn.yaml");
    writeFileSync(
      config,
      `repositories:\n  local: { url: ${join(app, "repo")}, agent_key_file: ${join(app, "agent.key")} }\n` +
        `jobs:\n  app: { source: { type: files, paths: [${join(app, "dist")}] }, schedule: "0 3 * * *", repositories: [local] }\n` +
        `agent: { listen: 127.0.0.1:${port}, cache_dir: ${join(app, "cache")} }\n`,
    );
    const cmd = execForm(
      stage(model, undefined)
        .instructions.filter((i) => i.keyword === "CMD")
        .at(-1)!.args,
    );
    const agent = spawn(node, [cli, ...cmd.map((a) => (a === "/etc/cairn/cairn.yaml" ? config : a))], {
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    agent.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    try {
      await until(
        async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.status === 200,
        "/healthz",
        30_000,
      ).catch((e: Error) => {
        throw new Error(`${e.message}; agent stderr: ${stderr}`);
      });
      agent.kill("SIGTERM");
      const [code] = (await once(agent, "exit")) as [number | null];
      expect(code, stderr).toBe(0);
    } finally {
      agent.kill("SIGKILL");
    }
  }, 120_000);
});
