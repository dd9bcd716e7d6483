import { useEffect, useId, useState } from 'react';
import { api, ApiError, type ProblemInfo } from '../lib/api';
import { errorSentence } from '../lib/errors';
import { loadName, saveName, saveRoom, inviteLink, parseInviteLink } from '../lib/session';
import { navigate } from '../lib/router';
import { CopyButton } from '../components/CopyButton';

export function Home() {
  const [name, setName] = useState(loadName);
  const [problems, setProblems] = useState<ProblemInfo[] | null>(null);
  const [loadError, setLoadError] = useState('');
  const [picked, setPicked] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const [created, setCreated] = useState<{ room: string; link: string } | null>(null);
  const [link, setLink] = useState('');
  const [linkError, setLinkError] = useState('');
  const nameId = useId();
  const linkId = useId();

  useEffect(() => {
    api
      .problems()
      .then((ps) => {
        setProblems(Array.isArray(ps) ? ps : []);
        if (Array.isArray(ps) && ps.length) setPicked((p) => p || ps[0].slug);
      })
      .catch((e: ApiError) => setLoadError(errorSentence(e.code, e.message)));
  }, []);

  const create = async (e: React.FormEvent) => {
    e.preventDefault();
    setError('');
    const n = name.trim();
    if (!n) return setError('Enter your name first.');
    if (!picked) return setError('Pick a problem first.');
    saveName(n);
    setBusy(true);
    try {
      const r = await api.createRoom(picked, n);
      saveRoom({ room: r.room, token: r.token, user: r.user, role: r.role, name: n, invite: r.invite });
      setCreated({ room: r.room, link: inviteLink(r.room, r.invite) });
    } catch (err) {
      const ae = err as ApiError;
      setError(errorSentence(ae.code, ae.message));
    } finally {
      setBusy(false);
    }
  };

  const joinByLink = (e: React.FormEvent) => {
    e.preventDefault();
    const p = parseInviteLink(link);
    if (!p) return setLinkError('That does not look like an invite link. It should contain /join/ and ?invite=.');
    setLinkError('');
    if (name.trim()) saveName(name.trim());
    navigate(`/join/${encodeURIComponent(p.room)}?invite=${encodeURIComponent(p.invite)}`);
  };

  return (
    <main className="page home">
      <h1>Pair up on a problem</h1>
      <p className="muted">Two editors, any number of observers, one shared editor and a judge.</p>

      <div className="field">
        <label htmlFor={nameId}>Your name</label>
        <input
          id={nameId}
          value={name}
          maxLength={40}
          autoComplete="nickname"
          onChange={(e) => setName(e.target.value)}
          onBlur={() => name.trim() && saveName(name.trim())}
          placeholder="Ada"
        />
      </div>

      {created ? (
        <section className="card" aria-labelledby="created-h">
          <h2 id="created-h">Room ready</h2>
          <p>Send this invite link to your partner:</p>
          <div className="invite">
            <input readOnly value={created.link} aria-label="Invite link to share" onFocus={(e) => e.currentTarget.select()} />
            <CopyButton text={created.link} label="Copy invite link" />
          </div>
          <button type="button" className="primary" onClick={() => navigate(`/room/${encodeURIComponent(created.room)}`)}>
            Enter the room
          </button>
        </section>
      ) : (
        <form className="card" onSubmit={create} aria-labelledby="create-h">
          <h2 id="create-h">Create a room</h2>
          {loadError && <p role="alert" className="error">{loadError}</p>}
          {!problems && !loadError && <p className="muted">Loading problems…</p>}
          {problems && (
            <fieldset className="problems">
              <legend>Problem</legend>
              {problems.length === 0 && <p className="muted">The server has no problems yet.</p>}
              {problems.map((p) => (
                <label key={p.slug} className={`problem ${picked === p.slug ? 'picked' : ''}`}>
                  <input type="radio" name="problem" value={p.slug} checked={picked === p.slug} onChange={() => setPicked(p.slug)} />
                  <span className="problem-title">{p.title}</span>
                  <span className={`difficulty ${p.difficulty}`}>{p.difficulty}</span>
                  <span className="tags">
                    {(p.tags ?? []).map((t) => (
                      <span key={t} className="tag">
                        {t}
                      </span>
                    ))}
                  </span>
                </label>
              ))}
            </fieldset>
          )}
          {error && <p role="alert" className="error">{error}</p>}
          <button type="submit" className="primary" disabled={busy || !problems?.length}>
            {busy ? 'Creating…' : 'Create room'}
          </button>
        </form>
      )}

      <form className="card" onSubmit={joinByLink} aria-labelledby="join-h">
        <h2 id="join-h">Join by link</h2>
        <div className="field">
          <label htmlFor={linkId}>Invite link you received</label>
          <input id={linkId} value={link} onChange={(e) => setLink(e.target.value)} placeholder="http://…/join/ROOM?invite=…" />
        </div>
        {linkError && <p role="alert" className="error">{linkError}</p>}
        <button type="submit">Join</button>
      </form>
    </main>
  );
}
