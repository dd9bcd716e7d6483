/*
 * An in-memory room server speaking docs/protocol.md section 2, and fake
 * WebSocket pairs to reach it.  Only what the client relies on: the sync
 * handshake, relaying updates and awareness, observers refused with
 * READ_ONLY, chat, and closing connections.
 */
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import { encode as mpEncode, decode as mpDecode } from '@msgpack/msgpack';
import type { SocketLike } from '../src/lib/provider';

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 3;

export class FakeSocket implements SocketLike {
  binaryType = 'blob';
  readyState = CONNECTING;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  /* Frames the client sent, in order (decoded type only). */
  sentTypes: number[] = [];
  peer: ServerConn | null = null;

  constructor(readonly url: string) {}

  send(data: Uint8Array): void {
    if (this.readyState !== OPEN) throw new Error('not open');
    const copy = new Uint8Array(data);
    this.sentTypes.push(decoding.readVarUint(decoding.createDecoder(copy)));
    queueMicrotask(() => this.peer?.receive(copy));
  }

  close(code = 1000, reason = ''): void {
    if (this.readyState === CLOSED) return;
    this.readyState = CLOSED;
    const peer = this.peer;
    queueMicrotask(() => {
      peer?.closedByClient();
      this.onclose?.({ code, reason });
    });
  }

  /* Server side helpers. */
  deliver(data: Uint8Array): void {
    if (this.readyState !== OPEN) return;
    const buf = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
    queueMicrotask(() => this.readyState === OPEN && this.onmessage?.({ data: buf }));
  }

  serverClose(code: number, reason = ''): void {
    if (this.readyState === CLOSED) return;
    this.readyState = CLOSED;
    queueMicrotask(() => this.onclose?.({ code, reason }));
  }
}

export class ServerConn {
  alive = true;
  constructor(
    readonly server: FakeRoomServer,
    readonly sock: FakeSocket,
    readonly user: string,
    readonly role: string,
  ) {}

  send(frame: Uint8Array): void {
    if (this.alive) this.sock.deliver(frame);
  }

  receive(frame: Uint8Array): void {
    if (this.alive) this.server.handle(this, frame);
  }

  closedByClient(): void {
    this.alive = false;
    this.server.conns.delete(this);
  }

  close(code: number): void {
    this.alive = false;
    this.server.conns.delete(this);
    this.sock.serverClose(code);
  }
}

function frame(type: number, write: (e: encoding.Encoder) => void): Uint8Array {
  const e = encoding.createEncoder();
  encoding.writeVarUint(e, type);
  write(e);
  return encoding.toUint8Array(e);
}

export class FakeRoomServer {
  log: Uint8Array[] = [];
  awareness = new Map<ServerConn, Uint8Array>();
  conns = new Set<ServerConn>();
  chatSeq = 0;
  /* Every frame any client sent: [user, type, subtype?]. */
  received: { user: string; type: number; subtype?: number }[] = [];
  refuse: number | null = null;

  /* A socket factory for RoomProvider: the token in the URL names the user and role. */
  factory = (url: string): FakeSocket => {
    const sock = new FakeSocket(url);
    const token = new URL(url, 'ws://x').searchParams.get('token') ?? 'anon:editor';
    const [user, role] = token.split(':');
    queueMicrotask(() => {
      if (this.refuse !== null) {
        sock.serverClose(this.refuse);
        return;
      }
      const conn = new ServerConn(this, sock, user, role ?? 'editor');
      sock.peer = conn;
      this.conns.add(conn);
      sock.readyState = OPEN;
      sock.onopen?.({});
      // The server's own step 1 with an empty state vector.
      conn.send(frame(0, (e) => {
        encoding.writeVarUint(e, 0);
        encoding.writeVarUint8Array(e, new Uint8Array([0]));
      }));
    });
    return sock;
  };

  handle(conn: ServerConn, data: Uint8Array): void {
    const d = decoding.createDecoder(data);
    const type = decoding.readVarUint(d);
    if (type === 0) {
      const subtype = decoding.readVarUint(d);
      const bytes = decoding.readVarUint8Array(d);
      this.received.push({ user: conn.user, type, subtype });
      if (subtype === 0) {
        for (const u of this.log) conn.send(frame(0, (e) => (encoding.writeVarUint(e, 2), encoding.writeVarUint8Array(e, u))));
        conn.send(frame(0, (e) => (encoding.writeVarUint(e, 1), encoding.writeVarUint8Array(e, new Uint8Array(0)))));
        return;
      }
      if (conn.role === 'observer') {
        conn.send(frame(105, (e) => encoding.writeUint8Array(e, mpEncode({ code: 'READ_ONLY', message: 'observers cannot edit' }))));
        return;
      }
      this.log.push(bytes);
      for (const c of this.conns) {
        if (c !== conn) c.send(frame(0, (e) => (encoding.writeVarUint(e, 2), encoding.writeVarUint8Array(e, bytes))));
      }
      return;
    }
    this.received.push({ user: conn.user, type });
    if (type === 1) {
      this.awareness.set(conn, data);
      for (const c of this.conns) if (c !== conn) c.send(data);
    } else if (type === 3) {
      for (const [c, a] of this.awareness) if (c !== conn && c.alive) conn.send(a);
    } else if (type === 101) {
      const body = mpDecode(data.subarray(d.pos)) as { text: string };
      const msg = mpEncode({ seq: ++this.chatSeq, user: conn.user, name: conn.user, text: body.text, ts: 1700000000000 });
      for (const c of this.conns) c.send(frame(101, (e) => encoding.writeUint8Array(e, msg)));
    }
  }

  broadcast(data: Uint8Array): void {
    for (const c of this.conns) c.send(data);
  }

  closeAll(code: number): void {
    for (const c of [...this.conns]) c.close(code);
  }
}

/* Runs queued microtasks and macrotasks until cond holds, or fails after `rounds`. */
export async function until(cond: () => boolean, what = 'condition', rounds = 200): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    if (cond()) return;
    await new Promise<void>((r) => setTimeout(r, 0));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/* Manual timers: nothing fires until the test says so. */
export class ManualTimers {
  private next = 1;
  pending = new Map<number, { fn: () => void; ms: number }>();
  setTimeout = (fn: () => void, ms: number): unknown => {
    const id = this.next++;
    this.pending.set(id, { fn, ms });
    return id;
  };
  clearTimeout = (id: unknown): void => {
    this.pending.delete(id as number);
  };
  /* Fires the pending timers with exactly this delay. */
  delays(): number[] {
    return [...this.pending.values()].map((t) => t.ms);
  }
  fire(filter: (ms: number) => boolean = () => true): number {
    let n = 0;
    for (const [id, t] of [...this.pending]) {
      if (filter(t.ms)) {
        this.pending.delete(id);
        t.fn();
        n++;
      }
    }
    return n;
  }
}
