/*
 * Room protocol frames (docs/protocol.md section 2; numbers from
 * actors/include/actors/protocol.h).  Every frame is binary:
 *
 *   varUint type | payload
 *
 * Types 0-3 carry y-protocols messages; 100 and up carry a msgpack map.
 */
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import { encode as mpEncode, decode as mpDecode } from '@msgpack/msgpack';

export const FRAME = {
  SYNC: 0,
  AWARENESS: 1,
  QUERY_AWARENESS: 3,
  ROOM_STATE: 100,
  CHAT: 101,
  RUN: 102,
  RUN_PROGRESS: 103,
  VERDICT: 104,
  ERROR: 105,
} as const;

export const SYNC = { STEP1: 0, STEP2: 1, UPDATE: 2 } as const;

export const CLOSE = {
  TOO_LARGE: 1009,
  UNAUTHORIZED: 4001,
  FORBIDDEN_ORIGIN: 4003,
  NO_ROOM: 4004,
  POLICY: 4008,
  SLOW_READER: 4010,
  ROOM_FULL: 4029,
} as const;

/* Close codes after which reconnecting cannot help. */
export const FATAL_CLOSE_CODES: ReadonlySet<number> = new Set([
  CLOSE.UNAUTHORIZED,
  CLOSE.FORBIDDEN_ORIGIN,
  CLOSE.NO_ROOM,
  CLOSE.ROOM_FULL,
]);

export type Role = 'editor' | 'observer';

export interface Member {
  user: string;
  name: string;
  role: Role | string;
  online: boolean;
  color?: string;
}

export interface RunState {
  state: string; // "idle" | "queued" | "running"
  by?: string;
  id?: string;
}

export interface RoomState {
  room: string;
  problem: string;
  you: string;
  members: Member[];
  run: RunState | null;
}

export interface ChatMessage {
  seq: number;
  user: string;
  name: string;
  text: string;
  ts: number;
}

export interface RunProgress {
  id: string;
  by: string;
  state: 'queued' | 'running' | string;
  done: number;
  total: number;
}

export interface Verdict {
  id: string;
  by: string;
  result: JudgeResult;
}

export interface ServerError {
  code: string;
  message: string;
}

/* The judge's result object (sandbox/src/result.c, docs/judge-contract.md). */
export interface JudgeDetail {
  name: string | null;
  hidden: boolean;
  ok: boolean;
  status: string;
  time_ms: number;
  mem_kb: number;
  message: string | null;
  stdout: string | null;
  stderr: string | null;
  input?: unknown;
  expected?: unknown;
  actual?: unknown;
  counterexample?: Counterexample | null;
}

export interface Counterexample {
  n: number;
  input: unknown;
  expected: unknown;
  actual: unknown;
  message: string | null;
}

export interface ComplexityProbe {
  n: number[];
  ms: number[];
  slope: number | null;
  class: string;
  reference_class?: string;
  message?: string | null;
}

export interface JudgeResult {
  status: string;
  passed: number;
  total: number;
  time_ms: number;
  message?: string | null;
  sandbox?: string;
  details: JudgeDetail[];
  counterexample: Counterexample | null;
  complexity_probe: ComplexityProbe | null;
}

export class FrameError extends Error {}

/* Caps mirror the server's: nothing the client builds may be bigger. */
export const MAX_FRAME_BYTES = 1 << 20;

/* A frame split into its type and the bytes after the type. */
export interface RawFrame {
  type: number;
  payload: Uint8Array;
}

export function decodeFrame(data: Uint8Array): RawFrame {
  if (data.length === 0) throw new FrameError('empty frame');
  const d = decoding.createDecoder(data);
  let type: number;
  try {
    type = decoding.readVarUint(d);
  } catch {
    throw new FrameError('truncated frame type');
  }
  return { type, payload: data.subarray(d.pos) };
}

export function encodeFrame(type: number, payload: Uint8Array): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, type);
  encoding.writeUint8Array(e, payload);
  return encoding.toUint8Array(e);
}

/* y-protocols sync frames: type SYNC, varUint subtype, varUint8Array. */
export function encodeSync(subtype: number, bytes: Uint8Array): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, FRAME.SYNC);
  encoding.writeVarUint(e, subtype);
  encoding.writeVarUint8Array(e, bytes);
  return encoding.toUint8Array(e);
}

export function decodeSync(payload: Uint8Array): { subtype: number; bytes: Uint8Array } {
  const d = decoding.createDecoder(payload);
  try {
    const subtype = decoding.readVarUint(d);
    const bytes = decoding.readVarUint8Array(d);
    if (subtype > SYNC.UPDATE) throw new FrameError(`unknown sync subtype ${subtype}`);
    return { subtype, bytes };
  } catch (e) {
    if (e instanceof FrameError) throw e;
    throw new FrameError('malformed sync message');
  }
}

export function encodeAwarenessFrame(update: Uint8Array): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, FRAME.AWARENESS);
  encoding.writeVarUint8Array(e, update);
  return encoding.toUint8Array(e);
}

export function decodeAwarenessFrame(payload: Uint8Array): Uint8Array {
  try {
    return decoding.readVarUint8Array(decoding.createDecoder(payload));
  } catch {
    throw new FrameError('malformed awareness message');
  }
}

export function encodeQueryAwareness(): Uint8Array {
  return encodeFrame(FRAME.QUERY_AWARENESS, new Uint8Array(0));
}

/* App frames: type >= 100 followed by one msgpack map. */
export function encodeApp(type: number, body: Record<string, unknown>): Uint8Array {
  return encodeFrame(type, mpEncode(body));
}

export function decodeAppBody(payload: Uint8Array): Record<string, unknown> {
  let v: unknown;
  try {
    v = mpDecode(payload);
  } catch {
    throw new FrameError('app payload is not msgpack');
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof Uint8Array) {
    throw new FrameError('app payload is not a map');
  }
  return v as Record<string, unknown>;
}

const str = (v: unknown, dflt = ''): string => (typeof v === 'string' ? v : v == null ? dflt : String(v));
const num = (v: unknown, dflt = 0): number =>
  typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : dflt;

/* Timestamps in seconds are taken as such; the protocol's are milliseconds. */
export function toMs(ts: number): number {
  return ts > 0 && ts < 1e11 ? ts * 1000 : ts;
}

export function toMember(v: unknown): Member {
  const m = (v ?? {}) as Record<string, unknown>;
  return {
    user: str(m.user),
    name: str(m.name, str(m.user)),
    role: str(m.role, 'editor'),
    online: m.online === true,
    color: typeof m.color === 'string' ? m.color : undefined,
  };
}

export function toRoomState(b: Record<string, unknown>): RoomState {
  const run = b.run as Record<string, unknown> | null | undefined;
  return {
    room: str(b.room),
    problem: str(b.problem),
    you: str(b.you),
    members: Array.isArray(b.members) ? b.members.map(toMember) : [],
    run: run && typeof run === 'object' ? { state: str(run.state, 'idle'), by: str(run.by), id: str(run.id) } : null,
  };
}

export function toChat(b: Record<string, unknown>): ChatMessage {
  return { seq: num(b.seq), user: str(b.user), name: str(b.name, str(b.user)), text: str(b.text), ts: toMs(num(b.ts, Date.now())) };
}

export function toProgress(b: Record<string, unknown>): RunProgress {
  return { id: str(b.id), by: str(b.by), state: str(b.state, 'queued'), done: num(b.done), total: num(b.total) };
}

/* The result may arrive as a map or as the judge's JSON text. */
export function toJudgeResult(v: unknown): JudgeResult {
  let r = v;
  if (typeof r === 'string') {
    try {
      r = JSON.parse(r);
    } catch {
      r = { status: 'INTERNAL_ERROR', message: 'the verdict could not be read' };
    }
  }
  const o = (r ?? {}) as Record<string, unknown>;
  const details = Array.isArray(o.details) ? (o.details as JudgeDetail[]) : [];
  return {
    status: str(o.status, 'INTERNAL_ERROR'),
    passed: num(o.passed),
    total: num(o.total, details.length),
    time_ms: num(o.time_ms),
    message: typeof o.message === 'string' ? o.message : null,
    sandbox: typeof o.sandbox === 'string' ? o.sandbox : undefined,
    details,
    counterexample: (o.counterexample as Counterexample | null) ?? null,
    complexity_probe: (o.complexity_probe as ComplexityProbe | null) ?? null,
  };
}

export function toVerdict(b: Record<string, unknown>): Verdict {
  return { id: str(b.id), by: str(b.by), result: toJudgeResult(b.result) };
}

export function toError(b: Record<string, unknown>): ServerError {
  return { code: str(b.code, 'ERROR'), message: str(b.message) };
}
