import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

export interface Scenario {
  name: string;
  /** Server to drive: Newsdesk or the bare pg route. */
  target: 'newsdesk' | 'bare';
  requests: autocannon.Request[];
  /** The status a correct answer has (304 for a conditional GET); anything else counts as an error. */
  expect?: number;
}

export interface Run {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

export interface Figures {
  scenario: string;
  target: Scenario['target'];
  path: string;
  runs: Run[];
  median: Run;
  /** Lowest and highest requests per second over the repetitions. */
  spread: [number, number];
  rss_mb: number;
}

export function pin(pid: number, core: number): boolean {
  try {
    execFileSync('taskset', ['-a', '-p', '-c', String(core), String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Resident memory of a process, in MB, read from /proc (Linux). */
export function rssMb(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(status.match(new RegExp(`${field}:\\s+(\\d+)`))?.[1]);
    return Math.round(kb / 102.4) / 10;
  } catch {
    return Number.NaN;
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

export async function drive(
  url: string,
  scenario: Scenario,
  options: { connections: number; seconds: number },
): Promise<Run> {
  const result = await autocannon({
    url,
    connections: options.connections,
    duration: options.seconds,
    requests: scenario.requests,
  });
  const expected = scenario.expect ?? 200;
  let unexpected = 0;
  for (const [status, stats] of Object.entries(result.statusCodeStats ?? {})) {
    const ok = Number(status) === expected || (expected === 200 && status === '201');
    if (!ok) unexpected += (stats as { count: number }).count;
  }
  return {
    rps: Math.round(result.requests.average),
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts + unexpected,
  };
}

export interface Ratio {
  /** Median over the pairs of runs made back to back (run i of each server). */
  median: number;
  /** Lowest and highest ratio of a pair. */
  spread: [number, number];
  pairs: number;
}

/**
 * Newsdesk ÷ bare from runs made in pairs, one right after the other: each pair shares the machine's state
 * of those seconds, so slow drift of a shared VM cancels within a pair instead of landing on one side.
 */
export function pairedRatio(newsdesk: Run[], bare: Run[]): Ratio {
  const pairs = Math.min(newsdesk.length, bare.length);
  const ratios = Array.from(
    { length: pairs },
    (_, i) => (newsdesk[i] as Run).rps / ((bare[i] as Run).rps || 1),
  );
  const round = (value: number) => Math.round(value * 100) / 100;
  return {
    median: round(median(ratios)),
    spread: [round(Math.min(...ratios)), round(Math.max(...ratios))],
    pairs,
  };
}

export function summarise(runs: Run[]): Pick<Figures, 'median' | 'spread'> {
  return {
    median: {
      rps: Math.round(median(runs.map((r) => r.rps))),
      p50: median(runs.map((r) => r.p50)),
      p99: median(runs.map((r) => r.p99)),
      errors: runs.reduce((sum, r) => sum + r.errors, 0),
    },
    spread: [Math.min(...runs.map((r) => r.rps)), Math.max(...runs.map((r) => r.rps))],
  };
}
