/*
 * Replay and summary from a room's timeline (GET /api/rooms/{room}/timeline).
 *
 * Events are normalised first: the type may be a name ("yjs", "chat",
 * "presence", "run", "verdict", "awareness") or the store's number (1..6);
 * a Yjs update may be base64 text, an array of bytes, or the SYNC frame it
 * arrived in.  The document at any position is rebuilt by applying every Yjs
 * update up to it to a fresh Y.Doc (with checkpoints so scrubbing back is
 * cheap).  Each piece of text is attributed to the person whose update
 * first carried its Yjs client id.
 */
import * as Y from 'yjs';
import * as decoding from 'lib0/decoding';
import { decode as mpDecode } from '@msgpack/msgpack';
import type { RawTimelineEvent } from './api';
import { toJudgeResult, toMs, type JudgeResult } from './frames';
import { STARTER_CLIENT, TEXT_NAME } from './starter';

export type EventKind = 'yjs' | 'chat' | 'presence' | 'run' | 'verdict' | 'awareness' | 'other';

export interface TimelineEvent {
  seq: number;
  ts: number;
  kind: EventKind;
  user: string;
  /* yjs: the update; others: the decoded body */
  update?: Uint8Array;
  body?: Record<string, unknown>;
}

const KIND_BY_NUMBER: Record<number, EventKind> = {
  1: 'yjs',
  2: 'chat',
  3: 'presence',
  4: 'run',
  5: 'verdict',
  6: 'awareness',
};

const KIND_BY_NAME: Record<string, EventKind> = {
  yjs: 'yjs',
  update: 'yjs',
  sync: 'yjs',
  doc: 'yjs',
  edit: 'yjs',
  chat: 'chat',
  presence: 'presence',
  join: 'presence',
  leave: 'presence',
  run: 'run',
  verdict: 'verdict',
  awareness: 'awareness',
};

export function eventKind(type: unknown): EventKind {
  if (typeof type === 'number') return KIND_BY_NUMBER[type] ?? 'other';
  if (typeof type === 'string') {
    const n = Number(type);
    if (type !== '' && Number.isInteger(n)) return KIND_BY_NUMBER[n] ?? 'other';
    return KIND_BY_NAME[type.toLowerCase()] ?? 'other';
  }
  return 'other';
}

export function base64ToBytes(s: string): Uint8Array {
  const clean = s.replace(/-/g, '+').replace(/_/g, '/').replace(/\s+/g, '');
  const bin = atob(clean);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function bytesToBase64(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
  return btoa(s);
}

function asBytes(v: unknown): Uint8Array | null {
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'string') {
    try {
      return base64ToBytes(v);
    } catch {
      return null;
    }
  }
  if (Array.isArray(v) && v.every((x) => typeof x === 'number')) return Uint8Array.from(v as number[]);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    for (const k of ['update', 'bytes', 'data', 'payload']) {
      if (k in o) return asBytes(o[k]);
    }
  }
  return null;
}

function isYjsUpdate(b: Uint8Array): boolean {
  try {
    Y.decodeUpdate(b);
    return true;
  } catch {
    return false;
  }
}

/* A Yjs update, or the update inside a SYNC frame (0, subtype 1|2, bytes). */
export function extractUpdate(b: Uint8Array): Uint8Array | null {
  if (b.length >= 3 && b[0] === 0 && (b[1] === 1 || b[1] === 2)) {
    try {
      const d = decoding.createDecoder(b);
      decoding.readVarUint(d);
      decoding.readVarUint(d);
      const inner = decoding.readVarUint8Array(d);
      if (d.pos === b.length && isYjsUpdate(inner)) return inner;
    } catch {
      /* not a frame */
    }
  }
  return isYjsUpdate(b) ? b : null;
}

function asBody(v: unknown): Record<string, unknown> {
  if (v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array)) {
    return v as Record<string, unknown>;
  }
  if (typeof v === 'string') {
    try {
      const j = JSON.parse(v);
      if (j && typeof j === 'object') return j as Record<string, unknown>;
    } catch {
      /* maybe base64 msgpack */
    }
    const b = asBytes(v);
    if (b) {
      try {
        const m = mpDecode(b);
        if (m && typeof m === 'object' && !Array.isArray(m)) return m as Record<string, unknown>;
      } catch {
        /* not msgpack either */
      }
    }
    return { text: v };
  }
  return {};
}

export function normalizeEvents(raw: RawTimelineEvent[]): TimelineEvent[] {
  const out: TimelineEvent[] = [];
  for (const r of raw) {
    if (!r || typeof r !== 'object') continue;
    const kind = eventKind(r.type);
    const ev: TimelineEvent = {
      seq: Number(r.seq) || 0,
      ts: toMs(Number(r.ts) || 0),
      kind,
      user: typeof r.user === 'string' ? r.user : '',
    };
    if (kind === 'yjs') {
      const b = asBytes(r.data);
      const u = b ? extractUpdate(b) : null;
      if (!u) continue;
      ev.update = u;
    } else {
      ev.body = asBody(r.data);
      if (!ev.user && typeof ev.body.user === 'string') ev.user = ev.body.user;
      if (!ev.user && typeof ev.body.by === 'string') ev.user = ev.body.by;
    }
    out.push(ev);
  }
  out.sort((a, b) => a.seq - b.seq);
  return out;
}

/* Which person's update first carried each Yjs client id. */
export function clientOwners(events: TimelineEvent[]): Map<number, string> {
  const owners = new Map<number, string>();
  owners.set(STARTER_CLIENT, '');
  for (const ev of events) {
    if (ev.kind !== 'yjs' || !ev.update) continue;
    const { structs } = Y.decodeUpdate(ev.update);
    for (const s of structs) {
      if (!owners.has(s.id.client)) owners.set(s.id.client, ev.user);
    }
  }
  return owners;
}

export interface Segment {
  text: string;
  client: number;
  user: string; // '' for the starter code
}

/* The visible text of doc split into runs written by one Yjs client. */
export function attributedSegments(doc: Y.Doc, owners: Map<number, string>): Segment[] {
  const segs: Segment[] = [];
  const ytext = doc.getText(TEXT_NAME);
  let item = ytext._start;
  while (item !== null) {
    if (!item.deleted && item.countable) {
      const content = item.content as unknown as { str?: string };
      const text = typeof content.str === 'string' ? content.str : '';
      if (text) {
        const client = item.id.client;
        const last = segs[segs.length - 1];
        if (last && last.client === client) last.text += text;
        else segs.push({ text, client, user: owners.get(client) ?? '' });
      }
    }
    item = item.right as typeof item;
  }
  return segs;
}

/* Rebuilds the document at any event index. */
export class Replay {
  readonly events: TimelineEvent[];
  readonly owners: Map<number, string>;
  private doc: Y.Doc;
  private pos = 0; // events applied: [0, pos)
  private checkpoints = new Map<number, Uint8Array>();
  private readonly every: number;

  constructor(events: TimelineEvent[], checkpointEvery = 200) {
    this.events = events;
    this.owners = clientOwners(events);
    this.doc = new Y.Doc();
    this.every = Math.max(1, checkpointEvery);
  }

  get position(): number {
    return this.pos;
  }

  /* The document after the first n events. */
  seek(n: number): Y.Doc {
    const target = Math.max(0, Math.min(n, this.events.length));
    if (target < this.pos) {
      let start = 0;
      for (const k of this.checkpoints.keys()) if (k <= target && k > start) start = k;
      this.doc.destroy();
      this.doc = new Y.Doc();
      const cp = this.checkpoints.get(start);
      if (cp) Y.applyUpdate(this.doc, cp);
      this.pos = start;
    }
    while (this.pos < target) {
      const ev = this.events[this.pos];
      if (ev.kind === 'yjs' && ev.update) {
        try {
          Y.applyUpdate(this.doc, ev.update);
        } catch {
          /* a damaged update is skipped */
        }
      }
      this.pos++;
      if (this.pos % this.every === 0 && !this.checkpoints.has(this.pos)) {
        this.checkpoints.set(this.pos, Y.encodeStateAsUpdate(this.doc));
      }
    }
    return this.doc;
  }

  textAt(n: number): string {
    return this.seek(n).getText(TEXT_NAME).toString();
  }

  segmentsAt(n: number): Segment[] {
    return attributedSegments(this.seek(n), this.owners);
  }

  /* Index just after the last event at or before time ts. */
  indexAtTime(ts: number): number {
    let lo = 0;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.events[mid].ts <= ts) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

export interface RunMarker {
  index: number;
  ts: number;
  kind: 'run' | 'verdict' | 'chat';
  user: string;
  status?: string;
  result?: JudgeResult;
  text?: string;
  id?: string;
}

export function markers(events: TimelineEvent[]): RunMarker[] {
  const out: RunMarker[] = [];
  events.forEach((ev, i) => {
    const b = ev.body ?? {};
    if (ev.kind === 'verdict') {
      const result = toJudgeResult(b.result ?? b);
      out.push({ index: i + 1, ts: ev.ts, kind: 'verdict', user: ev.user, status: result.status, result, id: String(b.id ?? '') });
    } else if (ev.kind === 'run') {
      out.push({ index: i + 1, ts: ev.ts, kind: 'run', user: ev.user, id: String(b.id ?? b.run ?? '') });
    } else if (ev.kind === 'chat') {
      out.push({ index: i + 1, ts: ev.ts, kind: 'chat', user: ev.user, text: typeof b.text === 'string' ? b.text : '' });
    }
  });
  return out;
}

export interface PersonSummary {
  user: string;
  inserted: number;
  deleted: number;
  finalChars: number;
  share: number;
  runs: number;
  chats: number;
  /* Timestamps of this person's edits, for the typing timeline. */
  edits: number[];
}

export interface Summary {
  people: PersonSummary[];
  starterChars: number;
  totalChars: number;
  start: number;
  end: number;
}

/* The collaboration summary, computed from the timeline alone. */
export function summarize(events: TimelineEvent[]): Summary {
  const owners = clientOwners(events);
  const people = new Map<string, PersonSummary>();
  const person = (u: string): PersonSummary => {
    let p = people.get(u);
    if (!p) {
      p = { user: u, inserted: 0, deleted: 0, finalChars: 0, share: 0, runs: 0, chats: 0, edits: [] };
      people.set(u, p);
    }
    return p;
  };
  const doc = new Y.Doc();
  const ytext = doc.getText(TEXT_NAME);
  let current: TimelineEvent | null = null;
  ytext.observe((e) => {
    if (!current) return;
    let ins = 0;
    let del = 0;
    for (const d of e.delta) {
      if (typeof d.insert === 'string') ins += d.insert.length;
      if (typeof d.delete === 'number') del += d.delete;
    }
    /* The starter code (client 0) is nobody's typing. */
    const onlyStarter = Y.decodeUpdate(current.update!).structs.every((s) => s.id.client === STARTER_CLIENT);
    if (onlyStarter && del === 0) return;
    const p = person(current.user);
    p.inserted += ins;
    p.deleted += del;
    if (ins + del > 0) p.edits.push(current.ts);
  });
  for (const ev of events) {
    if (ev.kind === 'yjs' && ev.update) {
      current = ev;
      try {
        Y.applyUpdate(doc, ev.update);
      } catch {
        /* skip */
      }
      current = null;
    } else if (ev.kind === 'run') {
      person(ev.user).runs++;
    } else if (ev.kind === 'chat') {
      person(ev.user).chats++;
    }
  }
  let starterChars = 0;
  let total = 0;
  for (const s of attributedSegments(doc, owners)) {
    total += s.text.length;
    if (s.client === STARTER_CLIENT) starterChars += s.text.length;
    else person(s.user).finalChars += s.text.length;
  }
  for (const p of people.values()) p.share = total ? p.finalChars / total : 0;
  people.delete('');
  return {
    people: [...people.values()].sort((a, b) => a.user.localeCompare(b.user)),
    starterChars,
    totalChars: total,
    start: events.length ? events[0].ts : 0,
    end: events.length ? events[events.length - 1].ts : 0,
  };
}

/* Display names by user id, from the room's members and the events' bodies. */
export function userNames(events: TimelineEvent[], members: unknown[] = []): Map<string, string> {
  const names = new Map<string, string>();
  for (const m of members) {
    const o = (m ?? {}) as Record<string, unknown>;
    if (typeof o.user === 'string' && typeof o.name === 'string') names.set(o.user, o.name);
  }
  for (const ev of events) {
    const n = ev.body?.name;
    if (ev.user && typeof n === 'string' && !names.has(ev.user)) names.set(ev.user, n);
  }
  return names;
}

/* Virtual playback time: gaps longer than maxGap ms are shortened to it. */
export function playbackTimes(events: TimelineEvent[], maxGap = 2000): number[] {
  const vt: number[] = [];
  let t = 0;
  events.forEach((ev, i) => {
    if (i > 0) t += Math.max(0, Math.min(ev.ts - events[i - 1].ts, maxGap));
    vt.push(t);
  });
  return vt;
}
