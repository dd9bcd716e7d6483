/*
 * RoomProvider: connects a Y.Doc and an Awareness to one room over the room
 * WebSocket (docs/protocol.md section 2).  Document sync and awareness use
 * the y-protocols encodings; chat, runs, verdicts, room state and errors are
 * msgpack app frames.  Reconnects by itself with exponential backoff.
 */
import * as Y from 'yjs';
import {
  Awareness,
  applyAwarenessUpdate,
  encodeAwarenessUpdate,
  removeAwarenessStates,
} from 'y-protocols/awareness';
import {
  FRAME,
  SYNC,
  CLOSE,
  FATAL_CLOSE_CODES,
  FrameError,
  decodeFrame,
  decodeSync,
  encodeSync,
  decodeAwarenessFrame,
  encodeAwarenessFrame,
  encodeQueryAwareness,
  encodeApp,
  decodeAppBody,
  toRoomState,
  toChat,
  toProgress,
  toVerdict,
  toError,
  type RoomState,
  type ChatMessage,
  type RunProgress,
  type Verdict,
  type ServerError,
} from './frames';

/* The part of the browser WebSocket the provider uses; tests fake it. */
export interface SocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export type SocketFactory = (url: string) => SocketLike;

export type Status = 'connecting' | 'online' | 'offline' | 'closed';

export interface FatalClose {
  code: number;
  reason: string;
}

export interface ProviderEvents {
  status: Status;
  synced: boolean;
  state: RoomState;
  chat: ChatMessage;
  progress: RunProgress;
  verdict: Verdict;
  error: ServerError;
  fatal: FatalClose;
}

type Listener<T> = (v: T) => void;

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
}

export interface ProviderOptions {
  url: string;
  awareness?: Awareness;
  /* Observers never send document updates (the server refuses them). */
  readOnly?: boolean;
  socketFactory?: SocketFactory;
  /* Backoff: initial delay, cap, and +- jitter fraction. */
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  jitter?: number;
  timers?: Timers;
  random?: () => number;
  /* Give up on a socket that has not opened after this long. */
  connectTimeoutMs?: number;
  connect?: boolean;
}

const OPEN = 1;

function toBytes(data: unknown): Uint8Array | null {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return null;
}

export class RoomProvider {
  readonly doc: Y.Doc;
  readonly awareness: Awareness;
  readonly url: string;
  readOnly: boolean;
  status: Status = 'offline';
  synced = false;
  /* Reconnect attempts since the last successful sync. */
  attempts = 0;
  /* Sockets in a row that closed without ever opening (a refused handshake
   * looks like this to a browser: HTTP 401/403/404 arrive as close 1006). */
  failedOpens = 0;
  private opened = false;
  fatal: FatalClose | null = null;
  /* Frames received and sent (for tests and diagnostics). */
  received = 0;
  sent = 0;

  private ws: SocketLike | null = null;
  private readonly factory: SocketFactory;
  private readonly timers: Timers;
  private readonly random: () => number;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly jitter: number;
  private readonly connectTimeoutMs: number;
  private retryTimer: unknown = null;
  private openTimer: unknown = null;
  private shouldConnect = false;
  private readonly listeners: { [K in keyof ProviderEvents]?: Set<Listener<ProviderEvents[K]>> } = {};

  constructor(doc: Y.Doc, opts: ProviderOptions) {
    this.doc = doc;
    this.url = opts.url;
    this.awareness = opts.awareness ?? new Awareness(doc);
    this.readOnly = opts.readOnly ?? false;
    this.factory =
      opts.socketFactory ?? ((url: string) => new WebSocket(url) as unknown as SocketLike);
    this.timers = opts.timers ?? {
      setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
      clearTimeout: (id) => globalThis.clearTimeout(id as ReturnType<typeof setTimeout>),
    };
    this.random = opts.random ?? Math.random;
    this.initialMs = opts.backoffInitialMs ?? 250;
    this.maxMs = opts.backoffMaxMs ?? 8000;
    this.jitter = opts.jitter ?? 0.2;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 10000;
    doc.on('update', this.onDocUpdate);
    this.awareness.on('update', this.onAwarenessUpdate);
    if (opts.connect !== false) this.connect();
  }

  on<K extends keyof ProviderEvents>(ev: K, fn: Listener<ProviderEvents[K]>): () => void {
    let set = this.listeners[ev] as Set<Listener<ProviderEvents[K]>> | undefined;
    if (!set) {
      set = new Set();
      (this.listeners as Record<string, unknown>)[ev] = set;
    }
    set.add(fn);
    return () => set!.delete(fn);
  }

  private emit<K extends keyof ProviderEvents>(ev: K, v: ProviderEvents[K]): void {
    const set = this.listeners[ev] as Set<Listener<ProviderEvents[K]>> | undefined;
    if (set) for (const fn of [...set]) fn(v);
  }

  private setStatus(s: Status): void {
    if (s === this.status) return;
    this.status = s;
    this.emit('status', s);
  }

  private setSynced(b: boolean): void {
    if (b === this.synced) return;
    this.synced = b;
    this.emit('synced', b);
  }

  /* Backoff delay for the given attempt (0-based). */
  backoffDelay(attempt: number): number {
    const base = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(attempt, 20));
    const j = (this.random() * 2 - 1) * this.jitter;
    return Math.max(0, Math.round(base * (1 + j)));
  }

  connect(): void {
    this.shouldConnect = true;
    this.fatal = null;
    if (this.ws) return;
    if (this.retryTimer !== null) {
      this.timers.clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
    this.setStatus('connecting');
    let ws: SocketLike;
    try {
      ws = this.factory(this.url);
    } catch {
      this.scheduleRetry();
      return;
    }
    this.ws = ws;
    this.opened = false;
    ws.binaryType = 'arraybuffer';
    this.openTimer = this.timers.setTimeout(() => {
      this.openTimer = null;
      if (this.ws === ws && ws.readyState !== OPEN) ws.close();
      if (this.ws === ws) this.onSocketClosed(ws, 1006, 'connect timeout');
    }, this.connectTimeoutMs);
    ws.onopen = () => this.onOpen(ws);
    ws.onmessage = (ev) => {
      if (this.ws !== ws) return;
      const bytes = toBytes(ev.data);
      if (bytes) this.handleFrame(bytes);
    };
    ws.onclose = (ev) => this.onSocketClosed(ws, ev.code, ev.reason);
    ws.onerror = () => {
      /* onclose follows */
    };
  }

  /* Stop and stay stopped until connect(). */
  disconnect(): void {
    this.shouldConnect = false;
    if (this.retryTimer !== null) {
      this.timers.clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
    const ws = this.ws;
    if (ws) {
      if (ws.readyState === OPEN) {
        removeAwarenessStates(this.awareness, [this.doc.clientID], 'disconnect');
      }
      this.onSocketClosed(ws, 1000, 'disconnect');
      ws.close(1000, 'bye');
    }
    this.setStatus('closed');
  }

  /* Drop the current socket now and reconnect (for example after 'online'). */
  reconnectNow(): void {
    if (!this.shouldConnect || this.fatal) return;
    const ws = this.ws;
    if (ws) {
      this.onSocketClosed(ws, 1006, 'reconnect');
      ws.close();
    }
    this.attempts = 0;
    this.connect();
  }

  /* The network went away: say so at once rather than waiting for TCP. */
  goOffline(): void {
    const ws = this.ws;
    if (ws) {
      this.onSocketClosed(ws, 1006, 'offline');
      ws.close();
    }
  }

  destroy(): void {
    this.disconnect();
    this.doc.off('update', this.onDocUpdate);
    this.awareness.off('update', this.onAwarenessUpdate);
  }

  private send(frame: Uint8Array): boolean {
    const ws = this.ws;
    if (!ws || ws.readyState !== OPEN) return false;
    try {
      ws.send(frame);
      this.sent++;
      return true;
    } catch {
      return false;
    }
  }

  sendChat(text: string): boolean {
    return this.send(encodeApp(FRAME.CHAT, { text }));
  }

  run(code: string, lang = 'python'): boolean {
    return this.send(encodeApp(FRAME.RUN, { code, lang }));
  }

  private onOpen(ws: SocketLike): void {
    if (this.ws !== ws) return;
    if (this.openTimer !== null) {
      this.timers.clearTimeout(this.openTimer);
      this.openTimer = null;
    }
    this.opened = true;
    this.failedOpens = 0;
    this.setStatus('online');
    /* Ask for what we lack; the server answers with the room's log. */
    this.send(encodeSync(SYNC.STEP1, Y.encodeStateVector(this.doc)));
    if (this.awareness.getLocalState() !== null) {
      this.send(encodeAwarenessFrame(encodeAwarenessUpdate(this.awareness, [this.doc.clientID])));
    }
    this.send(encodeQueryAwareness());
  }

  private onSocketClosed(ws: SocketLike, code: number, reason: string): void {
    if (this.ws !== ws) return;
    ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
    this.ws = null;
    if (this.openTimer !== null) {
      this.timers.clearTimeout(this.openTimer);
      this.openTimer = null;
    }
    if (!this.opened) this.failedOpens++;
    this.setSynced(false);
    /* Everyone else's cursor is unknown while we are away. */
    const others = [...this.awareness.getStates().keys()].filter((c) => c !== this.doc.clientID);
    if (others.length) removeAwarenessStates(this.awareness, others, this);
    /* A newer connection of the same user (another tab) took over: going
     * back would only take it over in turn. */
    const replaced = code === CLOSE.POLICY && /replac/i.test(reason);
    if (FATAL_CLOSE_CODES.has(code) || replaced) {
      this.fatal = { code, reason };
      this.shouldConnect = false;
      this.setStatus('closed');
      this.emit('fatal', this.fatal);
      return;
    }
    if (this.shouldConnect) this.scheduleRetry();
    else this.setStatus('closed');
  }

  private scheduleRetry(): void {
    this.setStatus('offline');
    if (this.retryTimer !== null) return;
    const delay = this.backoffDelay(this.attempts);
    this.attempts++;
    this.retryTimer = this.timers.setTimeout(() => {
      this.retryTimer = null;
      if (this.shouldConnect) this.connect();
    }, delay);
  }

  /* One frame from the server.  Malformed frames are dropped, not fatal. */
  handleFrame(data: Uint8Array): void {
    this.received++;
    try {
      const { type, payload } = decodeFrame(data);
      switch (type) {
        case FRAME.SYNC:
          this.handleSync(payload);
          break;
        case FRAME.AWARENESS:
          applyAwarenessUpdate(this.awareness, decodeAwarenessFrame(payload), this);
          break;
        case FRAME.ROOM_STATE:
          this.emit('state', toRoomState(decodeAppBody(payload)));
          break;
        case FRAME.CHAT:
          this.emit('chat', toChat(decodeAppBody(payload)));
          break;
        case FRAME.RUN_PROGRESS:
          this.emit('progress', toProgress(decodeAppBody(payload)));
          break;
        case FRAME.VERDICT:
          this.emit('verdict', toVerdict(decodeAppBody(payload)));
          break;
        case FRAME.ERROR:
          this.emit('error', toError(decodeAppBody(payload)));
          break;
        default:
          /* Unknown types are ignored so newer servers stay compatible. */
          break;
      }
    } catch (e) {
      if (!(e instanceof FrameError)) {
        console.warn('tandem: dropped a frame', e);
      }
    }
  }

  private handleSync(payload: Uint8Array): void {
    const { subtype, bytes } = decodeSync(payload);
    if (subtype === SYNC.STEP1) {
      if (this.readOnly) return;
      let sv: Uint8Array | undefined = bytes;
      if (bytes.length === 0) sv = undefined;
      this.send(encodeSync(SYNC.STEP2, Y.encodeStateAsUpdate(this.doc, sv)));
      return;
    }
    /* step 2 and updates: apply (an empty step 2 carries nothing). */
    if (bytes.length > 0) {
      try {
        Y.applyUpdate(this.doc, bytes, this);
      } catch (e) {
        console.warn('tandem: bad document update from server', e);
      }
    }
    if (subtype === SYNC.STEP2) {
      this.attempts = 0;
      this.setSynced(true);
    }
  }

  private onDocUpdate = (update: Uint8Array, origin: unknown): void => {
    if (origin === this || this.readOnly) return;
    this.send(encodeSync(SYNC.UPDATE, update));
  };

  private onAwarenessUpdate = (
    { added, updated, removed }: { added: number[]; updated: number[]; removed: number[] },
    origin: unknown,
  ): void => {
    if (origin === this) return;
    const changed = added.concat(updated, removed).filter((c) => c === this.doc.clientID);
    if (changed.length) this.send(encodeAwarenessFrame(encodeAwarenessUpdate(this.awareness, changed)));
  };
}
