#!/usr/bin/env node
// Entry point: the compiled CLI lives in dist/ (built by `npm install` via the prepare script).
import { runCli } from '../dist/cli/main.js';

// A reader that stops early (`tinyml inspect m.tflite | head`) closes the pipe: stop quietly, as
// Unix tools do, instead of dying on an unhandled EPIPE with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e && e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

process.exitCode = await runCli(process.argv.slice(2));
