#!/usr/bin/env node
'use strict';
// In this repository the CLI runs from its TypeScript sources; the published package runs the compiled CLI
// (`dist/bin/cli.js`). Either way tsx's loaders (ESM and CommonJS) are registered, so the app (`main.ts`) and its
// route handlers, which local mode runs in-process, can be TypeScript.
const { existsSync } = require('node:fs');
const path = require('node:path');

const source = path.join(__dirname, 'cli.ts');
const compiled = path.join(__dirname, '..', 'dist', 'bin', 'cli.js');
import('tsx/esm/api')
  .then(({ register }) => {
    register();
    require('tsx/cjs');
    return require(existsSync(source) ? source : compiled).main(process.argv);
  })
  .catch((err) => {
    process.stderr.write(`oauth-registry: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
