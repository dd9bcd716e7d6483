// The room's merge of Yjs updates (yp_update_merge, through the test tool
// YMERGE_BIN) against Yjs itself: for update sequences from real Y.Doc
// editing (tests/node/ymerge-corpus.mjs), the merged update applied to a
// fresh document gives the same document as the updates applied one by one
// and as Y.mergeUpdates; typing runs become one struct; the state vector
// and the "what a peer lacks" filter agree with Yjs.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as Y from 'yjs'
import { scenario, scenarioNames, refusableScenario, refusableNames, encode, rng } from './ymerge-corpus.mjs'

const bin = process.env.YMERGE_BIN
const dir = mkdtempSync(join(tmpdir(), 'ymerge-'))
process.on('exit', () => rmSync(dir, { recursive: true, force: true }))

let calls = 0
function run (updates, have = null) {
  const n = calls++
  const inPath = join(dir, `in${n}`)
  const outPath = join(dir, `out${n}`)
  const svPath = join(dir, `sv${n}`)
  writeFileSync(inPath, encode(updates))
  const args = [inPath, outPath, svPath]
  if (have) {
    writeFileSync(join(dir, `have${n}`), have)
    args.push(join(dir, `have${n}`))
  }
  const r = spawnSync(bin, args, { encoding: 'utf8' })
  if (r.status !== 0) return { status: r.status, stderr: r.stderr }
  return { status: 0, update: new Uint8Array(readFileSync(outPath)), sv: new Uint8Array(readFileSync(svPath)) }
}

function merge (updates, have = null) {
  const r = run(updates, have)
  assert.equal(r.status, 0, `ymerge_tool failed: ${r.stderr}`)
  return r
}

// The observable state of a document: every root type's JSON.
function snapshot (d) {
  return {
    monaco: d.getText('monaco').toString(),
    meta: d.getMap('meta').toJSON(),
    m: d.getMap('m').toJSON(),
    runs: d.getArray('runs').toJSON(),
    a: d.getArray('a').toJSON(),
    xml: d.getXmlFragment('xml').toString()
  }
}

function fromUpdates (updates) {
  const d = new Y.Doc()
  for (const u of updates) Y.applyUpdate(d, u)
  return d
}

function svMap (bytes) {
  return Object.fromEntries([...Y.decodeStateVector(bytes)].sort((x, y) => x[0] - y[0]))
}

test('the merge tool is given', () => {
  assert.ok(bin, 'YMERGE_BIN must name the ymerge tool')
})

for (const name of scenarioNames) {
  test(`merged update of "${name}" gives the same document`, () => {
    const s = scenario(name)
    const { update, sv } = merge(s.updates)
    const one = fromUpdates(s.updates)
    const merged = fromUpdates([update])
    const theirs = fromUpdates([Y.mergeUpdates(s.updates)])
    assert.deepEqual(snapshot(merged), snapshot(one))
    assert.deepEqual(snapshot(theirs), snapshot(one))
    assert.deepEqual(snapshot(one), snapshot(s.docs[0]))
    assert.equal(merged.store.pendingStructs, null, 'nothing left pending')
    assert.equal(merged.store.pendingDs, null, 'no delete set left pending')
    // Same structs known, same deletions.
    assert.deepEqual(svMap(Y.encodeStateVector(merged)), svMap(Y.encodeStateVector(one)))
    assert.deepEqual(svMap(sv), svMap(Y.encodeStateVector(one)))
    const dsOf = d => {
      const ds = Y.createDeleteSetFromStructStore(d.store)
      return [...ds.clients].sort((x, y) => x[0] - y[0]).map(([c, rs]) => [c, rs.map(r => [r.clock, r.len])])
    }
    assert.deepEqual(dsOf(merged), dsOf(one))
    // Never more structs than Y.mergeUpdates writes.
    const ours = Y.decodeUpdate(update).structs.length
    const yjs = Y.decodeUpdate(Y.mergeUpdates(s.updates)).structs.length
    assert.ok(ours <= yjs, `${ours} structs, Y.mergeUpdates ${yjs}`)
    // Merging the merged update again changes nothing.
    assert.deepEqual(merge([update]).update, update)
  })
}

test('a typing run becomes one struct, byte for byte what a Y.Doc encodes', () => {
  for (const name of ['typing', 'unicode_typing']) {
    const s = scenario(name)
    const { update } = merge(s.updates)
    assert.equal(Y.decodeUpdate(update).structs.length, 1, name)
    assert.deepEqual(update, Y.encodeStateAsUpdate(s.docs[0]), name)
  }
})

test('with a peer\'s state vector the merge holds what the peer lacks', () => {
  for (const name of scenarioNames) {
    const s = scenario(name)
    const whole = merge(s.updates).update.length
    const rand = rng(99)
    for (let k = 0; k < 4; k++) {
      const cut = Math.floor(rand() * s.updates.length)
      const peer = fromUpdates(s.updates.slice(0, cut))
      if (peer.store.pendingStructs !== null) continue
      const { update } = merge(s.updates, Y.encodeStateVector(peer))
      Y.applyUpdate(peer, update)
      assert.deepEqual(snapshot(peer), snapshot(s.docs[0]), `${name} cut at ${cut}`)
      assert.ok(update.length <= whole)
    }
  }
})

test('merging in any split gives the same document', () => {
  const s = scenario('random')
  const want = snapshot(s.docs[0])
  const rand = rng(5)
  for (let k = 0; k < 5; k++) {
    // Merge a prefix, then merge that with the rest (as the room compacts).
    const cut = 1 + Math.floor(rand() * (s.updates.length - 1))
    const first = merge(s.updates.slice(0, cut)).update
    const { update } = merge([first, ...s.updates.slice(cut)])
    assert.deepEqual(snapshot(fromUpdates([update])), want)
  }
})

test('a history the merge cannot slice is refused or merged right', () => {
  for (const name of refusableNames) {
    const s = refusableScenario(name)
    const want = snapshot(fromUpdates(s.updates))
    assert.deepEqual(want, snapshot(s.docs[0]))
    const r = run(s.updates)
    if (r.status === 0) assert.deepEqual(snapshot(fromUpdates([r.update])), want, name)
    else assert.equal(r.status, 3, `${name}: ${r.stderr}`)
  }
})
