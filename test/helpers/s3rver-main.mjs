// Runs s3rver in its own process for the tests (started by emulators.ts).
// A child process keeps the emulator's needs out of the test worker: it must
// run with --openssl-legacy-provider on Node 20 (else ListObjectsV2 fails past
// the first page), which the launcher sets in NODE_OPTIONS for this process only.
// argv: <directory> <bucket>...; prints "listening <port>" once ready.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const S3rver = require("s3rver");

const [directory, ...buckets] = process.argv.slice(2);
const server = new S3rver({
  address: "127.0.0.1",
  port: 0,
  silent: true,
  directory,
  configureBuckets: buckets.map((name) => ({ name })),
});
const { port } = await server.run();
process.stdout.write(`listening ${port}\n`);
// Stop cleanly when the parent goes away or asks (stdin closes with the parent).
process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
process.on("SIGTERM", () => process.exit(0));
