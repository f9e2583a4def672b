// The layer order of src/ (docs/ARCHITECTURE.md §Layers), enforced by `npm run lint:deps` (part of `npm test`).
// A folder may import its own files and the folders of the layers below it, never a folder of its own layer
// or above. dependency-cruiser has no inline suppression: an exception is a design question, answered by
// moving code, not by a comment.

/** Bottom to top. Folders on one line are peers and must not import each other. */
const LAYERS = [
  ["core"],
  ["crypto", "compression", "chunker", "workers", "exec", "fs", "storage"],
  ["repository"],
  ["pipeline", "retention", "maintenance", "restore"],
  ["sources"],
  ["config"],
  ["jobs"],
  ["drill"],
  ["agent"],
  ["cli"],
];

const esc = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
const folder = (f) => `^src/${esc(f)}/`;
const anyOf = (fs) => `^src/(${fs.map(esc).join("|")})/`;

const layerRules = LAYERS.flatMap((layer, i) => {
  const notBelow = LAYERS.slice(i).flat();
  return layer.map((f) => ({
    name: `layer-${f}`,
    comment: `${f}/ may import only ${LAYERS.slice(0, i).flat().join(", ") || "nothing but itself"} (docs/ARCHITECTURE.md §Layers)`,
    severity: "error",
    from: { path: folder(f) },
    to: { path: anyOf(notBelow.filter((g) => g !== f)) },
  }));
});

/** Subfolders: each has its own rule, so the folder graph has no loop either (a parent never imports a child that imports it). */
const subfolderRules = [
  {
    name: "storage-root-is-the-seam",
    comment:
      "storage/'s own files (the interface, wrappers, shared helpers) know no backend; storage/location/ picks one",
    from: { path: "^src/storage/[^/]+$" },
    to: { path: "^src/storage/[^/]+/" },
  },
  {
    name: "storage-backends-apart",
    comment: "a backend (local, s3, azure) imports storage/'s own files only, never another backend or location/",
    from: { path: "^src/storage/(local|s3|azure)/" },
    to: { path: "^src/storage/[^/]+/", pathNot: "^src/storage/$1/" },
  },
  {
    name: "sources-root-is-the-seam",
    comment: "sources/'s own files (the BackupSource interface, files source, schema) know no database kind",
    from: { path: "^src/sources/[^/]+$" },
    to: { path: "^src/sources/[^/]+/" },
  },
  {
    name: "sources-dump-is-below-presets",
    comment: "sources/dump/ is what the database presets build on; it knows none of them",
    from: { path: "^src/sources/dump/" },
    to: { path: "^src/sources/[^/]+/", pathNot: "^src/sources/dump/" },
  },
  {
    name: "sources-kinds-apart",
    comment:
      "a database kind (postgres, mysql, sqlite, snapshot) may use dump/ and sources/'s own files, not another kind",
    from: { path: "^src/sources/(postgres|mysql|sqlite|snapshot)/" },
    to: { path: "^src/sources/[^/]+/", pathNot: "^src/sources/($1|dump)/" },
  },
  {
    name: "repository-format-below-facade",
    comment:
      "repository/format/ (how each object is encoded, docs/FORMAT.md) knows nothing of the Repository facade, its index or its writers",
    from: { path: "^src/repository/format/" },
    to: { path: "^src/repository/[^/]+$" },
  },
  {
    name: "pipeline-parent-cache-below-pipeline",
    comment: "the parent cache is a host-local file format the pipeline uses; it knows nothing of the pipeline",
    from: { path: "^src/pipeline/parent-cache/" },
    to: { path: "^src/pipeline/[^/]+$" },
  },
  {
    name: "restore-shared-at-the-bottom",
    comment: "restore/shared/ (the SnapshotReader seam, entries, options, safe names) imports no other restore file",
    from: { path: "^src/restore/shared/" },
    to: { path: "^src/restore/", pathNot: "^src/restore/shared/" },
  },
  {
    name: "restore-writer-below-restore",
    comment:
      "restore/writer/ (the writer threads, sparse writes, large-file slots) knows nothing of the walk that feeds it",
    from: { path: "^src/restore/writer/" },
    to: { path: "^src/restore/[^/]+$" },
  },
  {
    name: "agent-subfolders-below-agent",
    comment:
      "agent/metrics/ (the registry and its exports) and agent/notify/ (message formats) know nothing of the agent that uses them",
    from: { path: "^src/agent/(metrics|notify)/" },
    to: { path: "^src/agent/[^/]+$" },
  },
  {
    name: "agent-subfolders-apart",
    comment: "agent/metrics/ and agent/notify/ do not import each other",
    from: { path: "^src/agent/(metrics|notify)/" },
    to: { path: "^src/agent/[^/]+/", pathNot: "^src/agent/$1/" },
  },
  {
    name: "cli-commands-below-main",
    comment: "commands are registered by cli/main.ts and never import it",
    from: { path: "^src/cli/commands/" },
    to: { path: "^src/cli/[^/]+$" },
  },
  {
    name: "cli-shared-below-commands",
    comment: "cli/shared/ is what several commands use; it imports no command and not cli/main.ts",
    from: { path: "^src/cli/shared/" },
    to: { path: "^src/cli/([^/]+$|commands/)" },
  },
].map((r) => ({ severity: "error", ...r }));

const known = LAYERS.flat();

export default {
  forbidden: [
    ...layerRules,
    ...subfolderRules,
    {
      name: "backup-and-retention-see-interfaces",
      comment:
        "pipeline/, sources/ and retention/ take the few repository methods they call (pipeline/backup-repository.ts, " +
        "pipeline/blob-saver.ts, retention/snapshot-store.ts), never the Repository facade or the Uploader, " +
        "not even as a type; format types (snapshot records, trees, pack codec) stay importable",
      severity: "error",
      from: { path: anyOf(["pipeline", "sources", "retention"]) },
      to: { path: "^src/repository/(repository|uploader)\\.ts$" },
    },
    {
      name: "folder-in-a-layer",
      comment: "every folder of src/ has a place in LAYERS (and src/ itself holds only index.ts, the library API)",
      severity: "error",
      from: { path: "^src/", pathNot: [anyOf(known), "^src/index\\.ts$"] },
      to: {},
    },
    {
      name: "imports-from-a-layer",
      comment: "nothing imports a folder of src/ that has no place in LAYERS",
      severity: "error",
      from: {},
      to: { path: "^src/", pathNot: [anyOf(known), "^src/index\\.ts$"] },
    },
    {
      name: "no-circular",
      comment: "no import cycle between files",
      severity: "error",
      from: { path: "^src/" },
      to: { circular: true },
    },
    {
      name: "src-not-to-test",
      comment: "the product never imports its tests",
      severity: "error",
      from: { path: "^src/" },
      to: { path: "^test/" },
    },
    {
      name: "src-not-to-dev-dependency",
      comment: "a devDependency is not installed with the package",
      severity: "error",
      from: { path: "^src/" },
      to: { dependencyTypes: ["npm-dev"] },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
    },
  },
};
