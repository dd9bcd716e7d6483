/*
 * gen.cjs - writes the golden Yjs and y-protocols bytes in this folder.
 *
 *   npm install yjs y-protocols lib0      (in a scratch directory)
 *   NODE_PATH=<scratch>/node_modules node gen.cjs <output dir>
 *
 * Every document uses fixed client ids so the bytes are reproducible.
 * expected.txt gets one line per client of every update file, computed by
 * Yjs's own decoder (Y.decodeUpdate), which the C tests use as the oracle:
 *   <file> <client> <inserted UTF-16 units> <deleted> <structs> <gc> <skip>
 */
'use strict';
const fs = require('fs');
const path = require('path');
const Y = require('yjs');
const encoding = require('lib0/encoding');
const syncProtocol = require('y-protocols/sync');
const awarenessProtocol = require('y-protocols/awareness');

const out = process.argv[2] || '.';
const expected = [];

function save(name, bytes) {
	fs.writeFileSync(path.join(out, name), Buffer.from(bytes));
}

/* Save an update and its per-client oracle line(s). */
function saveUpdate(name, update) {
	const probe = new Y.Doc();
	const { structs, ds } = Y.decodeUpdate(update);
	const per = new Map();
	const get = (c) => {
		if (!per.has(c)) per.set(c, { ins: 0, del: 0, structs: 0, gc: 0, skip: 0 });
		return per.get(c);
	};
	for (const s of structs) {
		const e = get(s.id.client);
		e.structs++;
		if (s instanceof Y.GC) e.gc++;
		else if (s instanceof Y.Skip) e.skip++;
		else if (s.content instanceof Y.ContentString) e.ins += s.content.str.length;
	}
	for (const [client, items] of ds.clients) {
		for (const it of items) get(client).del += it.len;
	}
	for (const [c, e] of [...per.entries()].sort((a, b) => a[0] - b[0])) {
		expected.push(`${name} ${c} ${e.ins} ${e.del} ${e.structs} ${e.gc} ${e.skip}`);
	}
	if (per.size === 0) expected.push(`${name} - 0 0 0 0 0`);
	Y.applyUpdate(probe, update); /* Yjs itself accepts every golden update */
	save(name, update);
}

function doc(client) {
	const d = new Y.Doc();
	d.clientID = client;
	return d;
}

function captureUpdates(d, fn) {
	const ups = [];
	const h = (u) => ups.push(u);
	d.on('update', h);
	fn();
	d.off('update', h);
	return ups;
}

/* 1. A single insert of ASCII text. */
{
	const a = doc(1001);
	const [u] = captureUpdates(a, () => a.getText('code').insert(0, 'hello'));
	saveUpdate('insert_ascii.bin', u);
}

/* 2. Text with multi-byte and astral characters (UTF-16 surrogate pairs). */
{
	const a = doc(1002);
	const [u] = captureUpdates(a, () => a.getText('code').insert(0, 'héllo 😀 世界\n'));
	saveUpdate('insert_unicode.bin', u);
}

/* 3. An edit session: insert, then a delete-only update, then typing in the middle. */
{
	const a = doc(1003);
	const t = a.getText('code');
	const ups = captureUpdates(a, () => {
		t.insert(0, 'def f(x):\n    return x\n');
		t.delete(4, 1);
		t.insert(4, 'g');
	});
	saveUpdate('session_1.bin', ups[0]);
	saveUpdate('delete_only.bin', ups[1]);
	saveUpdate('session_3.bin', ups[2]);
}

/* 4. Two clients that merged: the full state has two clients and a delete set. */
{
	const a = doc(2001);
	const b = doc(2002);
	a.getText('code').insert(0, 'print(1)\n');
	Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
	b.getText('code').insert(9, 'print(2)\n');
	b.getText('code').delete(0, 3);
	Y.applyUpdate(a, Y.encodeStateAsUpdate(b));
	a.getText('code').insert(0, '# two\n');
	saveUpdate('two_clients_state.bin', Y.encodeStateAsUpdate(a));
}

/* 5. Every content type a current Yjs writes: Any (all lib0 Any kinds),
 * Binary, Type (with and without a key), Format, Embed, Doc, Deleted,
 * a map (parentSub) and a nested parent given by id. */
{
	const a = doc(3001);
	const m = a.getMap('meta');
	m.set('num', 42);
	m.set('neg', -7);
	m.set('float', 1.5);
	m.set('big', 2 ** 40);
	m.set('str', 'lang=python');
	m.set('yes', true);
	m.set('no', false);
	m.set('nil', null);
	m.set('obj', { a: [1, 'two', { b: null }], c: 'ü' });
	m.set('bytes', new Uint8Array([1, 2, 3]));
	m.set('bigint', 12345678901234567890n);
	const arr = new Y.Array();
	m.set('arr', arr);
	arr.insert(0, [1, 2, 3, 'x', new Uint8Array([9])]);
	arr.delete(1, 1);
	const frag = a.getXmlFragment('xml');
	const el = new Y.XmlElement('p');
	frag.insert(0, [el]);
	el.setAttribute('class', 'note');
	const xt = new Y.XmlText();
	el.insert(0, [xt]);
	xt.insert(0, 'bold', { bold: true });
	xt.insertEmbed(4, { image: 'x.png' });
	const hook = new Y.XmlHook('widget');
	frag.insert(1, [hook]);
	m.set('sub', new Y.Doc({ guid: 'sub-1' }));
	const t = a.getText('code');
	t.insert(0, 'abcdef');
	t.delete(2, 2);
	m.set('num', 43); /* overwrites: the old item becomes deleted */
	saveUpdate('all_content.bin', Y.encodeStateAsUpdate(a));
}

/* 6. GC structs: a deleted nested type's content is garbage collected. */
{
	const a = doc(4001);
	const m = a.getMap('m');
	const inner = new Y.Array();
	m.set('k', inner);
	inner.insert(0, ['a', 'b', 'c']);
	const innerText = new Y.Text();
	inner.insert(0, [innerText]);
	innerText.insert(0, 'gone soon');
	m.set('k', 1);
	saveUpdate('gc.bin', Y.encodeStateAsUpdate(a));
}

/* 7. Skip structs: merging updates with a gap in one client's clock. */
{
	const a = doc(5001);
	const t = a.getText('code');
	const ups = captureUpdates(a, () => {
		t.insert(0, 'one ');
		t.insert(4, 'two ');
		t.insert(8, 'three');
	});
	saveUpdate('skip.bin', Y.mergeUpdates([ups[0], ups[2]]));
}

/* 8. ContentJSON: no current Yjs writes it, but every Yjs reads it.  Encoded
 * by hand with lib0 (one Item, parent by root name, two JSON values). */
{
	const e = encoding.createEncoder();
	encoding.writeVarUint(e, 1); /* one client */
	encoding.writeVarUint(e, 1); /* one struct */
	encoding.writeVarUint(e, 6001); /* client */
	encoding.writeVarUint(e, 0); /* clock */
	encoding.writeUint8(e, 2); /* info: ContentJSON, no origins */
	encoding.writeVarUint(e, 1); /* parent is a root type by name */
	encoding.writeVarString(e, 'legacy');
	encoding.writeVarUint(e, 2); /* two JSON values */
	encoding.writeVarString(e, '{"a":[1,2.5e3,"x\\u00e9"]}');
	encoding.writeVarString(e, 'undefined');
	encoding.writeVarUint(e, 0); /* empty delete set */
	const u = encoding.toUint8Array(e);
	const d = new Y.Doc();
	Y.applyUpdate(d, u);
	if (d.getArray('legacy').length !== 2) throw new Error('ContentJSON not applied');
	saveUpdate('content_json.bin', u);
}

/* 9. The empty update. */
saveUpdate('empty.bin', Y.encodeStateAsUpdate(new Y.Doc()));

/* 10. y-protocols frames exactly as y-websocket writes them. */
{
	const a = doc(7001);
	a.getText('code').insert(0, 'x = 1\n');
	let e = encoding.createEncoder();
	encoding.writeVarUint(e, 0);
	syncProtocol.writeSyncStep1(e, a);
	save('frame_step1.bin', encoding.toUint8Array(e));
	e = encoding.createEncoder();
	encoding.writeVarUint(e, 0);
	syncProtocol.writeSyncStep2(e, a, new Uint8Array([0]));
	save('frame_step2.bin', encoding.toUint8Array(e));
	const [u] = captureUpdates(a, () => a.getText('code').insert(6, 'y'));
	e = encoding.createEncoder();
	encoding.writeVarUint(e, 0);
	syncProtocol.writeUpdate(e, u);
	save('frame_update.bin', encoding.toUint8Array(e));

	const aw = new awarenessProtocol.Awareness(a);
	aw.setLocalState({ user: { name: 'Ada', color: '#30bced' }, cursor: { anchor: 3, head: 5 } });
	e = encoding.createEncoder();
	encoding.writeVarUint(e, 1);
	encoding.writeVarUint8Array(e, awarenessProtocol.encodeAwarenessUpdate(aw, [a.clientID]));
	save('frame_awareness.bin', encoding.toUint8Array(e));
	awarenessProtocol.removeAwarenessStates(aw, [a.clientID], 'test');
	e = encoding.createEncoder();
	encoding.writeVarUint(e, 1);
	encoding.writeVarUint8Array(e, awarenessProtocol.encodeAwarenessUpdate(aw, [a.clientID]));
	save('frame_awareness_removed.bin', encoding.toUint8Array(e));
	aw.destroy();
	e = encoding.createEncoder();
	encoding.writeVarUint(e, 3);
	save('frame_query_awareness.bin', encoding.toUint8Array(e));
}

fs.writeFileSync(path.join(out, 'expected.txt'), expected.join('\n') + '\n');
