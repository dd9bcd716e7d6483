import { describe, expect, it } from 'vitest';
import * as encoding from 'lib0/encoding';
import {
  FRAME,
  SYNC,
  FrameError,
  decodeAppBody,
  decodeAwarenessFrame,
  decodeFrame,
  decodeSync,
  encodeApp,
  encodeAwarenessFrame,
  encodeFrame,
  encodeQueryAwareness,
  encodeSync,
  toChat,
  toJudgeResult,
  toRoomState,
  toVerdict,
} from '../src/lib/frames';

const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');

describe('frame type', () => {
  it('encodes_app_types_as_one_byte_varuint', () => {
    expect(encodeFrame(FRAME.CHAT, new Uint8Array([1]))).toEqual(new Uint8Array([101, 1]));
  });

  it('decodes_multibyte_varuint_types', () => {
    const f = encodeFrame(300, new Uint8Array([7, 8]));
    expect(hex(f)).toBe('ac 02 07 08');
    const { type, payload } = decodeFrame(f);
    expect(type).toBe(300);
    expect([...payload]).toEqual([7, 8]);
  });

  it('rejects_empty_and_truncated_frames', () => {
    expect(() => decodeFrame(new Uint8Array(0))).toThrow(FrameError);
    expect(() => decodeFrame(new Uint8Array([0x80]))).toThrow(FrameError);
  });
});

describe('y-protocols frames', () => {
  it('sync_update_matches_y_protocols_layout', () => {
    const f = encodeSync(SYNC.UPDATE, new Uint8Array([9, 9, 9]));
    expect(hex(f)).toBe('00 02 03 09 09 09');
    const { type, payload } = decodeFrame(f);
    expect(type).toBe(FRAME.SYNC);
    expect(decodeSync(payload)).toEqual({ subtype: 2, bytes: new Uint8Array([9, 9, 9]) });
  });

  it('sync_rejects_unknown_subtype_and_short_payload', () => {
    const e = encoding.createEncoder();
    encoding.writeVarUint(e, 7);
    encoding.writeVarUint8Array(e, new Uint8Array([1]));
    expect(() => decodeSync(encoding.toUint8Array(e))).toThrow(FrameError);
    expect(() => decodeSync(new Uint8Array([2, 5, 1]))).toThrow(FrameError);
  });

  it('awareness_and_query_round_trip', () => {
    const f = encodeAwarenessFrame(new Uint8Array([1, 2]));
    expect(hex(f)).toBe('01 02 01 02');
    expect([...decodeAwarenessFrame(decodeFrame(f).payload)]).toEqual([1, 2]);
    expect(hex(encodeQueryAwareness())).toBe('03');
  });
});

describe('app frames', () => {
  it('chat_to_server_is_type_then_msgpack_map', () => {
    // 101, fixmap(1) "text" -> "hi"
    expect(hex(encodeApp(FRAME.CHAT, { text: 'hi' }))).toBe('65 81 a4 74 65 78 74 a2 68 69');
  });

  it('run_request_round_trips', () => {
    const f = encodeApp(FRAME.RUN, { code: 'print(1)', lang: 'python' });
    const { type, payload } = decodeFrame(f);
    expect(type).toBe(FRAME.RUN);
    expect(decodeAppBody(payload)).toEqual({ code: 'print(1)', lang: 'python' });
  });

  it('app_body_must_be_a_map', () => {
    expect(() => decodeAppBody(new Uint8Array([0x92, 1, 2]))).toThrow(FrameError); // array
    expect(() => decodeAppBody(new Uint8Array([0xc1]))).toThrow(FrameError); // never-used byte
    expect(() => decodeAppBody(new Uint8Array([0x81]))).toThrow(FrameError); // truncated
  });

  it('room_state_is_normalised', () => {
    const body = decodeAppBody(
      decodeFrame(
        encodeApp(FRAME.ROOM_STATE, {
          room: 'r1',
          problem: 'two-sum',
          you: 'u1',
          members: [{ user: 'u1', name: 'Ada', role: 'editor', online: true, color: '#123456' }, { user: 'u2' }],
          run: null,
        }),
      ).payload,
    );
    const s = toRoomState(body);
    expect(s.members[0]).toEqual({ user: 'u1', name: 'Ada', role: 'editor', online: true, color: '#123456' });
    expect(s.members[1]).toMatchObject({ user: 'u2', name: 'u2', online: false });
    expect(s.run).toBeNull();
  });

  it('chat_timestamps_in_seconds_become_milliseconds', () => {
    expect(toChat({ seq: 1, user: 'u', text: 'x', ts: 1700000000 }).ts).toBe(1700000000000);
    expect(toChat({ seq: 1, user: 'u', text: 'x', ts: 1700000000123 }).ts).toBe(1700000000123);
  });

  it('verdict_result_may_be_json_text_or_map', () => {
    const r = { status: 'WRONG_ANSWER', passed: 2, total: 5, time_ms: 12, details: [], counterexample: { n: 3, input: [[1], 2], expected: [0, 1], actual: null, message: null }, complexity_probe: null };
    expect(toVerdict({ id: 's1', by: 'u1', result: JSON.stringify(r) }).result).toMatchObject({ status: 'WRONG_ANSWER', passed: 2, total: 5 });
    expect(toVerdict({ id: 's1', by: 'u1', result: r }).result.counterexample?.n).toBe(3);
    expect(toJudgeResult('not json').status).toBe('INTERNAL_ERROR');
  });
});
