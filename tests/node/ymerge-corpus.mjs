// Update sequences from real Y.Doc editing, as a room's log holds them, for
// the merge of Yjs updates (actors/src/yproto.c, yp_update_merge).
//
// Each scenario returns { name, updates, docs } where updates is the list in
// the order a room would have accepted them and docs the editors' documents
// (all converged at the end).  Client ids and the random sequence are fixed,
// so the output is stable.
//
//   node ymerge-corpus.mjs --fixtures DIR   writes DIR/<name>.updates (each
//   update as a 4-byte big-endian length and its bytes) and, for the
//   scenarios a single Y.Doc squashes the same way, DIR/<name>.state
//   (Y.encodeStateAsUpdate of the final document).
import { writeFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import * as Y from 'yjs'

export function rng (seed) {
  let s = seed >>> 0
  return () => {
    s ^= s << 13; s >>>= 0
    s ^= s >>> 17
    s ^= s << 5; s >>>= 0
    return s / 4294967296
  }
}

function doc (id, gc = true) {
  const d = new Y.Doc({ gc })
  d.clientID = id
  return d
}

// editors: documents whose local updates are recorded (and relayed to the
// others at once unless held).
function room (docs) {
  const log = []
  const held = new Map(docs.map(d => [d, []]))
  const deliver = (from, u) => {
    for (const d of docs) if (d !== from) Y.applyUpdate(d, u, 'remote')
  }
  for (const d of docs) {
    d.on('update', (u, origin) => {
      if (origin === 'remote') return
      log.push(u)
      if (held.get(d).hold) held.get(d).push(u)
      else deliver(d, u)
    })
  }
  return {
    log,
    hold (d) { held.get(d).hold = true },
    release (d) {
      const q = held.get(d)
      q.hold = false
      for (const u of q.splice(0)) deliver(d, u)
    }
  }
}

export function encode (updates) {
  const total = updates.reduce((n, u) => n + 4 + u.length, 0)
  const out = Buffer.alloc(total)
  let pos = 0
  for (const u of updates) {
    out.writeUInt32BE(u.length, pos)
    Buffer.from(u).copy(out, pos + 4)
    pos += 4 + u.length
  }
  return out
}

const scenarios = {
  // One editor types 400 characters one at a time: one struct merged.
  typing () {
    const a = doc(1001)
    const r = room([a])
    const t = a.getText('monaco')
    const src = 'def solve(nums, target):\n    seen = {}\n    for i, x in enumerate(nums):\n'
    for (let i = 0; i < 400; i++) t.insert(t.length, src[i % src.length])
    return { updates: r.log, docs: [a], squashed: true }
  },
  // Astral characters (surrogate pairs) and other multi-byte text, typed.
  unicode_typing () {
    const a = doc(1002)
    const r = room([a])
    const t = a.getText('monaco')
    const chars = ['a', 'é', '€', '😀', '𝄞', 'ß', '中', '🎉', ' ', '\n']
    for (let i = 0; i < 200; i++) t.insert(t.length, chars[i % chars.length])
    return { updates: r.log, docs: [a], squashed: true }
  },
  // Typing with backspaces and inserts in the middle.
  edits () {
    const a = doc(1003)
    const r = room([a])
    const t = a.getText('monaco')
    const rand = rng(7)
    for (let i = 0; i < 300; i++) {
      const x = rand()
      if (x < 0.6) t.insert(t.length, String.fromCharCode(97 + (i % 26)))
      else if (x < 0.75 && t.length > 0) t.delete(t.length - 1, 1)
      else if (x < 0.9) t.insert(Math.floor(rand() * (t.length + 1)), 'M' + i)
      else if (t.length > 3) t.delete(Math.floor(rand() * (t.length - 2)), 2)
    }
    return { updates: r.log, docs: [a] }
  },
  // Two editors typing at once, sometimes at the same place, sometimes
  // while the other's updates are held back (concurrent inserts).
  concurrent () {
    const a = doc(2001)
    const b = doc(2002)
    const r = room([a, b])
    const rand = rng(11)
    for (let round = 0; round < 20; round++) {
      r.hold(a); r.hold(b)
      for (let i = 0; i < 15; i++) {
        for (const d of [a, b]) {
          const t = d.getText('monaco')
          const x = rand()
          if (x < 0.7) t.insert(x < 0.5 ? t.length : Math.floor(rand() * (t.length + 1)), d === a ? 'a' : 'B')
          else if (t.length > 0) t.delete(Math.floor(rand() * t.length), 1)
        }
      }
      r.release(a); r.release(b)
    }
    return { updates: r.log, docs: [a, b] }
  },
  // Map and array content next to the text (ContentAny, parentSub,
  // nested types), with deletions.
  structured () {
    const a = doc(3001)
    const b = doc(3002)
    const r = room([a, b])
    const m = a.getMap('meta')
    m.set('title', 'two-sum')
    m.set('lang', 'python')
    m.set('lang', 'c')
    const arr = b.getArray('runs')
    arr.push([1, 2, 3])
    arr.insert(1, [{ ok: true, ms: 12 }, 'x', null])
    arr.delete(0, 1)
    const nested = new Y.Map()
    m.set('nested', nested)
    nested.set('k', [1, 'two', { three: 3 }])
    const sub = new Y.Array()
    arr.push([sub])
    sub.push(['deep'])
    b.getText('monaco').insert(0, 'print(1)\n')
    a.getText('monaco').insert(9, 'print(2)\n')
    m.delete('title')
    const xml = a.getXmlFragment('xml')
    const el = new Y.XmlElement('p')
    xml.insert(0, [el])
    el.insert(0, [new Y.XmlText('hi')])
    return { updates: r.log, docs: [a, b] }
  },
  // The room's log before the real state vector: after some typing, each
  // joining editor answered the empty step 1 with its whole document, so
  // everything is there twice; one of the documents garbage-collected
  // deleted text (GC and ContentDeleted structs, a delete set).
  duplicates () {
    const a = doc(4001)
    const b = doc(4002)
    const r = room([a, b])
    const t = a.getText('monaco')
    for (let i = 0; i < 120; i++) t.insert(t.length, 'xyz'[i % 3])
    t.delete(10, 30)
    r.log.push(Y.encodeStateAsUpdate(b))
    for (let i = 0; i < 40; i++) b.getText('monaco').insert(5, 'q')
    r.log.push(Y.encodeStateAsUpdate(a))
    const m = b.getMap('m')
    const gone = new Y.Array()
    m.set('gone', gone)
    gone.push(['a', 'b'])
    m.delete('gone') // a deleted nested type: GC structs in a's encoding
    r.log.push(Y.encodeStateAsUpdate(a))
    r.log.push(Y.encodeStateAsUpdate(b))
    return { updates: r.log, docs: [a, b] }
  },
  // Partial overlaps: one update holds a client's clocks 0..k, another
  // (encodeStateAsUpdate from a state vector inside a struct) starts in the
  // middle of a struct, so the merge slices.
  overlap () {
    const a = doc(5001)
    const t = a.getText('monaco')
    t.insert(0, 'hello')
    const u1 = Y.encodeStateAsUpdate(a)
    t.insert(5, ' world, this is one struct')
    t.insert(0, '>> ')
    const sv = new Map([[5001, 3]])
    const u2 = Y.encodeStateAsUpdate(a, Y.encodeStateVector(sv))
    const d = a.getText('monaco').length
    t.delete(2, 4)
    const u3 = Y.encodeStateAsUpdate(a, Y.encodeStateVector(new Map([[5001, 20]])))
    void d
    return { updates: [u1, u2, u3], docs: [a] }
  },
  // Random editing by three editors with held updates and snapshots.
  random () {
    const docs = [doc(6001), doc(6002), doc(6003)]
    const r = room(docs)
    const rand = rng(12345)
    for (let step = 0; step < 600; step++) {
      const d = docs[Math.floor(rand() * docs.length)]
      const x = rand()
      if (x < 0.05) { r.hold(d); continue }
      if (x < 0.12) { r.release(d); continue }
      if (x < 0.14) { r.log.push(Y.encodeStateAsUpdate(d)); continue }
      const t = d.getText('monaco')
      // Positions at code point boundaries, as an editor's cursor is.
      const at = n => boundary(t.toString(), n)
      if (x < 0.7) {
        const s = rand() < 0.1 ? '😀' : String.fromCharCode(97 + Math.floor(rand() * 26))
        t.insert(rand() < 0.6 ? t.length : at(Math.floor(rand() * (t.length + 1))), s)
      } else if (x < 0.85 && t.length > 0) {
        const from = at(Math.floor(rand() * t.length))
        const to = at(Math.min(t.length, from + 1 + Math.floor(rand() * 3)))
        if (to > from) t.delete(from, to - from)
      } else if (x < 0.95) {
        d.getMap('m').set('k' + Math.floor(rand() * 5), step)
      } else {
        d.getArray('a').insert(0, [step, 'v' + step])
      }
    }
    for (const d of docs) r.release(d)
    return { updates: r.log, docs }
  }
}

// A position moved off the middle of a surrogate pair.
function boundary (str, n) {
  const c = str.charCodeAt(n - 1)
  return n > 0 && n < str.length && c >= 0xd800 && c <= 0xdbff ? n + 1 : n
}

// Histories the merge may refuse (TC_ENOTSUP: the caller keeps the updates
// unmerged): an insert inside a surrogate pair splits a string struct there
// (Yjs writes U+FFFD halves), and a later overlap cuts the original pair.
const refusable = {
  split_surrogates () {
    const a = doc(7001)
    const t = a.getText('monaco')
    t.insert(0, 'x😀😀y')
    const u1 = Y.encodeStateAsUpdate(a)
    t.insert(2, 'in the pair')
    const snapshot = Y.encodeStateAsUpdate(a)
    const u2 = Y.encodeStateAsUpdate(a, Y.encodeStateVector(new Map([[7001, 6]])))
    return { updates: [snapshot, u1, u2], docs: [a] }
  }
}

export const refusableNames = Object.keys(refusable)

export function refusableScenario (name) {
  return { name, ...refusable[name]() }
}

export const scenarioNames = Object.keys(scenarios)

export function scenario (name) {
  const s = scenarios[name]()
  return { name, ...s }
}

if (process.argv[2] === '--fixtures') {
  const dir = process.argv[3]
  mkdirSync(dir, { recursive: true })
  for (const name of ['typing', 'unicode_typing', 'concurrent', 'duplicates']) {
    const s = scenario(name)
    writeFileSync(join(dir, `${name}.updates`), encode(s.updates))
    if (s.squashed) writeFileSync(join(dir, `${name}.state`), Y.encodeStateAsUpdate(s.docs[0]))
  }
}
