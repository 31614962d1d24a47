#!/usr/bin/env node
// A clean solc executable over the npm solc JS API for py-solc-x: `--version` prints the
// version, `--standard-json` reads standard JSON on stdin and prints only the output JSON
// (solcjs prints a stray SMT notice before the JSON, which breaks JSON parsing).
'use strict';
const path = require('path');
const fs = require('fs');
const solc = require(path.join(__dirname, '..', 'node_modules', 'solc'));

const args = process.argv.slice(2);
if (args.includes('--version')) {
  process.stdout.write('solc, the solidity compiler commandline interface\nVersion: ' + solc.version() + '\n');
  process.exit(0);
}
const root = path.join(__dirname, '..');
function findImports(importPath) {
  const candidates = [path.join(root, importPath), path.join(root, 'node_modules', importPath)];
  for (const candidate of candidates) {
    if (fs.existsSync(candidate)) {
      return { contents: fs.readFileSync(candidate, 'utf8') };
    }
  }
  return { error: 'File not found: ' + importPath };
}
const input = fs.readFileSync(0, 'utf8');
process.stdout.write(solc.compile(input, { import: findImports }));
