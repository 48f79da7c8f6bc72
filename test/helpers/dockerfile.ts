/**
 * Just enough of Docker's build semantics to replay the project's Dockerfile without Docker: the
 * instructions and stages of a Dockerfile, and the build context a `.dockerignore` leaves. Only the
 * forms the Dockerfile uses are understood; anything else throws, naming the line, so the replay
 * can never quietly differ from the image build.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export interface Instruction {
  keyword: string;
  /** The arguments, continuation lines joined. */
  args: string;
  /** Line number of the instruction's first line. */
  line: number;
}

export interface Stage {
  name: string | null;
  /** The base image, with ARG defaults substituted. */
  image: string;
  instructions: Instruction[];
}

export class UnsupportedInstruction extends Error {
  constructor(instruction: Instruction, why: string) {
    super(`Dockerfile line ${instruction.line}: ${instruction.keyword} ${instruction.args}\n  ${why}`);
  }
}

/** Instructions in order: comments and blank lines dropped, `\` continuations joined (as Docker does, comment lines inside one are dropped too). */
export function parseInstructions(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  const lines = text.split('\n');
  let pending: { text: string; line: number } | null = null;
  lines.forEach((raw, index) => {
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const continued = /\\\s*$/.test(raw);
    const piece = continued ? raw.replace(/\\\s*$/, '') : raw;
    pending = pending === null ? { text: piece.trimStart(), line: index + 1 } : { text: `${pending.text}${piece}`, line: pending.line };
    if (continued) return;
    const match = /^(\S+)\s*([\s\S]*)$/.exec(pending.text);
    if (match) instructions.push({ keyword: (match[1] ?? '').toUpperCase(), args: (match[2] ?? '').trim(), line: pending.line });
    pending = null;
  });
  if (pending !== null) throw new Error('Dockerfile ends inside a line continuation');
  return instructions;
}

/** `$NAME` and `${NAME}` from the ARG defaults declared before the first FROM. */
function substitute(value: string, args: ReadonlyMap<string, string>, instruction: Instruction): string {
  return value.replace(/\$\{(\w+)\}|\$(\w+)/g, (_whole, braced: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare ?? '';
    const found = args.get(name);
    if (found === undefined) throw new UnsupportedInstruction(instruction, `$${name} is not an ARG with a default declared before the first FROM`);
    return found;
  });
}

export function parseStages(text: string): Stage[] {
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const instruction of parseInstructions(text)) {
    if (instruction.keyword === 'ARG' && stages.length === 0) {
      const match = /^(\w+)=(\S+)$/.exec(instruction.args);
      if (!match) throw new UnsupportedInstruction(instruction, 'only ARG NAME=default is understood');
      args.set(match[1] as string, match[2] as string);
    } else if (instruction.keyword === 'FROM') {
      const match = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args);
      if (!match) throw new UnsupportedInstruction(instruction, 'only FROM image [AS name] is understood');
      stages.push({ image: substitute(match[1] as string, args, instruction), name: match[2] ?? null, instructions: [] });
    } else {
      const stage = stages.at(-1);
      if (!stage) throw new UnsupportedInstruction(instruction, 'comes before any FROM');
      stage.instructions.push(instruction);
    }
  }
  return stages;
}

/** `ENV a=b c=d`: plain values only (no quotes, no variables), so the replay reads them as Docker does. */
export function parseEnv(instruction: Instruction): Array<[string, string]> {
  return instruction.args.split(/\s+/).map((pair) => {
    const match = /^(\w+)=([^\s"'$\\]*)$/.exec(pair);
    if (!match) throw new UnsupportedInstruction(instruction, 'only ENV NAME=value pairs with plain values are understood');
    return [match[1] as string, match[2] as string];
  });
}

/** An exec-form (JSON array) command, as CMD and HEALTHCHECK CMD use. */
export function parseExecForm(instruction: Instruction, json: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new UnsupportedInstruction(instruction, 'only the exec (JSON array) form is understood');
  }
  if (!Array.isArray(parsed) || parsed.length === 0 || !parsed.every((item) => typeof item === 'string')) {
    throw new UnsupportedInstruction(instruction, 'the exec form must be a non-empty array of strings');
  }
  return parsed;
}

export interface CopyInstruction {
  from: string | null;
  sources: string[];
  dest: string;
}

export function parseCopy(instruction: Instruction): CopyInstruction {
  const words = instruction.args.split(/\s+/);
  let from: string | null = null;
  while (words[0]?.startsWith('--')) {
    const flag = words.shift() as string;
    const match = /^--from=(\S+)$/.exec(flag);
    if (!match) throw new UnsupportedInstruction(instruction, `the flag ${flag} is not understood (only --from=stage)`);
    from = match[1] as string;
  }
  if (words.length < 2 || words.some((word) => word.startsWith('[') || word.includes('$'))) {
    throw new UnsupportedInstruction(instruction, 'only COPY [--from=stage] source… destination, without variables, is understood');
  }
  return { from, sources: words.slice(0, -1), dest: words.at(-1) as string };
}

/**
 * Copies like COPY: a directory's contents into the destination, a file into a destination ending
 * in `/` (or an existing directory) under its own name, or else to the destination itself.
 */
export function copyLikeDocker(source: string, dest: string, destIsDir: boolean): void {
  if (!existsSync(source)) throw new Error(`COPY: ${source} does not exist`);
  if (lstatSync(source).isDirectory()) {
    mkdirSync(dest, { recursive: true });
    cpSync(source, dest, { recursive: true, verbatimSymlinks: true });
    return;
  }
  const target = destIsDir || (existsSync(dest) && lstatSync(dest).isDirectory()) ? join(dest, source.split('/').at(-1) as string) : dest;
  mkdirSync(dirname(target), { recursive: true });
  cpSync(source, target, { verbatimSymlinks: true });
}

/** One `.dockerignore` rule as a matcher of slash-separated paths relative to the context. */
interface IgnoreRule {
  exclude: boolean;
  pattern: RegExp;
}

/** Go's filepath.Match syntax plus `**`, as Docker reads `.dockerignore` (character classes are not supported). */
function patternRegExp(pattern: string): RegExp {
  if (/[[\]\\]/.test(pattern)) throw new Error(`.dockerignore: the pattern "${pattern}" uses a form this replay does not support`);
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i] as string;
    if (pattern.startsWith('**/', i)) {
      source += '(?:.*/)?';
      i += 2;
    } else if (pattern.startsWith('**', i)) {
      source += '.*';
      i += 1;
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else source += char.replace(/[.+^${}()|]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

export function parseDockerignore(text: string): IgnoreRule[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const exclude = !line.startsWith('!');
      const pattern = (exclude ? line : line.slice(1).trim()).replace(/^\/+/, '').replace(/\/+$/, '');
      return { exclude, pattern: patternRegExp(pattern) };
    });
}

/** Docker's rule: the last rule matching the path or one of its parent directories decides. */
export function isIgnored(rules: readonly IgnoreRule[], path: string): boolean {
  const parts = path.split('/');
  const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
  let ignored = false;
  for (const rule of rules) {
    if (candidates.some((candidate) => rule.pattern.test(candidate))) ignored = rule.exclude;
  }
  return ignored;
}

/**
 * The build context `docker build .` would send from a fresh clone with the working tree's
 * changes: the files git tracks or would track (untracked but not ignored), as they are on disk,
 * less what `.dockerignore` leaves out. Returns the context's files.
 */
export function copyBuildContext(root: string, target: string): string[] {
  const listed = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: root, encoding: 'utf8' })
    .split('\0')
    .filter((path) => path !== '');
  const ignorePath = join(root, '.dockerignore');
  const rules = existsSync(ignorePath) ? parseDockerignore(readFileSync(ignorePath, 'utf8')) : [];
  const files = [...new Set(listed)]
    .filter((path) => existsSync(join(root, path)) && !lstatSync(join(root, path)).isDirectory())
    .filter((path) => !isIgnored(rules, path))
    .sort();
  for (const path of files) {
    mkdirSync(dirname(join(target, path)), { recursive: true });
    cpSync(join(root, path), join(target, path), { verbatimSymlinks: true });
  }
  return files;
}
