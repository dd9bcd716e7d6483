/* Complexity classes as growth functions, for the log-log chart. */

export function growth(cls: string, n: number): number | null {
  const l = Math.log2(Math.max(2, n));
  switch (cls.replace(/\s+/g, ' ').trim()) {
    case 'O(1)':
      return 1;
    case 'O(log n)':
      return l;
    case 'O(n)':
      return n;
    case 'O(n log n)':
      return n * l;
    case 'O(n^2)':
      return n * n;
    case 'O(n^3)':
      return n * n * n;
    case 'O(2^n)':
      return n > 1000 ? Number.MAX_VALUE : 2 ** n;
    default:
      return null;
  }
}

/* Least-squares fit of log(ms) = slope * log(n) + b; slope given or fitted. */
export function fitLogLog(ns: number[], ms: number[], slope?: number | null): { slope: number; b: number } | null {
  const pts = ns.map((n, i) => [n, ms[i]]).filter(([n, t]) => n > 0 && t > 0);
  if (pts.length < 2) return null;
  const xs = pts.map(([n]) => Math.log(n));
  const ys = pts.map(([, t]) => Math.log(t));
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let s = slope ?? NaN;
  if (!Number.isFinite(s)) {
    let num = 0;
    let den = 0;
    for (let i = 0; i < xs.length; i++) {
      num += (xs[i] - mx) * (ys[i] - my);
      den += (xs[i] - mx) ** 2;
    }
    s = den > 0 ? num / den : 0;
  }
  return { slope: s, b: my - s * mx };
}
