/* A small line diff (LCS) for expected against actual output. */

export interface DiffLine {
  op: 'same' | 'del' | 'add';
  text: string;
}

export const DIFF_MAX_LINES = 400;

export function lineDiff(expected: string, actual: string): DiffLine[] {
  const a = expected.split('\n').slice(0, DIFF_MAX_LINES);
  const b = actual.split('\n').slice(0, DIFF_MAX_LINES);
  const n = a.length;
  const m = b.length;
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) {
      out.push({ op: 'same', text: a[i] });
      i++;
      j++;
    } else if (lcs[i + 1][j] >= lcs[i][j + 1]) {
      out.push({ op: 'del', text: a[i++] });
    } else {
      out.push({ op: 'add', text: b[j++] });
    }
  }
  while (i < n) out.push({ op: 'del', text: a[i++] });
  while (j < m) out.push({ op: 'add', text: b[j++] });
  return out;
}

/* JSON values shown one element per line when they are long, so diffs line up. */
export function showValue(v: unknown): string {
  if (v === undefined) return '';
  if (typeof v === 'string') return v;
  const flat = JSON.stringify(v);
  if (flat === undefined) return String(v);
  if (flat.length <= 60) return flat;
  return JSON.stringify(v, null, 1);
}
