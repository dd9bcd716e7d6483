/* The REST API (docs/protocol.md section 3). */

export interface ProblemInfo {
  slug: string;
  title: string;
  difficulty: string;
  tags: string[];
  style?: string;
}

export interface Sample {
  name: string;
  input: unknown;
  expected: unknown;
}

export interface ProblemDetail extends ProblemInfo {
  statement: string;
  starter: string;
  samples: Sample[];
  limits?: { time_ms?: number; mem_mb?: number };
  complexity?: { class?: string } | string | null;
}

export interface RoomCreated {
  room: string;
  invite: string;
  token: string;
  user: string;
  role: string;
}

export interface RoomJoined {
  room: string;
  token: string;
  user: string;
  role: string;
}

export interface RoomInfo {
  room: string;
  problem: string;
  created?: number | string;
  members?: unknown[];
}

export interface RawTimelineEvent {
  seq: number;
  ts: number;
  type: string | number;
  user?: string | null;
  data?: unknown;
}

export interface TimelinePage {
  events: RawTimelineEvent[];
  next: number | null;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let base = '';
/* Tests and the dev server may point the client elsewhere. */
export function setApiBase(b: string): void {
  base = b.replace(/\/$/, '');
}

async function call<T>(method: string, path: string, body?: unknown, token?: string): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  let res: Response;
  try {
    res = await fetch(base + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'NETWORK', 'The server cannot be reached. Check your connection and try again.');
  }
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!res.ok) {
    const e = (json ?? {}) as { error?: string; message?: string };
    throw new ApiError(res.status, e.error ?? `HTTP_${res.status}`, e.message ?? `The server answered ${res.status}.`);
  }
  return json as T;
}

export const api = {
  guest: (name: string) => call<{ token: string; user: string; name: string }>('POST', '/api/auth/guest', { name }),
  problems: () => call<ProblemInfo[]>('GET', '/api/problems'),
  problem: (slug: string) => call<ProblemDetail>('GET', `/api/problems/${encodeURIComponent(slug)}`),
  createRoom: (problem: string, name: string) => call<RoomCreated>('POST', '/api/rooms', { problem, name }),
  room: (room: string, token?: string) => call<RoomInfo>('GET', `/api/rooms/${encodeURIComponent(room)}`, undefined, token),
  join: (room: string, invite: string, name: string, role?: string) =>
    call<RoomJoined>('POST', `/api/rooms/${encodeURIComponent(room)}/join`, role ? { invite, name, role } : { invite, name }),
  timeline: (room: string, from: number, limit: number, token?: string) =>
    call<TimelinePage>(
      'GET',
      `/api/rooms/${encodeURIComponent(room)}/timeline?from=${from}&limit=${limit}`,
      undefined,
      token,
    ),
  summary: (room: string, token?: string) => call<unknown>('GET', `/api/rooms/${encodeURIComponent(room)}/summary`, undefined, token),
  submission: (id: string, token?: string) => call<unknown>('GET', `/api/submissions/${encodeURIComponent(id)}`, undefined, token),
};

/* Every event of a room, page by page (bounded so a runaway server cannot hang the page). */
export async function fetchTimeline(
  room: string,
  token?: string,
  onProgress?: (n: number) => void,
  pageSize = 1000,
  maxEvents = 2_000_000,
): Promise<RawTimelineEvent[]> {
  const all: RawTimelineEvent[] = [];
  let from = 1;
  for (;;) {
    const page = await api.timeline(room, from, pageSize, token);
    const evs = Array.isArray(page?.events) ? page.events : [];
    all.push(...evs);
    onProgress?.(all.length);
    const next = page?.next;
    if (next == null || evs.length === 0 || all.length >= maxEvents || next <= from) break;
    from = next;
  }
  return all;
}

export function wsUrl(room: string, token: string): string {
  const loc = typeof location !== 'undefined' ? location : { protocol: 'http:', host: '127.0.0.1:8080' };
  const proto = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  const origin = base ? base.replace(/^http/, 'ws') : `${proto}//${loc.host}`;
  return `${origin}/ws/rooms/${encodeURIComponent(room)}?token=${encodeURIComponent(token)}`;
}
