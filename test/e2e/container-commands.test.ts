/**
 * The container image's commands, run for real without Docker (no image registry is reachable
 * here, so the image itself cannot be built). The Dockerfile is read and replayed stage by stage on
 * a copy of the build context (the repository's files as a fresh clone has them, with the working
 * tree's changes, less `.dockerignore`): its COPY lines copy, its ENV lines set the environment,
 * its npm RUN lines run as written (same flags), and the final stage — production dependencies
 * only, NODE_ENV=production — is started with the CMD's own command line. A missing run-time file
 * or dependency, or an import of a dev-only package, fails here as it would fail the image.
 *
 * What is not replayed, and why: RUN lines that set up the image's operating system (apt-get for
 * the compiler toolchain this machine already has, the /data directory and its owner), USER (the
 * test runs as whoever runs it) and npm_config_nodedir (where Node's headers are: this machine's
 * are not under the official image's /usr/local; `.ci/run` exports the right one). The server
 * listens on 127.0.0.1 and a free port, with its data in a temporary directory.
 *
 * It needs the npm registry (for `npm ci`) and takes a few minutes: better-sqlite3 is compiled.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  copyBuildContext,
  copyLikeDocker,
  parseCopy,
  parseEnv,
  parseExecForm,
  parseStages,
  UnsupportedInstruction,
  type Instruction,
  type Stage,
} from '../helpers/dockerfile.js';
import { tempDir } from '../helpers/stores.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WORKDIR = '/app';

/** RUN commands that set up the image's system rather than the application: not replayed (see above). */
const SYSTEM_COMMANDS = [/^apt-get (update|install)\b/, /^rm -rf \/var\/lib\/apt\/lists\/\*$/, /^mkdir -p \/data$/, /^chown node:node \/data$/];

/** Where Node's headers live differs per machine: the replay keeps this machine's setting. */
const MACHINE_SPECIFIC_ENV = new Set(['npm_config_nodedir']);

/** npm's own variables that may pass from the test's environment into the replayed npm (a parent `npm test` sets others, such as its prefix). */
const KEPT_NPM_ENV = new Set(['npm_config_nodedir', 'npm_config_cache', 'npm_config_registry', 'npm_config_userconfig']);

interface Outcome {
  code: number | null;
  output: string;
}

function run(argv: readonly string[], cwd: string, env: Record<string, string>): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0] as string, argv.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, output }));
  });
}

/** The test's environment without what would change how npm or the server behave. */
function cleanEnvironment(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    if (/^npm_/i.test(name) && !KEPT_NPM_ENV.has(name.toLowerCase())) continue;
    if (/^(QIG_|AWS_|DASHSCOPE_)/.test(name)) continue;
    if (['NODE_ENV', 'NODE_OPTIONS', 'HOST', 'PORT', 'DATABASE_URL', 'REDIS_URL'].includes(name)) continue;
    env[name] = value;
  }
  return env;
}

/** `node …` as Docker would run it: this machine's node is the image's node (checked below). */
function localArgv(argv: readonly string[]): string[] {
  return argv[0] === 'node' ? [process.execPath, ...argv.slice(1)] : [...argv];
}

/** A path inside a stage's WORKDIR, or the WORKDIR-relative path a COPY destination names. */
function stagePath(stageDir: string, path: string, instruction: Instruction): string {
  if (path.startsWith('/')) {
    if (path !== WORKDIR && !path.startsWith(`${WORKDIR}/`)) throw new UnsupportedInstruction(instruction, `only paths under ${WORKDIR} are replayed`);
    return join(stageDir, relative(WORKDIR, path));
  }
  return join(stageDir, path);
}

interface ReplayedStage {
  stage: Stage;
  dir: string;
  env: Record<string, string>;
  cmd: string[] | null;
  healthcheck: string[] | null;
}

interface Step {
  what: string;
  seconds: number;
}

/** Replays one stage; a COPY --from waits for the stage it names, so independent stages run at once, as BuildKit runs them. */
async function replayStage(stage: Stage, dir: string, context: string, earlier: ReadonlyMap<string, Promise<ReplayedStage>>, steps: Step[]): Promise<ReplayedStage> {
  mkdirSync(dir, { recursive: true });
  const env = cleanEnvironment();
  let cmd: string[] | null = null;
  let healthcheck: string[] | null = null;
  for (const instruction of stage.instructions) {
    switch (instruction.keyword) {
      case 'WORKDIR':
        if (instruction.args !== WORKDIR) throw new UnsupportedInstruction(instruction, `the replay maps WORKDIR ${WORKDIR} only`);
        break;
      case 'ENV':
        for (const [name, value] of parseEnv(instruction)) if (!MACHINE_SPECIFIC_ENV.has(name)) env[name] = value;
        break;
      case 'COPY': {
        const copy = parseCopy(instruction);
        const pending = copy.from === null ? null : earlier.get(copy.from);
        if (copy.from !== null && !pending) throw new UnsupportedInstruction(instruction, `no earlier stage is named ${copy.from}`);
        const from = pending ? await pending : null;
        const dest = stagePath(dir, copy.dest, instruction);
        for (const source of copy.sources) {
          if (from && !source.startsWith('/')) throw new UnsupportedInstruction(instruction, 'COPY --from sources are replayed as absolute paths');
          const path = from ? stagePath(from.dir, source, instruction) : join(context, source);
          copyLikeDocker(path, dest, copy.dest.endsWith('/') || copy.dest === '.');
        }
        break;
      }
      case 'RUN': {
        const commands = instruction.args.split('&&').map((part) => part.trim());
        const system = commands.filter((command) => SYSTEM_COMMANDS.some((pattern) => pattern.test(command)));
        if (system.length === commands.length) break;
        if (system.length > 0 || !commands.every((command) => command.startsWith('npm '))) {
          throw new UnsupportedInstruction(instruction, 'the replay runs RUN lines made of npm commands, and skips only the system set-up it lists; keep the two apart');
        }
        const started = performance.now();
        // The shell form, as Docker runs it.
        const outcome = await run(['/bin/sh', '-c', instruction.args], dir, env);
        steps.push({ what: `${stage.name ?? 'final'}: RUN ${instruction.args.replace(/\s+/g, ' ')}`, seconds: (performance.now() - started) / 1000 });
        assert.equal(outcome.code, 0, `Dockerfile line ${instruction.line} failed:\n${outcome.output.slice(-6000)}`);
        break;
      }
      case 'CMD':
        cmd = parseExecForm(instruction, instruction.args);
        break;
      case 'HEALTHCHECK': {
        const match = /^(?:--\S+\s+)*CMD\s+(\[[\s\S]*\])$/.exec(instruction.args);
        if (!match) throw new UnsupportedInstruction(instruction, 'only HEALTHCHECK [--options] CMD ["…"] is understood');
        healthcheck = parseExecForm(instruction, match[1] as string);
        break;
      }
      case 'USER':
      case 'VOLUME':
      case 'EXPOSE':
      case 'LABEL':
        break;
      default:
        throw new UnsupportedInstruction(instruction, 'the replay does not know this instruction');
    }
  }
  return { stage, dir, env, cmd, healthcheck };
}

interface LockEntry {
  dev?: boolean;
  optional?: boolean;
  devOptional?: boolean;
  hasInstallScript?: boolean;
}

function lockPackages(): Array<[string, LockEntry]> {
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  return Object.entries(lock.packages).filter(([path]) => path.startsWith('node_modules/'));
}

const packageName = (lockPath: string): string => lockPath.slice(lockPath.lastIndexOf('node_modules/') + 'node_modules/'.length);

/** The packages a built file imports or resolves by name (static and dynamic imports, require.resolve). */
function importedPackages(dir: string): Map<string, string> {
  const found = new Map<string, string>();
  const builtins = new Set(builtinModules);
  const visit = (path: string) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const full = join(path, entry.name);
      if (entry.isDirectory()) visit(full);
      else if (entry.name.endsWith('.js')) {
        const text = readFileSync(full, 'utf8');
        // A specifier has no white space: `{ field: 'from' })` in a string is no import.
        for (const match of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\.resolve\(\s*)['"]([^'"\s]+)['"]/g)) {
          const specifier = match[1] as string;
          if (specifier.startsWith('.') || specifier.startsWith('node:') || specifier.startsWith('/')) continue;
          const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : (specifier.split('/')[0] as string);
          if (!builtins.has(name)) found.set(name, relative(dir, full));
        }
      }
    }
  };
  visit(dir);
  return found;
}

interface Server {
  url: string;
  output(): string;
  stop(): Promise<number | null>;
}

/** Starts the server with the CMD's argv and waits for its "listening" log line. */
function startServer(argv: readonly string[], cwd: string, env: Record<string, string>): Promise<Server> {
  const child = spawn(argv[0] as string, argv.slice(1), { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the server did not start within 60 s:\n${output}`));
    }, 60_000);
    child.stdout.on('data', () => {
      const match = /"url":"(http:\/\/[^"]+)".*listening/.exec(output);
      if (!match) return;
      clearTimeout(timer);
      resolve({
        url: match[1] as string,
        output: () => output,
        async stop() {
          if (child.exitCode !== null) return child.exitCode;
          child.kill('SIGTERM');
          return exited;
        },
      });
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited with ${code}:\n${output}`));
    });
  });
}

describe('container image commands', () => {
  it('installs, builds and starts as the Dockerfile says, on a clean copy of the build context', { timeout: 30 * 60_000 }, async (t) => {
    const stages = parseStages(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
    const final = stages.at(-1);
    assert.ok(final && stages.length >= 2, 'a multi-stage Dockerfile');

    // This machine's node stands in for the image's: same major version.
    for (const stage of stages) {
      const tag = /^node:(\d+)[.-]/.exec(stage.image)?.[1];
      assert.equal(tag, process.versions.node.split('.')[0], `stage ${stage.name ?? 'final'} is based on ${stage.image}; this test runs Node ${process.version}`);
    }

    const work = tempDir('qig-container-');
    const steps: Step[] = [];
    try {
      const context = join(work.path, 'context');
      const files = copyBuildContext(ROOT, context);
      for (const needed of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'src/main.ts', 'web/index.html']) {
        assert.ok(files.includes(needed), `the build context has ${needed}`);
      }
      for (const prefix of ['node_modules', 'dist/', 'web/dist/', 'data/', '.env', 'test/']) {
        assert.ok(!files.some((file) => file.startsWith(prefix)), `the build context leaves out ${prefix}`);
      }

      const named = new Map<string, Promise<ReplayedStage>>();
      const all = stages.map((stage, index) => {
        const replay = replayStage(stage, join(work.path, `stage-${index}-${stage.name ?? 'final'}`), context, new Map(named), steps);
        if (stage.name) named.set(stage.name, replay);
        return replay;
      });
      // Every stage settles before any failure is reported (the temporary directory goes afterwards).
      const settled = await Promise.allSettled(all);
      for (const outcome of settled) if (outcome.status === 'rejected') throw outcome.reason;
      const app = (settled.at(-1) as PromiseFulfilledResult<ReplayedStage>).value;
      assert.equal(app.env.NODE_ENV, 'production', 'the final stage sets NODE_ENV=production');
      assert.ok(app.cmd, 'the final stage has a CMD');
      assert.ok(app.healthcheck, 'the final stage has a HEALTHCHECK');

      // Production dependencies only; every production one present.
      const packages = lockPackages();
      const devInstalled = packages.filter(([path, entry]) => entry.dev === true && existsSync(join(app.dir, path))).map(([path]) => path);
      assert.deepEqual(devInstalled, [], 'no development dependency in the final stage');
      const prodMissing = packages
        .filter(([path, entry]) => !entry.dev && !entry.optional && !entry.devOptional && !existsSync(join(app.dir, path)))
        .map(([path]) => path);
      assert.deepEqual(prodMissing, [], 'every production dependency in the final stage');

      // Every production package with an install script is rebuilt by name (the rest of the install runs without scripts).
      const rebuilt = new Set(
        stages.flatMap((stage) => stage.instructions.filter((i) => i.keyword === 'RUN').flatMap((i) => [...i.args.matchAll(/npm rebuild ([^&|;]+)/g)].flatMap((m) => (m[1] as string).trim().split(/\s+/)))),
      );
      const scripted = [...new Set(packages.filter(([, entry]) => entry.hasInstallScript && !entry.dev).map(([path]) => packageName(path)))];
      assert.deepEqual(scripted.filter((name) => !rebuilt.has(name)), [], 'production packages with install scripts are named in an `npm rebuild`');

      // Every package the built server names is installed (covers imports on paths a start does not take).
      assert.ok(existsSync(join(app.dir, 'dist/main.js')) && existsSync(join(app.dir, 'dist/cli.js')), 'dist/ in the final stage');
      assert.ok(existsSync(join(app.dir, 'web/dist/index.html')) && existsSync(join(app.dir, 'web/dist/admin.html')), 'web/dist/ in the final stage');
      // tsx is resolved only when the server runs from its .ts sources (the local engine's worker
      // threads register it to load worker .ts files); from dist/ that path is never taken.
      const sourcesOnly = (name: string, file: string) => name === 'tsx' && file === join('engines', 'local', 'threads', 'worker-pool.js');
      const unresolved = [...importedPackages(join(app.dir, 'dist'))].filter(
        ([name, file]) => !sourcesOnly(name, file) && !existsSync(join(app.dir, 'node_modules', name, 'package.json')),
      );
      assert.deepEqual(unresolved, [], 'packages imported by dist/ but missing from the final stage (dev-only?)');

      // Start it as the CMD does, on loopback and a free port, its data in a temporary directory.
      const dataDir = join(work.path, 'data');
      const env = { ...app.env, HOST: '127.0.0.1', PORT: '0', QIG_DATA_DIR: dataDir, QIG_LOG_LEVEL: 'info' };
      const server = await startServer(localArgv(app.cmd), app.dir, env);
      let stopped = false;
      try {
        assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
        const ready = await fetch(`${server.url}/readyz`);
        assert.equal(ready.status, 200, await ready.text());
        for (const page of ['/', '/admin']) {
          const response = await fetch(`${server.url}${page}`);
          assert.equal(response.status, 200, `${page} is served from web/dist`);
          assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
        }

        // The image's HEALTHCHECK command, with the port the server took.
        const port = new URL(server.url).port;
        const healthy = await run(localArgv(app.healthcheck), app.dir, { ...env, PORT: port });
        assert.equal(healthy.code, 0, `HEALTHCHECK against a running server:\n${healthy.output}`);

        // A key made with the CLI as the docs run it in a container, then an image made with it:
        // the store, the image codec and the watermark's font, all from production dependencies.
        const created = await run(['npm', 'run', '-s', 'qig', '--', 'keys', 'create', '--name', 'container-test', '--balance', '5.00'], app.dir, env);
        assert.equal(created.code, 0, created.output);
        const key = /"key":\s*"(sk-qig-\w+)"/.exec(created.output)?.[1];
        assert.ok(key, created.output);
        const response = await fetch(`${server.url}/api/v1/services/aigc/multimodal-generation/generation`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            model: 'qwen-image-2.0-pro',
            input: { messages: [{ role: 'user', content: [{ text: 'a lighthouse at dawn' }] }] },
            parameters: { size: '512*512', watermark: true },
          }),
        });
        const answer = (await response.json()) as { output?: { choices?: Array<{ message: { content: Array<{ image: string }> } }> } };
        assert.equal(response.status, 200, JSON.stringify(answer));
        const imageUrl = answer.output?.choices?.[0]?.message.content[0]?.image;
        assert.ok(imageUrl !== undefined && imageUrl.startsWith(server.url), JSON.stringify(answer));
        const image = Buffer.from(await (await fetch(imageUrl)).arrayBuffer());
        assert.equal(image.subarray(1, 4).toString('latin1'), 'PNG');

        assert.equal(await server.stop(), 0, `a clean exit on SIGTERM:\n${server.output().slice(-4000)}`);
        stopped = true;
        const down = await run(localArgv(app.healthcheck), app.dir, { ...env, PORT: port });
        assert.notEqual(down.code, 0, 'HEALTHCHECK fails once the server is gone');
      } finally {
        if (!stopped) await server.stop();
      }
    } finally {
      for (const step of steps) t.diagnostic(`${step.seconds.toFixed(1)} s  ${step.what}`);
      work.remove();
    }
  });
});
