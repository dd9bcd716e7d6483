/*
 * Starter code without duplicates.  The starter text is inserted by a
 * fixed Yjs client id (0), so when two editors both find the room's
 * document empty and both insert it, they create the very same items and
 * Yjs merges them into one copy.  Once client 0 has written, it never
 * writes again: a document someone emptied stays empty.
 */
import * as Y from 'yjs';

export const TEXT_NAME = 'code';
export const STARTER_CLIENT = 0;

export function hasStarter(doc: Y.Doc): boolean {
  return Y.decodeStateVector(Y.encodeStateVector(doc)).has(STARTER_CLIENT);
}

/* The update that writes starter as client 0 into an empty document. */
export function starterUpdate(starter: string): Uint8Array {
  const tmp = new Y.Doc();
  tmp.clientID = STARTER_CLIENT;
  tmp.getText(TEXT_NAME).insert(0, starter);
  const u = Y.encodeStateAsUpdate(tmp);
  tmp.destroy();
  return u;
}

/* Seeds doc with starter when it is empty; true when it did. */
export function seedStarter(doc: Y.Doc, starter: string | null | undefined): boolean {
  if (!starter) return false;
  if (doc.getText(TEXT_NAME).length > 0 || hasStarter(doc)) return false;
  Y.applyUpdate(doc, starterUpdate(starter));
  return true;
}
