// Stock Yjs clients against our server: two y-websocket providers edit one
// room and converge; a late joiner receives the whole document.  The server
// is a real `tandem serve` started here on a free port with a fresh data dir.
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'

const bin = process.env.TANDEM_BIN
const top = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
let server
let base
let dataDir

function waitFor (cond, what, ms = 10000) {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + ms
    const tick = () => {
      if (cond()) return resolve()
      if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${what}`))
      setImmediate(tick)
    }
    tick()
  })
}

async function post (path, body) {
  const res = await fetch(base + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body)
  })
  const text = await res.text()
  assert.ok(res.status >= 200 && res.status < 300, `${path}: HTTP ${res.status} ${text}`)
  return JSON.parse(text)
}

// ws with the Origin a browser on our own page would send.
function originWs (origin) {
  return class extends WebSocket {
    constructor (url, protocols) { super(url, protocols, { origin }) }
  }
}

function provider (room, token, doc) {
  return new WebsocketProvider(base.replace('http', 'ws') + '/ws/rooms', room, doc, {
    params: { token },
    WebSocketPolyfill: originWs(base),
    disableBc: true
  })
}

before(async () => {
  assert.ok(bin, 'TANDEM_BIN must name the tandem binary')
  dataDir = mkdtempSync(join(tmpdir(), 'tandem-node-'))
  server = spawn(bin, ['serve', '--port', '0', '--data', dataDir, '--problems', join(top, 'sandbox', 'problems')], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  server.stdout.on('data', d => { out += d })
  server.stderr.on('data', d => { out += d })
  await waitFor(() => /listening on (http:\/\/[0-9.]+:\d+)/.test(out), 'the server to listen', 20000)
  base = out.match(/listening on (http:\/\/[0-9.]+:\d+)/)[1]
})

after(() => {
  if (server) server.kill('SIGTERM')
  if (dataDir) rmSync(dataDir, { recursive: true, force: true })
})

test('two stock providers converge and a late joiner gets the document', async (t) => {
  const created = await post('/api/rooms', { problem: 'two-sum', name: 'ada' })
  const joined = await post(`/api/rooms/${created.room}/join`, { invite: created.invite, name: 'alan' })

  const da = new Y.Doc()
  const db = new Y.Doc()
  const dc = new Y.Doc()
  const pa = provider(created.room, created.token, da)
  const pb = provider(created.room, joined.token, db)
  let pc = null
  // Providers and awareness keep timers: end them whatever happens.
  t.after(() => {
    for (const p of [pa, pb, pc]) if (p) p.destroy()
    for (const d of [da, db, dc]) d.destroy()
  })
  await waitFor(() => pa.synced && pb.synced, 'both providers to sync')

  da.getText('monaco').insert(0, 'def f():\n')
  db.getText('monaco').insert(0, '# shared\n')
  for (let i = 0; i < 50; i++) da.getText('monaco').insert(da.getText('monaco').length, `x${i}\n`)
  await waitFor(() => da.getText('monaco').toString() === db.getText('monaco').toString() &&
    db.getText('monaco').toString().includes('x49'), 'the documents to converge')

  const late = await post(`/api/rooms/${created.room}/join`, { invite: created.invite, name: 'grace', role: 'observer' })
  pc = provider(created.room, late.token, dc)
  await waitFor(() => pc.synced && dc.getText('monaco').toString() === da.getText('monaco').toString(),
    'the late joiner to receive the whole document')
  assert.ok(dc.getText('monaco').toString().startsWith('# shared\n') ||
    dc.getText('monaco').toString().startsWith('def f():\n'))
})
