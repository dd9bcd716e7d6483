import { useId, useState } from 'react';
import { api, ApiError } from '../lib/api';
import { errorSentence } from '../lib/errors';
import { loadName, saveName, saveRoom, loadRoom } from '../lib/session';
import { navigate } from '../lib/router';

export function Join({ room, invite }: { room: string; invite: string }) {
  const [name, setName] = useState(loadName);
  const [role, setRole] = useState<'editor' | 'observer'>('editor');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const nameId = useId();
  const existing = loadRoom(room);

  const join = async (e: React.FormEvent) => {
    e.preventDefault();
    const n = name.trim();
    if (!n) return setError('Enter your name first.');
    if (!invite) return setError('This link has no invite code. Ask for the full invite link.');
    saveName(n);
    setBusy(true);
    setError('');
    try {
      const r = await api.join(room, invite, n, role === 'observer' ? 'observer' : undefined);
      saveRoom({ room: r.room || room, token: r.token, user: r.user, role: r.role || role, name: n, invite });
      navigate(`/room/${encodeURIComponent(r.room || room)}`, true);
    } catch (err) {
      const ae = err as ApiError;
      let msg = errorSentence(ae.code, ae.message);
      if (ae.status === 410 || /EXPIRED/i.test(ae.code)) msg = errorSentence('INVITE_EXPIRED');
      else if (ae.code === 'BAD_INVITE' || ae.status === 403) msg = errorSentence('BAD_INVITE');
      else if (ae.status === 404) msg = errorSentence(ae.code === 'NO_PROBLEM' ? 'NO_PROBLEM' : 'NOT_FOUND');
      else if (/FULL/i.test(ae.code)) msg = errorSentence('ROOM_FULL');
      setError(msg);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="page narrow">
      <h1>Join room {room}</h1>
      {existing && (
        <p>
          You already joined this room as {existing.name}.{' '}
          <a href={`/room/${encodeURIComponent(room)}`} onClick={(e) => { e.preventDefault(); navigate(`/room/${encodeURIComponent(room)}`); }}>
            Go back in
          </a>
          .
        </p>
      )}
      <form className="card" onSubmit={join}>
        <div className="field">
          <label htmlFor={nameId}>Your name</label>
          <input id={nameId} value={name} maxLength={40} onChange={(e) => setName(e.target.value)} autoFocus />
        </div>
        <fieldset>
          <legend>Join as</legend>
          <label className="inline">
            <input type="radio" name="role" checked={role === 'editor'} onChange={() => setRole('editor')} /> Editor (type and run)
          </label>
          <label className="inline">
            <input type="radio" name="role" checked={role === 'observer'} onChange={() => setRole('observer')} /> Observer (watch only)
          </label>
        </fieldset>
        {error && <p role="alert" className="error">{error}</p>}
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Joining…' : 'Join room'}
        </button>
      </form>
    </main>
  );
}
