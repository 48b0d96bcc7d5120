/**
 * The run's results on disk: result.json (options, summary figures, the per-second timeline)
 * and report.html, self-contained (inline SVG charts, inline CSS, no scripts).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Sample } from './monitor';
import { escapeXml, lineChart, type Series } from './svg-chart';

/** What a run produced. */
export interface RunResult {
  scenario: string;
  startedAt: string;
  target: { kind: string; roomUrl: string; apiUrl: string; serverPid: number | null; driver: string };
  options: Record<string, unknown>;
  /** The scenario's figures, plus the run's totals. */
  summary: Record<string, unknown>;
  timeline: Sample[];
}

const mib = (b: number | null): number | null => (b === null ? null : Math.round((b / 1048576) * 10) / 10);

function series(samples: Sample[], name: string, color: string, pick: (s: Sample) => number | null): Series {
  return { name, color, points: samples.map((s) => [s.t, pick(s)]) };
}

function charts(samples: Sample[]): string[] {
  return [
    lineChart({ title: 'Connections', xLabel: 'seconds', yLabel: 'connected', series: [series(samples, 'connected', '#1f77b4', (s) => s.connected)] }),
    lineChart({
      title: 'Rates per second', xLabel: 'seconds', yLabel: 'per second',
      series: [
        series(samples, 'deliveries', '#2ca02c', (s) => s.deliveries),
        series(samples, 'pushes', '#ff7f0e', (s) => s.pushes),
        series(samples, 'connects', '#1f77b4', (s) => s.connects),
      ],
    }),
    lineChart({
      title: 'Push latency (send to arrival)', xLabel: 'seconds', yLabel: 'ms',
      series: [series(samples, 'p50', '#2ca02c', (s) => s.p50), series(samples, 'p90', '#ff7f0e', (s) => s.p90), series(samples, 'p99', '#d62728', (s) => s.p99)],
    }),
    lineChart({ title: 'Server RSS', xLabel: 'seconds', yLabel: 'MiB', series: [series(samples, 'RSS', '#9467bd', (s) => mib(s.rssBytes))] }),
    lineChart({ title: 'Server CPU', xLabel: 'seconds', yLabel: '% of one core', series: [series(samples, 'CPU', '#8c564b', (s) => s.cpuPercent)] }),
  ];
}

function table(obj: Record<string, unknown>): string {
  const rows = Object.entries(obj).map(([k, v]) => `<tr><th>${escapeXml(k)}</th><td>${escapeXml(typeof v === 'object' ? JSON.stringify(v) : String(v))}</td></tr>`);
  return `<table>${rows.join('')}</table>`;
}

export function renderHtml(r: RunResult): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Herald load test: ${escapeXml(r.scenario)} ${escapeXml(r.startedAt)}</title>
<style>body{font-family:sans-serif;margin:24px;max-width:1000px}table{border-collapse:collapse;margin:8px 0 20px}
th,td{border:1px solid #ddd;padding:3px 8px;text-align:left;font-size:13px;vertical-align:top}th{background:#f6f6f6;font-weight:normal}
td{font-family:monospace;word-break:break-all}svg{display:block;margin:12px 0}</style></head><body>
<h1>Herald load test: ${escapeXml(r.scenario)}</h1>
<p>Started ${escapeXml(r.startedAt)} against ${escapeXml(r.target.kind)} at ${escapeXml(r.target.roomUrl)} (${escapeXml(r.target.driver)}).</p>
<h2>Figures</h2>${table(r.summary)}
<h2>Charts</h2>${charts(r.timeline).join('\n')}
<h2>Options</h2>${table(r.options)}
</body></html>
`;
}

/** Writes result.json and report.html into dir; answers their paths. */
export function writeReport(dir: string, r: RunResult): { json: string; html: string } {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, 'result.json');
  const html = join(dir, 'report.html');
  writeFileSync(json, JSON.stringify(r, null, 2) + '\n');
  writeFileSync(html, renderHtml(r));
  return { json, html };
}
