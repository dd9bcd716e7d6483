import type { ComplexityProbe } from '../lib/frames';
import { fitLogLog, growth } from '../lib/complexity';

const W = 360;
const H = 220;
const PAD = { l: 48, r: 12, t: 12, b: 34 };

function ticks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) out.push(10 ** e);
  return out;
}

function fmt(v: number): string {
  if (v >= 1e6) return `${v / 1e6}M`;
  if (v >= 1e3) return `${v / 1e3}k`;
  return String(v);
}

export function ComplexityChart({ probe, reference }: { probe: ComplexityProbe; reference?: string }) {
  const pts = probe.n.map((n, i) => ({ n, ms: probe.ms[i] })).filter((p) => p.n > 0 && p.ms > 0);
  const refClass = probe.reference_class || reference || '';
  if (pts.length < 2) {
    return (
      <p className="muted">
        Fitted class: <strong>{probe.class}</strong>
        {refClass && <> · reference: {refClass}</>} (too few points to draw).
      </p>
    );
  }
  const nLo = Math.min(...pts.map((p) => p.n));
  const nHi = Math.max(...pts.map((p) => p.n));
  const fit = fitLogLog(probe.n, probe.ms, probe.slope);
  // Reference curve anchored at the smallest measured point.
  const first = pts.reduce((a, b) => (a.n <= b.n ? a : b));
  const g0 = refClass ? growth(refClass, first.n) : null;
  const refPts: { n: number; ms: number }[] = [];
  if (g0) {
    for (let k = 0; k <= 20; k++) {
      const n = nLo * (nHi / nLo) ** (k / 20);
      const g = growth(refClass, n);
      if (g && Number.isFinite(g)) refPts.push({ n, ms: (first.ms * g) / g0 });
    }
  }
  const fitPts = fit ? [nLo, nHi].map((n) => ({ n, ms: Math.exp(fit.slope * Math.log(n) + fit.b) })) : [];
  const all = [...pts, ...fitPts];
  let tLo = Math.min(...all.map((p) => p.ms));
  let tHi = Math.max(...all.map((p) => p.ms));
  // The reference may run off the chart; keep it within 100x of the data.
  tHi = Math.max(tHi, Math.min(tHi * 100, Math.max(...refPts.map((p) => p.ms), tHi)));
  tLo = Math.min(tLo, Math.max(tLo / 100, Math.min(...refPts.map((p) => p.ms), tLo)));
  if (tHi / tLo < 10) {
    tHi *= 3;
    tLo /= 3;
  }
  const lx = (n: number) => PAD.l + ((Math.log(n) - Math.log(nLo)) / (Math.log(nHi) - Math.log(nLo) || 1)) * (W - PAD.l - PAD.r);
  const ly = (t: number) => H - PAD.b - ((Math.log(t) - Math.log(tLo)) / (Math.log(tHi) - Math.log(tLo) || 1)) * (H - PAD.t - PAD.b);
  const clampY = (y: number) => Math.max(PAD.t, Math.min(H - PAD.b, y));
  const line = (ps: { n: number; ms: number }[]) => ps.map((p) => `${lx(p.n).toFixed(1)},${clampY(ly(p.ms)).toFixed(1)}`).join(' ');
  const xt = ticks(nLo, nHi).filter((t) => t >= nLo / 1.01 && t <= nHi * 1.01);
  const yt = ticks(tLo, tHi).filter((t) => t >= tLo && t <= tHi);
  const summary = `Fitted ${probe.class}${probe.slope != null ? ` (slope ${probe.slope.toFixed(2)})` : ''}${refClass ? `, reference ${refClass}` : ''}`;
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`Running time against input size, log-log. ${summary}.`}>
        <rect x={PAD.l} y={PAD.t} width={W - PAD.l - PAD.r} height={H - PAD.t - PAD.b} className="chart-bg" />
        {xt.map((t) => (
          <g key={`x${t}`}>
            <line x1={lx(t)} x2={lx(t)} y1={PAD.t} y2={H - PAD.b} className="grid" />
            <text x={lx(t)} y={H - PAD.b + 14} textAnchor="middle" className="axis">
              {fmt(t)}
            </text>
          </g>
        ))}
        {yt.map((t) => (
          <g key={`y${t}`}>
            <line x1={PAD.l} x2={W - PAD.r} y1={ly(t)} y2={ly(t)} className="grid" />
            <text x={PAD.l - 4} y={ly(t) + 4} textAnchor="end" className="axis">
              {t < 1 ? t : fmt(t)}
            </text>
          </g>
        ))}
        <text x={(W + PAD.l) / 2} y={H - 4} textAnchor="middle" className="axis">
          n
        </text>
        <text x={12} y={(H - PAD.b) / 2} textAnchor="middle" className="axis" transform={`rotate(-90 12 ${(H - PAD.b) / 2})`}>
          ms
        </text>
        {refPts.length > 1 && <polyline points={line(refPts)} className="ref-line" fill="none" />}
        {fitPts.length > 1 && <polyline points={line(fitPts)} className="fit-line" fill="none" />}
        {pts.map((p) => (
          <circle key={p.n} cx={lx(p.n)} cy={clampY(ly(p.ms))} r={3.5} className="point">
            <title>{`n = ${p.n}: ${p.ms} ms`}</title>
          </circle>
        ))}
      </svg>
      <figcaption>
        <span className="legend fit">— fitted: {probe.class}</span>
        {probe.slope != null && <span className="muted"> (slope {probe.slope.toFixed(2)})</span>}
        {refClass && <span className="legend ref"> ┄ reference: {refClass}</span>}
        {probe.message && <div className="muted small">{probe.message}</div>}
      </figcaption>
    </figure>
  );
}
