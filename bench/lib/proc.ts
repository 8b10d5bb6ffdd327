// CPU time and resident memory of another process, from /proc (Linux).
import { readFileSync } from 'node:fs';

/** Kernel clock ticks per second (USER_HZ); 100 on Linux everywhere that matters. */
const TICKS_PER_S = 100;

/** User + system CPU time the process has used so far, in ms (NaN when unreadable). */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) in parentheses.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(rest[11]) + Number(rest[12])) * 1000) / TICKS_PER_S;
  } catch {
    return NaN;
  }
}

/** Resident set size in MB (NaN when unreadable). */
export function rssMB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 102.4) / 10 : NaN;
  } catch {
    return NaN;
  }
}

/** This process's soft limit on open files (RLIMIT_NOFILE), for the report. */
export function openFileLimit(): number {
  try {
    const m = /Max open files\s+(\d+)/.exec(readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}
