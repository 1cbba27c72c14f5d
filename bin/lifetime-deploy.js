#!/usr/bin/env node
// `lifetime-deploy` / `npx lifetime-deploy`: runs the TypeScript CLI through tsx.
'use strict';
require('tsx/cjs');
const { runCli } = require('../src/cli/main.ts');
runCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  () => process.exit(1),
);
