#!/usr/bin/env node
// Runs every test file under test/ with node:test (through tsx), or only those whose path
// contains one of the arguments: `npm test -- ledger dashscope`.
//
// Four passes: every other file (two at a time); the container install test alone (minutes of
// compiling); the fault suites one at a time, since each runs a small cluster of server processes
// under load and waits for it to recover within a bound; and the fuzz suite alone, since it measures the server's event-loop stalls and a neighbour busy on
// the same two cores would show up as stalls of its own. The passes' summary lines are replaced by
// one summary of all of them at the end, in node:test's own format.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

function collect(dir) {
  const files = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) files.push(...collect(path));
    else if (name.endsWith('.test.ts')) files.push(path);
  }
  return files;
}

const filters = process.argv.slice(2);
const files = collect('test')
  .filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}
const under = (dir) => (file) => file.startsWith(join('test', dir));
const [faults, fuzz] = [under('faults'), under('fuzz')];
// Installs and builds a copy of the project as the Dockerfile does (minutes of compiling): alone,
// so that it never slows a neighbour that waits for something within a bound.
const install = (file) => file.endsWith(join('e2e', 'container-commands.test.ts'));
const passes = [
  { files: files.filter((file) => !faults(file) && !fuzz(file) && !install(file)), concurrency: process.env.TEST_CONCURRENCY ?? '2' },
  { files: files.filter(install), concurrency: '1' },
  { files: files.filter(faults), concurrency: '1' },
  { files: files.filter(fuzz), concurrency: '1' },
].filter((pass) => pass.files.length > 0);

const SUMMARY = /^# (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) ([\d.]+)$/;
const totals = new Map();
// A failing test's name, with the suites around it, repeated at the very end: a long log's tail
// (all that some CI views keep) then says what failed.
const NAMED = /^(\s*)(ok|not ok) \d+ - (.*)$/;
const SUBTEST = /^(\s*)# Subtest: (.*)$/;
const failures = [];
// The start of each failure's YAML block (its error and the first stack lines), kept with its name.
const details = new Map();
const DETAIL_LINES = 20;
const NOISE = /^(---|duration_ms:|failureType:|code:|name:|operator:|)$|^(duration_ms|failureType|operator):/;

function runPass(pass) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--test', `--test-concurrency=${pass.concurrency}`, ...pass.files], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout });
    const path = [];
    let collecting = null;
    lines.on('line', (line) => {
      if (collecting) {
        if (line.trim() === '...') collecting = null;
        else if (collecting.length < DETAIL_LINES && !NOISE.test(line.trim())) collecting.push(line.trim());
      }
      const subtest = SUBTEST.exec(line);
      if (subtest) path[subtest[1].length / 4] = subtest[2];
      const named = NAMED.exec(line);
      if (named?.[2] === 'not ok') {
        const depth = named[1].length / 4;
        // Only the innermost failure of a branch: its suites fail with it.
        const name = [...path.slice(0, depth), named[3]].join(' › ');
        if (!failures.some((f) => f.startsWith(`${name} › `))) {
          failures.push(name);
          collecting = [];
          details.set(name, collecting);
        }
      }
      const summary = SUMMARY.exec(line);
      if (summary) totals.set(summary[1], (totals.get(summary[1]) ?? 0) + Number(summary[2]));
      else process.stdout.write(`${line}\n`);
    });
    const closed = new Promise((done) => lines.once('close', done));
    child.once('exit', (code, signal) => void closed.then(() => resolve(signal ? 1 : (code ?? 1))));
  });
}

let failed = false;
for (const pass of passes) if ((await runPass(pass)) !== 0) failed = true;
for (const failure of failures) {
  console.log(`# failed: ${failure}`);
  for (const line of details.get(failure) ?? []) console.log(`#   ${line}`);
}
for (const [name, value] of totals) console.log(`# ${name} ${name === 'duration_ms' ? value.toFixed(3) : value}`);
process.exit(failed ? 1 : 0);
