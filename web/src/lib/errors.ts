/* Server error codes and close codes as plain sentences for people. */
import { CLOSE } from './frames';

const SENTENCES: Record<string, string> = {
  BAD_FRAME: 'The server could not read a message from this page. Reload the page if this keeps happening.',
  BAD_UPDATE: 'The server refused an edit it could not read. Reload the page to get the room’s current code.',
  READ_ONLY: 'You are watching as an observer, so you cannot edit the code.',
  RATE_LIMITED: 'You are sending too fast; the server dropped some messages. Slow down a little.',
  TOO_LARGE: 'That was too large for the server to accept.',
  RUN_BUSY: 'A run is already in progress in this room. Wait for its verdict, then run again.',
  RUN_REJECTED: 'The run could not be started. The code may be too large or the judge may be unavailable.',
  ROOM_FULL: 'This room is full: it already has its two editors. Join as an observer to watch.',
  INVITE_EXPIRED: 'This invite link has expired. Ask for a new one.',
  BAD_INVITE: 'This invite link is not valid or has expired. Ask for a new one.',
  UNAUTHORIZED: 'Your sign-in for this room has expired or is not valid. Open your invite link again.',
  NO_ROOM: 'This room does not exist, or it has been closed.',
  NO_PROBLEM: 'This problem does not exist on this server.',
  UNKNOWN_PROBLEM: 'This problem does not exist on this server.',
  GUEST_DISABLED: 'This server does not accept guests. Sign in first.',
  BAD_NAME: 'That name cannot be used. Use 1 to 40 letters, digits or spaces.',
  STORE: 'The server cannot reach its database right now. Try again in a moment.',
  NO_STORE: 'This server keeps no rooms (it runs without a database).',
  BUSY: 'The server is busy. Try again in a moment.',
  INVITE_INVALID: 'This invite link is not valid. Check that you copied all of it.',
  NOT_FOUND: 'This room does not exist, or it has been closed.',
  NETWORK: 'The server cannot be reached. Check your connection and try again.',
};

export function errorSentence(code: string, message?: string): string {
  if (SENTENCES[code]) return SENTENCES[code];
  if (message && /[a-z]/.test(message)) return message;
  return `Something went wrong (${code}).`;
}

/* Not a wire code: a 4008 whose reason says a newer connection replaced this one. */
export const REPLACED = -4008;

export function closeSentence(code: number): string {
  switch (code) {
    case CLOSE.UNAUTHORIZED:
      return 'Your invite has expired or is not valid any more. Ask for a new invite link.';
    case CLOSE.FORBIDDEN_ORIGIN:
      return 'The server does not accept connections from this address.';
    case CLOSE.NO_ROOM:
      return 'This room does not exist, or it has been closed.';
    case CLOSE.ROOM_FULL:
      return 'This room is full: it already has its two editors. Join as an observer to watch.';
    case REPLACED:
      return 'This room is open in another tab or window, so this one stopped. Close the other one, or reconnect here.';
    case CLOSE.POLICY:
      return 'The server closed the connection after repeated protocol errors. Reconnecting.';
    case CLOSE.SLOW_READER:
      return 'The connection fell behind the room. Reconnecting.';
    case CLOSE.TOO_LARGE:
      return 'A message was too large for the server. Reconnecting.';
    default:
      return 'The connection was closed.';
  }
}
