#!/usr/bin/env node
'use strict';
// The package ships TypeScript sources; tsx's loaders (ESM and CommonJS) let the CLI, and the route handlers it
// serves locally, run them as they are.
import('tsx/esm/api')
  .then(({ register }) => {
    register();
    require('tsx/cjs');
    return require('./cli.ts').main(process.argv);
  })
  .catch((err) => {
    process.stderr.write(`oauth-registry: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
