// What every benchmark prints: one row per goal (Gatehouse, its baseline from the same run, the
// ratio and whether the goal is met), as a table and as JSON under bench/results/.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './processes.ts';
import type { BenchBackend } from './backends.ts';

export interface Goal {
  /** `min`: the ratio must be at least `ratio`; `max`: at most. */
  kind: 'min' | 'max';
  ratio: number;
}

export interface ResultRow {
  scenario: string;
  /** What was compared, e.g. "req/s" or "p99 ms". */
  metric: string;
  gatehouse: number;
  baseline: number;
  baselineLabel: string;
  goal: Goal;
  /** Another condition of the goal (e.g. a stall limit), already judged. */
  extraCheck?: { label: string; met: boolean };
  /** Per-round values of the counted (not void) rounds, paired by index. */
  samples?: { gatehouse: number[]; baseline: number[] };
  /** Rounds left out of the medians and ranges because the load driver saturated a core. */
  voidRounds?: number;
  /** The highest load-driver CPU share (of one core) among the counted rounds' runs. */
  driverCpuMax?: number;
}

export function ratioOf(row: ResultRow): number {
  return row.gatehouse / row.baseline;
}

/**
 * The lowest and highest ratio of a single round (each Gatehouse run against the baseline run of
 * the same round), or null without paired samples: how far the machine's noise moves the ratio.
 */
export function roundRatioRange(row: ResultRow): [number, number] | null {
  const { gatehouse = [], baseline = [] } = row.samples ?? {};
  if (gatehouse.length < 2 || gatehouse.length !== baseline.length) return null;
  const ratios = gatehouse.map((value, i) => value / baseline[i]!).filter((ratio) => Number.isFinite(ratio));
  return ratios.length < 2 ? null : [Math.min(...ratios), Math.max(...ratios)];
}

export function goalMet(row: ResultRow): boolean {
  const ratio = ratioOf(row);
  if (!Number.isFinite(ratio)) return false;
  const ratioMet = row.goal.kind === 'min' ? ratio >= row.goal.ratio : ratio <= row.goal.ratio;
  return ratioMet && (row.extraCheck?.met ?? true);
}

export function median(values: number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function fmt(n: number): string {
  if (!Number.isFinite(n)) return '-';
  if (Math.abs(n) >= 100) return n.toFixed(0);
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

export function machineDescription(): string {
  return `${cpus().length} × ${cpus()[0]?.model?.trim() ?? '?'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${process.platform}`;
}

function roundsCell(row: ResultRow, range: [number, number] | null): string {
  const counted = row.samples?.gatehouse.length ?? 0;
  const span = range ? `${range[0].toFixed(2)}–${range[1].toFixed(2)}×` : counted === 1 ? `${ratioOf(row).toFixed(2)}×` : '-';
  if (!row.voidRounds) return range ? `${span} (${counted})` : span;
  return `${span} (${counted}; ${row.voidRounds} void)`;
}

/** The table as Markdown (printed, and pasted into the README's Performance section). */
export function formatTable(rows: ResultRow[]): string {
  const header = ['scenario', 'metric', 'Gatehouse', 'baseline (same run)', 'baseline', 'ratio', 'rounds', 'driver CPU', 'goal', 'met'];
  const lines = rows.map((row) => {
    const ratio = ratioOf(row);
    const range = roundRatioRange(row);
    const goal = `${row.goal.kind === 'min' ? '≥' : '≤'} ${row.goal.ratio}×${row.extraCheck ? `, ${row.extraCheck.label}` : ''}`;
    return [
      row.scenario,
      row.metric,
      fmt(row.gatehouse),
      row.baselineLabel,
      fmt(row.baseline),
      Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : '-',
      roundsCell(row, range),
      row.driverCpuMax === undefined ? '-' : `≤ ${Math.round(row.driverCpuMax * 100)}%`,
      goal,
      goalMet(row) ? 'yes' : '**no**',
    ];
  });
  const all = [header, ...lines];
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const render = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [render(header), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...lines.map(render)].join('\n');
}

/** Writes bench/results/<name>-<time>.json and returns its path. */
export function writeResults(name: string, content: Record<string, unknown>): string {
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    file,
    `${JSON.stringify({ benchmark: name, date: new Date().toISOString(), machine: machineDescription(), ...content }, null, 2)}\n`,
  );
  return file;
}

/** How long and how often each scenario runs (`--quick` shortens everything for a smoke run). */
export interface RunOptions {
  /** The database the benchmarked Gatehouse runs on (`--backend`). */
  backend: BenchBackend;
  rounds: number;
  durationSeconds: number;
  warmupSeconds: number;
  quick: boolean;
  /** `--viewer-only`: the requests scenario measures only the session `viewer` and its baseline. */
  viewerOnly: boolean;
  log(line: string): void;
}
