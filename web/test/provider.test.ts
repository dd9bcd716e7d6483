import { describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { Awareness } from 'y-protocols/awareness';
import { RoomProvider } from '../src/lib/provider';
import { FRAME, SYNC, encodeApp, encodeFrame } from '../src/lib/frames';
import { seedStarter } from '../src/lib/starter';
import { FakeRoomServer, ManualTimers, until } from './fakeserver';

function client(server: FakeRoomServer, token: string, opts: { readOnly?: boolean; timers?: ManualTimers; doc?: Y.Doc } = {}) {
  const doc = opts.doc ?? new Y.Doc();
  const awareness = new Awareness(doc);
  const timers = opts.timers ?? new ManualTimers();
  const p = new RoomProvider(doc, {
    url: `ws://test/ws/rooms/r1?token=${token}`,
    awareness,
    readOnly: opts.readOnly,
    socketFactory: server.factory,
    timers,
    random: () => 0.5, // no jitter
  });
  return { doc, awareness, p, text: doc.getText('code'), timers };
}

describe('sync handshake', () => {
  it('late_joiner_gets_the_log_and_counts_as_synced', async () => {
    const server = new FakeRoomServer();
    const a = client(server, 'alice:editor');
    await until(() => a.p.synced, 'a synced');
    a.text.insert(0, 'def f():\n    return 1\n');
    await until(() => server.log.length >= 2, 'update logged');

    const b = client(server, 'bob:editor');
    expect(b.p.synced).toBe(false);
    await until(() => b.p.synced, 'b synced');
    expect(b.text.toString()).toBe('def f():\n    return 1\n');
    // The client answered the server's step 1 and sent its own.
    const bob = server.received.filter((r) => r.user === 'bob' && r.type === FRAME.SYNC).map((r) => r.subtype);
    expect(bob).toContain(SYNC.STEP1);
    expect(bob).toContain(SYNC.STEP2);
  });

  it('edits_converge_between_two_clients', async () => {
    const server = new FakeRoomServer();
    const a = client(server, 'alice:editor');
    const b = client(server, 'bob:editor');
    await until(() => a.p.synced && b.p.synced, 'both synced');
    a.text.insert(0, 'abc');
    await until(() => b.text.toString() === 'abc', 'b sees abc');
    b.text.insert(3, 'XYZ');
    a.text.insert(0, '>');
    await until(() => a.text.toString() === b.text.toString() && a.text.length === 7, 'converged');
    expect(a.text.toString()).toBe('>abcXYZ');
  });

  it('observer_sends_no_document_updates', async () => {
    const server = new FakeRoomServer();
    const a = client(server, 'alice:editor');
    await until(() => a.p.synced);
    a.text.insert(0, 'hello');
    const o = client(server, 'olga:observer', { readOnly: true });
    await until(() => o.p.synced && o.text.toString() === 'hello', 'observer synced');
    o.text.insert(0, 'X'); // a local edit the UI would not allow
    a.text.insert(5, '!');
    await until(() => o.text.toString().endsWith('hello!'), 'observer sees later edits');
    const olgaSync = server.received.filter((r) => r.user === 'olga' && r.type === FRAME.SYNC).map((r) => r.subtype);
    expect(olgaSync).toEqual([SYNC.STEP1]);
    expect(a.text.toString()).toBe('hello!');
  });

  it('server_errors_are_emitted', async () => {
    const server = new FakeRoomServer();
    const o = client(server, 'olga:observer'); // not marked read-only: sends step 2
    const errors: string[] = [];
    o.p.on('error', (e) => errors.push(e.code));
    await until(() => errors.includes('READ_ONLY'), 'READ_ONLY');
  });
});

describe('awareness', () => {
  it('names_and_cursors_reach_the_other_client', async () => {
    const server = new FakeRoomServer();
    const a = client(server, 'alice:editor');
    a.awareness.setLocalStateField('user', { name: 'Alice', color: '#d9480f' });
    await until(() => a.p.synced);
    const b = client(server, 'bob:editor');
    await until(() => b.awareness.getStates().has(a.doc.clientID), 'b knows a');
    expect((b.awareness.getStates().get(a.doc.clientID) as { user: { name: string } }).user.name).toBe('Alice');
    a.awareness.setLocalStateField('selection', { anchor: 1, head: 2 });
    await until(() => (b.awareness.getStates().get(a.doc.clientID) as { selection?: unknown }).selection !== undefined, 'selection');
  });

  it('remote_states_are_dropped_when_the_connection_closes', async () => {
    const server = new FakeRoomServer();
    const a = client(server, 'alice:editor');
    a.awareness.setLocalStateField('user', { name: 'Alice' });
    const b = client(server, 'bob:editor');
    await until(() => b.awareness.getStates().has(a.doc.clientID), 'b knows a');
    server.closeAll(1006);
    await until(() => b.p.status === 'offline', 'b offline');
    expect(b.awareness.getStates().has(a.doc.clientID)).toBe(false);
    expect(b.awareness.getLocalState()).not.toBeNull();
  });
});

describe('app messages', () => {
  it('chat_goes_out_and_comes_back_with_a_seq', async () => {
    const server = new FakeRoomServer();
    const a = client(server, 'alice:editor');
    const b = client(server, 'bob:editor');
    await until(() => a.p.synced && b.p.synced);
    const got: string[] = [];
    b.p.on('chat', (m) => got.push(`${m.seq}:${m.user}:${m.text}`));
    expect(a.p.sendChat('hi bob')).toBe(true);
    await until(() => got.length === 1, 'chat');
    expect(got[0]).toBe('1:alice:hi bob');
  });

  it('progress_verdict_and_state_are_decoded', async () => {
    const server = new FakeRoomServer();
    const a = client(server, 'alice:editor');
    await until(() => a.p.synced);
    const seen: string[] = [];
    a.p.on('progress', (p) => seen.push(`progress ${p.state} ${p.done}/${p.total}`));
    a.p.on('verdict', (v) => seen.push(`verdict ${v.result.status} ${v.result.passed}/${v.result.total}`));
    a.p.on('state', (s) => seen.push(`state ${s.members.length} ${s.run?.state}`));
    server.broadcast(encodeApp(FRAME.ROOM_STATE, { room: 'r1', problem: 'two-sum', you: 'alice', members: [{ user: 'alice', name: 'Alice', role: 'editor', online: true }], run: { state: 'running', by: 'alice', id: 's1' } }));
    server.broadcast(encodeApp(FRAME.RUN_PROGRESS, { id: 's1', by: 'alice', state: 'running', done: 3, total: 9 }));
    server.broadcast(encodeApp(FRAME.VERDICT, { id: 's1', by: 'alice', result: { status: 'ACCEPTED', passed: 9, total: 9, time_ms: 40, details: [] } }));
    await until(() => seen.length === 3, 'three app frames');
    expect(seen).toEqual(['state 1 running', 'progress running 3/9', 'verdict ACCEPTED 9/9']);
  });

  it('malformed_and_unknown_frames_are_dropped', async () => {
    const server = new FakeRoomServer();
    const a = client(server, 'alice:editor');
    await until(() => a.p.synced);
    const errors: unknown[] = [];
    a.p.on('error', (e) => errors.push(e));
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    a.p.handleFrame(new Uint8Array(0));
    a.p.handleFrame(encodeFrame(FRAME.CHAT, new Uint8Array([0x92, 1, 2])));
    a.p.handleFrame(encodeFrame(FRAME.SYNC, new Uint8Array([2, 50, 1])));
    a.p.handleFrame(encodeFrame(250, new Uint8Array([1])));
    a.p.handleFrame(encodeFrame(FRAME.SYNC, new Uint8Array([2, 3, 1, 2, 3]))); // not a Yjs update
    warn.mockRestore();
    expect(errors).toEqual([]);
    expect(a.p.status).toBe('online');
  });
});

describe('reconnect', () => {
  it('backs_off_exponentially_up_to_the_cap', () => {
    const server = new FakeRoomServer();
    const a = client(server, 'alice:editor');
    const delays = [0, 1, 2, 3, 4, 5, 6].map((n) => a.p.backoffDelay(n));
    expect(delays).toEqual([250, 500, 1000, 2000, 4000, 8000, 8000]);
    a.p.destroy();
  });

  it('reconnects_after_a_drop_and_sends_offline_edits', async () => {
    const server = new FakeRoomServer();
    const timers = new ManualTimers();
    const a = client(server, 'alice:editor', { timers });
    const b = client(server, 'bob:editor');
    await until(() => a.p.synced && b.p.synced);
    a.text.insert(0, 'one ');
    await until(() => b.text.toString() === 'one ');
    const statuses: string[] = [];
    a.p.on('status', (s) => statuses.push(s));
    for (const c of [...server.conns]) if (c.user === 'alice') c.close(1006);
    await until(() => a.p.status === 'offline', 'offline');
    a.text.insert(4, 'two'); // typed while offline
    expect(timers.delays()).toContain(250);
    timers.fire((ms) => ms === 250);
    await until(() => a.p.synced, 'resynced');
    await until(() => b.text.toString() === 'one two', 'offline edit arrived');
    expect(statuses).toEqual(['offline', 'connecting', 'online']);
    expect(a.p.attempts).toBe(0);
  });

  it('keeps_retrying_while_the_server_is_down', async () => {
    const server = new FakeRoomServer();
    const timers = new ManualTimers();
    const a = client(server, 'alice:editor', { timers });
    await until(() => a.p.synced);
    server.refuse = 1006;
    server.closeAll(1006);
    await until(() => a.p.status === 'offline');
    timers.fire((ms) => ms === 250);
    await until(() => timers.delays().includes(500), 'second backoff');
    timers.fire((ms) => ms === 500);
    await until(() => timers.delays().includes(1000), 'third backoff');
    server.refuse = null;
    timers.fire((ms) => ms === 1000);
    await until(() => a.p.synced, 'back');
  });

  it('does_not_retry_after_a_fatal_close', async () => {
    const server = new FakeRoomServer();
    const timers = new ManualTimers();
    server.refuse = 4029;
    const a = client(server, 'carol:editor', { timers });
    const fatal: number[] = [];
    a.p.on('fatal', (f) => fatal.push(f.code));
    await until(() => fatal.length === 1, 'fatal');
    expect(fatal).toEqual([4029]);
    expect(a.p.status).toBe('closed');
    expect(timers.delays().filter((ms) => ms < 10000)).toEqual([]);
  });
});

describe('refusals', () => {
  it('counts_handshakes_that_never_opened', async () => {
    const server = new FakeRoomServer();
    const timers = new ManualTimers();
    server.refuse = 1006;
    const a = client(server, 'alice:editor', { timers });
    await until(() => a.p.failedOpens === 1, 'first refusal');
    timers.fire((ms) => ms === 250);
    await until(() => a.p.failedOpens === 2, 'second refusal');
    server.refuse = null;
    timers.fire((ms) => ms === 500);
    await until(() => a.p.synced, 'synced');
    expect(a.p.failedOpens).toBe(0);
  });

  it('stops_when_a_newer_connection_replaced_it', async () => {
    const server = new FakeRoomServer();
    const timers = new ManualTimers();
    const a = client(server, 'alice:editor', { timers });
    await until(() => a.p.synced);
    const fatal: string[] = [];
    a.p.on('fatal', (f) => fatal.push(`${f.code} ${f.reason}`));
    for (const c of [...server.conns]) {
      c.alive = false;
      server.conns.delete(c);
      c.sock.serverClose(4008, 'replaced by a newer connection');
    }
    await until(() => fatal.length === 1, 'fatal');
    expect(a.p.status).toBe('closed');
    expect(timers.delays().filter((ms) => ms < 10000)).toEqual([]);
  });

  it('retries_after_a_policy_close_that_is_not_a_replacement', async () => {
    const server = new FakeRoomServer();
    const timers = new ManualTimers();
    const a = client(server, 'alice:editor', { timers });
    await until(() => a.p.synced);
    server.closeAll(4008);
    await until(() => a.p.status === 'offline');
    expect(timers.delays()).toContain(250);
  });
});

describe('starter code', () => {
  it('two_editors_seeding_at_once_get_one_copy', async () => {
    const server = new FakeRoomServer();
    const a = client(server, 'alice:editor');
    const b = client(server, 'bob:editor');
    await until(() => a.p.synced && b.p.synced);
    const starter = 'class Solution:\n    pass\n';
    expect(seedStarter(a.doc, starter)).toBe(true);
    expect(seedStarter(b.doc, starter)).toBe(true);
    await until(() => server.log.length >= 2);
    await until(() => a.text.toString() === b.text.toString());
    expect(a.text.toString()).toBe(starter);
  });

  it('an_emptied_document_is_not_seeded_again', () => {
    const doc = new Y.Doc();
    expect(seedStarter(doc, 'x = 1\n')).toBe(true);
    doc.getText('code').delete(0, 6);
    expect(seedStarter(doc, 'x = 1\n')).toBe(false);
    expect(doc.getText('code').toString()).toBe('');
  });
});
