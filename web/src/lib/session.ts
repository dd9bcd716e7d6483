/* What the browser remembers: your name and, per room, the token it joined with. */

export interface RoomCredentials {
  room: string;
  token: string;
  user: string;
  role: string;
  name: string;
  invite?: string;
}

const NAME_KEY = 'tandem.name';
const roomKey = (room: string) => `tandem.room.${room}`;

function store(): Storage | null {
  try {
    return typeof localStorage !== 'undefined' ? localStorage : null;
  } catch {
    return null;
  }
}

export function loadName(): string {
  return store()?.getItem(NAME_KEY) ?? '';
}

export function saveName(name: string): void {
  store()?.setItem(NAME_KEY, name);
}

export function loadRoom(room: string): RoomCredentials | null {
  const raw = store()?.getItem(roomKey(room));
  if (!raw) return null;
  try {
    const c = JSON.parse(raw) as RoomCredentials;
    return c && typeof c.token === 'string' ? c : null;
  } catch {
    return null;
  }
}

export function saveRoom(c: RoomCredentials): void {
  store()?.setItem(roomKey(c.room), JSON.stringify(c));
}

export function forgetRoom(room: string): void {
  store()?.removeItem(roomKey(room));
}

export function inviteLink(room: string, invite: string): string {
  const origin = typeof location !== 'undefined' ? location.origin : '';
  return `${origin}/join/${encodeURIComponent(room)}?invite=${encodeURIComponent(invite)}`;
}

/* Accepts a full invite link or just its path. */
export function parseInviteLink(text: string): { room: string; invite: string } | null {
  const t = text.trim();
  if (!t) return null;
  let url: URL;
  try {
    url = new URL(t, 'http://x');
  } catch {
    return null;
  }
  const m = /\/join\/([^/?#]+)/.exec(url.pathname);
  const invite = url.searchParams.get('invite');
  if (!m || !invite) return null;
  return { room: decodeURIComponent(m[1]), invite };
}
