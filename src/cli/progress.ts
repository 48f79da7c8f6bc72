/**
 * The waiting line on stderr: an ora spinner with the task's status, its queue position and the
 * time since submission, redrawn as it changes. Without a terminal ora draws nothing and only
 * the final line is printed; with `--json` nothing at all.
 */
import ora, { type Ora } from 'ora';
import type { RetryNotice, TaskInfo } from '../client/index.js';
import { terminalText } from './output.js';

export function elapsedText(ms: number): string {
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const whole = Math.floor(seconds);
  return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, '0')}s`;
}

export function statusText(task: Pick<TaskInfo, 'status' | 'queuePosition'>): string {
  if (task.status === 'PENDING') {
    if (task.queuePosition === null) return 'Queued';
    return task.queuePosition === 0 ? 'Queued · next' : `Queued · ${task.queuePosition} ahead`;
  }
  if (task.status === 'RUNNING') return 'Running';
  return task.status.charAt(0) + task.status.slice(1).toLowerCase();
}

export class Progress {
  private readonly spinner: Ora;
  /** A terminal: a spinner redrawn in place. Otherwise one line per change, for logs. */
  private readonly interactive: boolean;
  private readonly started = Date.now();
  private label = '';
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly silent: boolean) {
    this.spinner = ora({ stream: process.stderr, isSilent: silent, discardStdin: false });
    // A terminal that reports no width (a bare pty) would send ora's line arithmetic into a loop.
    this.interactive = this.spinner.isEnabled && (process.stderr.columns ?? 0) > 0;
  }

  elapsedMs(): number {
    return Date.now() - this.started;
  }

  start(label: string): void {
    this.label = terminalText(label);
    if (!this.interactive) return this.line(`- ${label}`);
    this.spinner.start(this.text());
    // Redraws the elapsed time between polls; unref'd so it never keeps the process alive.
    this.timer = setInterval(() => {
      this.spinner.text = this.text();
    }, 200);
    this.timer.unref();
  }

  set(label: string): void {
    const safe = terminalText(label);
    if (safe === this.label) return;
    this.label = safe;
    if (this.interactive) this.spinner.text = this.text();
    else this.line(`- ${safe}`);
  }

  /** Why the command waits longer than the task: the client is retrying. */
  retry(notice: RetryNotice): void {
    const why = notice.error.status === 429 ? 'rate limited' : notice.error.code;
    this.warn(`${why}; trying again in ${elapsedText(notice.delayMs)} (retry ${notice.attempt})`);
  }

  task(task: TaskInfo): void {
    this.set(`${statusText(task)} · task ${task.id}`);
  }

  succeed(text: string): void {
    this.stop();
    const done = `${text} in ${elapsedText(this.elapsedMs())}`;
    if (this.interactive) this.spinner.succeed(done);
    else this.line(`✔ ${done}`);
  }

  fail(text: string): void {
    this.stop();
    if (this.interactive) this.spinner.fail(text);
    else this.line(`✖ ${text}`);
  }

  warn(text: string): void {
    if (this.silent) return;
    const spinning = this.spinner.isSpinning;
    if (spinning) this.spinner.clear();
    process.stderr.write(`warning: ${terminalText(text)}\n`);
    if (spinning) this.spinner.render();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.spinner.isSpinning) this.spinner.stop();
  }

  private line(text: string): void {
    if (!this.silent) process.stderr.write(`${text}\n`);
  }

  private text(): string {
    return `${this.label} · ${elapsedText(this.elapsedMs())}`;
  }
}
