import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { encode as mpEncode } from '@msgpack/msgpack';
import type { RawTimelineEvent } from '../src/lib/api';
import { encodeSync, SYNC } from '../src/lib/frames';
import { starterUpdate } from '../src/lib/starter';
import {
  Replay,
  bytesToBase64,
  eventKind,
  extractUpdate,
  markers,
  normalizeEvents,
  playbackTimes,
  summarize,
  userNames,
} from '../src/lib/timeline';
import { lineDiff } from '../src/lib/diff';

/* A recorded session: two people typing into one document through a relay. */
function session() {
  const raw: RawTimelineEvent[] = [];
  const texts: string[] = []; // document text after each event
  const a = new Y.Doc();
  a.clientID = 100;
  const b = new Y.Doc();
  b.clientID = 200;
  let seq = 0;
  let ts = 1_700_000_000_000;
  const mirror = new Y.Doc();
  const push = (type: RawTimelineEvent['type'], user: string, data: unknown, update?: Uint8Array) => {
    if (update) Y.applyUpdate(mirror, update);
    raw.push({ seq: ++seq, ts: (ts += 1000), type, user, data });
    texts.push(mirror.getText('code').toString());
  };
  const edit = (doc: Y.Doc, other: Y.Doc, user: string, f: (t: Y.Text) => void, form: 'b64' | 'frame' | 'array' | 'num') => {
    const sv = Y.encodeStateVector(doc);
    f(doc.getText('code'));
    const u = Y.encodeStateAsUpdate(doc, sv);
    Y.applyUpdate(other, u);
    if (form === 'b64') push('yjs', user, bytesToBase64(u), u);
    else if (form === 'frame') push('yjs', user, bytesToBase64(encodeSync(SYNC.UPDATE, u)), u);
    else if (form === 'array') push('update', user, [...u], u);
    else push(1, user, { update: bytesToBase64(u) }, u);
  };
  const st = starterUpdate('class Solution:\n    pass\n');
  Y.applyUpdate(a, st);
  Y.applyUpdate(b, st);
  push('yjs', 'alice', bytesToBase64(st), st);
  push('presence', 'alice', { user: 'alice', name: 'Alice', event: 'join' });
  edit(a, b, 'alice', (t) => t.delete(t.length - 9, 9), 'b64'); // remove "    pass\n"
  edit(a, b, 'alice', (t) => t.insert(t.length, '    def f(self):\n'), 'frame');
  push('chat', 'bob', { seq: 1, user: 'bob', name: 'Bob', text: 'looks good', ts });
  edit(b, a, 'bob', (t) => t.insert(t.length, '        return 42\n'), 'array');
  push(4, 'bob', bytesToBase64(mpEncode({ id: 's1', by: 'bob' })));
  push(5, 'bob', { id: 's1', by: 'bob', result: { status: 'WRONG_ANSWER', passed: 1, total: 3, time_ms: 5, details: [] } });
  edit(a, b, 'alice', (t) => t.insert(t.length, '# done\n'), 'num');
  return { raw, texts, final: a.getText('code').toString() };
}

describe('timeline normalisation', () => {
  it('accepts_names_and_store_numbers_for_types', () => {
    expect(eventKind('yjs')).toBe('yjs');
    expect(eventKind(1)).toBe('yjs');
    expect(eventKind('5')).toBe('verdict');
    expect(eventKind('chat')).toBe('chat');
    expect(eventKind('mystery')).toBe('other');
  });

  it('finds_the_update_inside_a_sync_frame', () => {
    const d = new Y.Doc();
    d.getText('code').insert(0, 'x');
    const u = Y.encodeStateAsUpdate(d);
    expect(extractUpdate(encodeSync(SYNC.UPDATE, u))).toEqual(u);
    expect(extractUpdate(u)).toEqual(u);
    expect(extractUpdate(new Uint8Array([1, 2, 3]))).toBeNull();
  });

  it('skips_events_it_cannot_read', () => {
    const evs = normalizeEvents([
      { seq: 2, ts: 2, type: 'yjs', user: 'a', data: '!!!not base64' },
      { seq: 1, ts: 1, type: 'chat', user: 'a', data: { text: 'hi' } },
    ]);
    expect(evs.map((e) => e.kind)).toEqual(['chat']);
  });
});

describe('replay', () => {
  it('rebuilds_the_document_at_every_position', () => {
    const s = session();
    const events = normalizeEvents(s.raw);
    expect(events).toHaveLength(s.raw.length);
    const r = new Replay(events, 3);
    for (let i = 1; i <= events.length; i++) expect(r.textAt(i)).toBe(s.texts[i - 1]);
    expect(r.textAt(0)).toBe('');
    expect(r.textAt(events.length)).toBe(s.final);
  });

  it('scrubbing_backwards_gives_the_same_text', () => {
    const s = session();
    const r = new Replay(normalizeEvents(s.raw), 2);
    const forward = s.raw.map((_, i) => r.textAt(i + 1));
    const backward = s.raw.map((_, i) => i).reverse().map((i) => r.textAt(i + 1)).reverse();
    expect(backward).toEqual(forward);
    const mid = Math.floor(s.raw.length / 2);
    expect(r.textAt(mid)).toBe(s.texts[mid - 1]);
  });

  it('colours_text_by_who_wrote_it', () => {
    const s = session();
    const r = new Replay(normalizeEvents(s.raw));
    const segs = r.segmentsAt(s.raw.length);
    expect(segs.map((x) => x.text).join('')).toBe(s.final);
    const by = (u: string) => segs.filter((x) => x.user === u).map((x) => x.text).join('');
    expect(by('bob')).toBe('        return 42\n');
    expect(by('alice')).toBe('    def f(self):\n# done\n');
    expect(by('')).toBe('class Solution:\n');
  });

  it('marks_runs_verdicts_and_chat', () => {
    const s = session();
    const ms = markers(normalizeEvents(s.raw));
    expect(ms.map((m) => `${m.kind}:${m.user}:${m.status ?? m.text ?? ''}`)).toEqual(['chat:bob:looks good', 'run:bob:', 'verdict:bob:WRONG_ANSWER']);
    expect(ms[2].result?.passed).toBe(1);
  });

  it('names_come_from_members_then_events', () => {
    const evs = normalizeEvents(session().raw);
    const names = userNames(evs, [{ user: 'alice', name: 'Alice A.' }]);
    expect(names.get('alice')).toBe('Alice A.');
    expect(names.get('bob')).toBe('Bob');
  });

  it('compresses_long_gaps_for_playback', () => {
    const T0 = 1_700_000_000_000;
    const evs = normalizeEvents([
      { seq: 1, ts: T0, type: 'chat', data: {} },
      { seq: 2, ts: T0 + 500, type: 'chat', data: {} },
      { seq: 3, ts: T0 + 900000, type: 'chat', data: {} },
    ]);
    expect(playbackTimes(evs, 2000)).toEqual([0, 500, 2500]);
  });
});

describe('summary', () => {
  it('counts_typing_share_runs_and_chat_per_person', () => {
    const s = session();
    const sum = summarize(normalizeEvents(s.raw));
    const alice = sum.people.find((p) => p.user === 'alice')!;
    const bob = sum.people.find((p) => p.user === 'bob')!;
    expect(alice.inserted).toBe('    def f(self):\n'.length + '# done\n'.length);
    expect(alice.deleted).toBe(9);
    expect(bob.inserted).toBe('        return 42\n'.length);
    expect(bob.deleted).toBe(0);
    expect(bob.runs).toBe(1);
    expect(bob.chats).toBe(1);
    expect(sum.starterChars).toBe('class Solution:\n'.length);
    expect(sum.totalChars).toBe(s.final.length);
    expect(alice.share + bob.share + sum.starterChars / sum.totalChars).toBeCloseTo(1, 6);
    expect(alice.edits).toHaveLength(3);
  });
});

describe('diff', () => {
  it('marks_changed_lines', () => {
    expect(lineDiff('a\nb\nc', 'a\nx\nc')).toEqual([
      { op: 'same', text: 'a' },
      { op: 'del', text: 'b' },
      { op: 'add', text: 'x' },
      { op: 'same', text: 'c' },
    ]);
  });
});

describe('colours', () => {
  it('people_get_distinct_colours_and_the_server_s_first', async () => {
    const { assignColors, PALETTE } = await import('../src/lib/colors');
    const c = assignColors(['a', 'b', 'a', 'c', ''], new Map([['b', PALETTE[0]]]));
    expect(c.get('b')).toBe(PALETTE[0]);
    expect(new Set([c.get('a'), c.get('b'), c.get('c')]).size).toBe(3);
    expect(c.has('')).toBe(false);
  });
});
