// Preloaded with `node --import` (NODE_OPTIONS) into a CLI the tests start: makes os.hostname()
// answer $TEST_OS_HOSTNAME, as a new container's random hostname would, without privileges
// (a UTS namespace needs them). syncBuiltinESMExports carries the change to `import { hostname }`.
import os from "node:os";
import { syncBuiltinESMExports } from "node:module";

const name = process.env.TEST_OS_HOSTNAME;
if (name) {
  os.hostname = () => name;
  syncBuiltinESMExports();
}
