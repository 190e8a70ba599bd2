/**
 * The layers of src/, checked by `npm run check:layers` (part of `npm test`). See ARCHITECTURE.md.
 * Folder rules aggregate sub-folders: src/ops includes src/ops/optimized.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-cli-imports',
      severity: 'error',
      comment: 'cli/ is the top: the command-line front end. Library code (model loading, tables, ...) lives below it.',
      from: { pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'api-is-the-library-surface',
      severity: 'error',
      comment: 'api/ (the library API) sits above the workflows and below the front ends: only cli/, testing/ and src/index.ts import it.',
      from: { pathNot: ['^src/api/', '^src/cli/', '^src/testing/', '^src/index\\.ts$'] },
      to: { path: '^src/api/' },
    },
    {
      name: 'nothing-imports-testing-or-index',
      severity: 'error',
      comment: 'testing/ (the vitest helpers, package export tinyml/testing) and src/index.ts (the package root) are entry points, never dependencies.',
      from: { pathNot: '^src/testing/' },
      to: { path: ['^src/testing/', '^src/index\\.ts$'] },
    },
    {
      name: 'client-gen-reads-the-ir-only',
      severity: 'error',
      comment: 'client-gen/ turns a graph into a TypeScript module: it knows ir/ (and ts-morph), nothing else of src/.',
      from: { path: '^src/client-gen/' },
      to: { path: '^src/', pathNot: ['^src/client-gen/', '^src/ir/', '^src/errors\\.ts$'] },
    },
    {
      name: 'no-folder-cycles',
      severity: 'error',
      comment: 'Folders form layers: if a imports b, nothing in b may import a, directly or through other folders.',
      scope: 'folder',
      from: {},
      to: { circular: true },
    },
    {
      name: 'ir-at-the-bottom',
      severity: 'error',
      comment: 'ir/ is the graph everything else works on: it imports only node builtins, src/errors.ts and itself.',
      from: { path: '^src/ir/' },
      to: { pathNot: ['^src/ir/', '^src/errors\\.ts$'], dependencyTypesNot: ['core'] },
    },
    {
      name: 'processes-through-execa',
      severity: 'error',
      comment:
        'Processes start with execa: tools that run to completion (make, objcopy, bossac) where they are used, ' +
        'and long-running ones behind a link (QEMU) only in src/link/process-group.ts, which never leaves one behind.',
      from: {},
      to: { dependencyTypes: ['core'], path: '^(node:)?child_process$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
