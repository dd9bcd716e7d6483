/* Stable colours per person when the server does not assign one. */
export const PALETTE = ['#d9480f', '#1971c2', '#2f9e44', '#ae3ec9', '#e8590c', '#0c8599', '#c2255c', '#5f3dc4'];

export function colorFor(key: string): string {
  let h = 0;
  for (let i = 0; i < key.length; i++) h = (h * 31 + key.charCodeAt(i)) >>> 0;
  return PALETTE[h % PALETTE.length];
}

export const STARTER_COLOR = '#868e96';

export const VERDICT_COLORS: Record<string, string> = {
  ACCEPTED: '#2f9e44',
  WRONG_ANSWER: '#e03131',
  TIMEOUT: '#f08c00',
  MEMORY_LIMIT: '#f08c00',
  OUTPUT_LIMIT: '#f08c00',
  RUNTIME_ERROR: '#c2255c',
  COMPILE_ERROR: '#c2255c',
  INTERNAL_ERROR: '#868e96',
};

export function verdictColor(status: string): string {
  return VERDICT_COLORS[status] ?? '#868e96';
}

/* Distinct colours for the people of one session: the server's when it gave
 * them, otherwise the palette in order of first appearance. */
export function assignColors(users: string[], given: Map<string, string> = new Map()): Map<string, string> {
  const out = new Map<string, string>();
  const used = new Set<string>();
  for (const [u, c] of given) {
    if (/^#[0-9a-fA-F]{3,8}$/.test(c)) {
      out.set(u, c);
      used.add(c.toLowerCase());
    }
  }
  let i = 0;
  for (const u of users) {
    if (!u || out.has(u)) continue;
    let c = PALETTE[i % PALETTE.length];
    for (let k = 0; k < PALETTE.length && used.has(c.toLowerCase()); k++) c = PALETTE[++i % PALETTE.length];
    i++;
    out.set(u, c);
    used.add(c.toLowerCase());
  }
  return out;
}
