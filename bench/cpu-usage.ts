/**
 * CPU accounting from /proc (Linux), sampled before and after each load round. Two questions it
 * answers that req/s alone cannot:
 *   - CPU µs per request of the server under test: the field notes' unit, and far less sensitive
 *     to a noisy neighbour than throughput;
 *   - how busy each core was: if the server's core is not near 100 %, the load generator (not the
 *     server) was the bottleneck and the req/s figure understates the server.
 * Everything returns null where /proc is not available; the report then shows "n/a".
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let clockTicks: number | undefined;

/** USER_HZ: the unit of /proc CPU times (almost always 100). */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 2_000 });
    const parsed = Number.parseInt(out.stdout ?? '', 10);
    clockTicks = Number.isFinite(parsed) && parsed > 0 ? parsed : 100;
  }
  return clockTicks;
}

interface ProcStat {
  ppid: number;
  /** utime + stime + cutime + cstime (own time plus that of reaped children), in clock ticks. */
  ticks: number;
}

/** Parses /proc/<pid>/stat; the command name may contain spaces and parentheses, so split after the last ')'. */
function readProcStat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // After the name: state(0) ppid(1) … utime(11) stime(12) cutime(13) cstime(14), see proc(5).
    // Reaped children count: the load generator runs wrk as a child, one per round.
    const [utime, stime, cutime, cstime] = [11, 12, 13, 14].map((i) => Number(fields[i]));
    return { ppid: Number(fields[1]), ticks: utime! + stime! + cutime! + cstime! };
  } catch {
    return undefined;
  }
}

/**
 * CPU seconds used so far by `rootPid` and all its descendants, live or reaped (Custos may run
 * helpers in child processes; their work is part of its cost). A child is counted once either
 * way: by its own entry while alive, in its parent's cutime/cstime once reaped.
 */
export function processTreeCpuSeconds(rootPid: number): number | null {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return null;
  }
  const stats = new Map<number, ProcStat>();
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const stat = readProcStat(pid);
    if (stat) stats.set(pid, stat);
  }
  if (!stats.has(rootPid)) return null;
  const inTree = new Set([rootPid]);
  // Parents may be listed after children, so sweep until nothing new joins (bounded by the count).
  for (let changed = true, sweeps = 0; changed && sweeps < stats.size; sweeps++) {
    changed = false;
    for (const [pid, stat] of stats) {
      if (!inTree.has(pid) && inTree.has(stat.ppid)) {
        inTree.add(pid);
        changed = true;
      }
    }
  }
  let ticks = 0;
  for (const pid of inTree) ticks += stats.get(pid)?.ticks ?? 0;
  return ticks / ticksPerSecond();
}

/** Cumulative per-core times from /proc/stat, in ticks. */
export interface CoreTimes {
  busy: number;
  steal: number;
  total: number;
}

export function readCoreTimes(): CoreTimes[] | null {
  let text: string;
  try {
    text = readFileSync('/proc/stat', 'utf8');
  } catch {
    return null;
  }
  const cores: CoreTimes[] = [];
  for (const line of text.split('\n')) {
    const match = /^cpu(\d+)\s+(.*)$/.exec(line);
    if (!match) continue;
    // user nice system idle iowait irq softirq steal (guest time is already counted in user).
    const [user, nice, system, idle, iowait, irq, softirq, steal] = match[2]!.split(/\s+/).map(Number) as number[];
    const busy = user! + nice! + system! + irq! + softirq!;
    const total = busy + idle! + iowait! + (steal ?? 0);
    cores[Number(match[1])] = { busy, steal: steal ?? 0, total };
  }
  return cores;
}

/** Per core, the fraction of the interval spent busy and the fraction stolen by the hypervisor. */
export function coreUsage(before: CoreTimes[] | null, after: CoreTimes[] | null): { busy: number; steal: number }[] | null {
  if (!before || !after) return null;
  return after.map((end, core) => {
    const start = before[core];
    const total = start ? end.total - start.total : 0;
    if (!start || total <= 0) return { busy: 0, steal: 0 };
    return { busy: (end.busy - start.busy) / total, steal: (end.steal - start.steal) / total };
  });
}

/**
 * Mean busy fraction over all cores during `ms` of (our) idleness: whatever shows up here is
 * someone else's work, and it will be competing with the next round.
 */
export async function sampleBackgroundBusy(ms: number): Promise<number | null> {
  const before = readCoreTimes();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const usage = coreUsage(before, readCoreTimes());
  if (!usage || usage.length === 0) return null;
  return usage.reduce((sum, core) => sum + core.busy, 0) / usage.length;
}
