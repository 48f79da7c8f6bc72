#!/usr/bin/env node
// Packs packages/client (built into packages/client/dist by tsc) into dist/sdk/client.tgz, the
// file the server serves at /sdk/client.tgz. `npm pack` reads no network for a local folder.
// Run from the project root (npm run build:client); it lives here so that the container build,
// whose context leaves scripts/ out, has it.
import { execFileSync } from 'node:child_process';
import { mkdirSync, renameSync } from 'node:fs';

mkdirSync('dist/sdk', { recursive: true });
const [packed] = JSON.parse(execFileSync('npm', ['pack', './packages/client', '--pack-destination', 'dist/sdk', '--json'], { encoding: 'utf8' }));
renameSync(`dist/sdk/${packed.filename}`, 'dist/sdk/client.tgz');
console.log(`dist/sdk/client.tgz: ${packed.name}@${packed.version}, ${packed.entryCount} files`);
