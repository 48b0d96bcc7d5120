/**
 * Line charts as inline SVG strings, drawn here so the HTML report needs no script or CDN.
 */

/** One line: points are [x, y]; a null y leaves a gap. */
export interface Series {
  name: string;
  color: string;
  points: [number, number | null][];
}

export interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Format of y tick labels (default: compact number). */
  format?: (y: number) => string;
}

const W = 720;
const H = 260;
const M = { left: 64, right: 16, top: 28, bottom: 40 };

export function escapeXml(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** 1234 -> "1.2k", 2500000 -> "2.5M". */
export function compact(y: number): string {
  const a = Math.abs(y);
  if (a >= 1e6) return `${+(y / 1e6).toFixed(1)}M`;
  if (a >= 1e3) return `${+(y / 1e3).toFixed(1)}k`;
  return `${+y.toFixed(a < 10 ? 2 : 0)}`;
}

/** A "nice" step (1, 2 or 5 x 10^k) giving about `n` ticks over `span`. */
function niceStep(span: number, n: number): number {
  const raw = span / n;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

function extent(series: Series[]): { xMax: number; yMax: number } {
  let xMax = 1;
  let yMax = 0;
  for (const s of series) {
    for (const [x, y] of s.points) {
      if (x > xMax) xMax = x;
      if (y !== null && y > yMax) yMax = y;
    }
  }
  return { xMax, yMax: yMax > 0 ? yMax * 1.08 : 1 };
}

function axes(spec: ChartSpec, xMax: number, yMax: number, sx: (x: number) => number, sy: (y: number) => number): string[] {
  const fmt = spec.format ?? compact;
  const out: string[] = [];
  const yStep = niceStep(yMax, 5);
  for (let y = 0, i = 0; y <= yMax && i < 20; y += yStep, i++) {
    out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${sy(y)}" y2="${sy(y)}" stroke="#e3e3e3"/>`);
    out.push(`<text x="${M.left - 6}" y="${sy(y) + 4}" text-anchor="end" font-size="11">${escapeXml(fmt(y))}</text>`);
  }
  const xStep = niceStep(xMax, 8);
  for (let x = 0, i = 0; x <= xMax && i < 30; x += xStep, i++) {
    out.push(`<text x="${sx(x)}" y="${H - M.bottom + 16}" text-anchor="middle" font-size="11">${escapeXml(compact(x))}</text>`);
  }
  out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${sy(0)}" y2="${sy(0)}" stroke="#888"/>`);
  out.push(`<text x="${(M.left + W - M.right) / 2}" y="${H - 6}" text-anchor="middle" font-size="11">${escapeXml(spec.xLabel)}</text>`);
  out.push(`<text x="14" y="${(M.top + H - M.bottom) / 2}" text-anchor="middle" font-size="11" transform="rotate(-90 14 ${(M.top + H - M.bottom) / 2})">${escapeXml(spec.yLabel)}</text>`);
  return out;
}

/**
 * Polyline path of a series, broken at null values, with a dot on every point so a value with
 * gaps on both sides (a burst of deliveries within one second) still shows.
 */
function path(s: Series, sx: (x: number) => number, sy: (y: number) => number): string {
  let d = '';
  let dots = '';
  let pen = false;
  for (const [x, y] of s.points) {
    if (y === null) {
      pen = false;
      continue;
    }
    const px = sx(x).toFixed(1);
    const py = sy(y).toFixed(1);
    d += `${pen ? 'L' : 'M'}${px},${py}`;
    dots += `<circle cx="${px}" cy="${py}" r="2.5" fill="${s.color}"/>`;
    pen = true;
  }
  return d === '' ? '' : `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.8"/>${dots}`;
}

/** Draws one chart; with no data at all it says so instead of drawing empty axes. */
export function lineChart(spec: ChartSpec): string {
  const { xMax, yMax } = extent(spec.series);
  const sx = (x: number): number => M.left + (x / xMax) * (W - M.left - M.right);
  const sy = (y: number): number => H - M.bottom - (y / yMax) * (H - M.top - M.bottom);
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" font-family="sans-serif">`];
  parts.push(`<text x="${M.left}" y="18" font-size="13" font-weight="bold">${escapeXml(spec.title)}</text>`);
  const hasData = spec.series.some((s) => s.points.some(([, y]) => y !== null));
  if (!hasData) {
    parts.push(`<text x="${W / 2}" y="${H / 2}" text-anchor="middle" font-size="12" fill="#888">no data</text></svg>`);
    return parts.join('');
  }
  parts.push(...axes(spec, xMax, yMax, sx, sy));
  spec.series.forEach((s, i) => {
    parts.push(path(s, sx, sy));
    const lx = W - M.right - 110 * (spec.series.length - i);
    parts.push(`<rect x="${lx}" y="8" width="10" height="10" fill="${s.color}"/><text x="${lx + 14}" y="17" font-size="11">${escapeXml(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('');
}
