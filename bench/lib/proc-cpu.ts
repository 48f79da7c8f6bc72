/** CPU time a process has used (all its threads), from /proc/PID/stat: Linux only. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

/** Clock ticks per second of /proc's times (`getconf CLK_TCK`, nearly always 100). */
export function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    let ticks = NaN;
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    } catch {
      // no getconf: fall back to the usual value below
    }
    ticksPerSecond = Number.isFinite(ticks) && ticks > 0 ? ticks : 100;
  }
  return ticksPerSecond;
}

/** User + system CPU of a process so far, in µs (resolution one clock tick, 10 ms at 100 Hz). */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
  // Field 3 (state) is then index 0, so utime (field 14) is 11 and stime (field 15) is 12.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  if (!Number.isFinite(ticks)) throw new Error(`could not read the CPU times of process ${pid}: ${stat}`);
  return (ticks * 1_000_000) / clockTicks();
}
