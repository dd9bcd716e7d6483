import { useCallback, useEffect, useId, useMemo, useRef, useState } from 'react';
import * as Y from 'yjs';
import { Awareness } from 'y-protocols/awareness';
import { RoomProvider, type Status } from '../lib/provider';
import { api, wsUrl, type ProblemDetail } from '../lib/api';
import { loadRoom, inviteLink, parseInviteLink } from '../lib/session';
import { errorSentence, closeSentence, REPLACED } from '../lib/errors';
import { ApiError } from '../lib/api';
import { colorFor } from '../lib/colors';
import { seedStarter, TEXT_NAME } from '../lib/starter';
import type { ChatMessage, JudgeResult, Member, RoomState } from '../lib/frames';
import { navigate, onLinkClick } from '../lib/router';
import { Editor } from '../components/Editor';
import { Markdown } from '../components/Markdown';
import { VerdictPane } from '../components/VerdictPane';
import { CopyButton } from '../components/CopyButton';
import { showValue } from '../lib/diff';

interface Notice {
  id: number;
  text: string;
}

interface RunView {
  phase: 'idle' | 'sending' | 'queued' | 'running';
  done: number;
  total: number;
  by?: string;
}

const STATUS_TEXT: Record<Status, string> = {
  connecting: 'connecting…',
  online: 'online',
  offline: 'offline — reconnecting',
  closed: 'disconnected',
};

const CHAT_MAX = 2000;
const CHAT_KEEP = 500;

function NoCredentials({ room }: { room: string }) {
  const [link, setLink] = useState('');
  const [err, setErr] = useState('');
  const id = useId();
  return (
    <main className="page narrow">
      <h1>Room {room}</h1>
      <p>You have not joined this room in this browser. Open the invite link you were sent, or paste it here.</p>
      <form
        className="card"
        onSubmit={(e) => {
          e.preventDefault();
          const p = parseInviteLink(link);
          if (!p) return setErr('That does not look like an invite link. It should contain /join/ and ?invite=.');
          navigate(`/join/${encodeURIComponent(p.room)}?invite=${encodeURIComponent(p.invite)}`);
        }}
      >
        <div className="field">
          <label htmlFor={id}>Invite link</label>
          <input id={id} value={link} onChange={(e) => setLink(e.target.value)} />
        </div>
        {err && <p role="alert" className="error">{err}</p>}
        <button type="submit" className="primary">Join</button>
      </form>
      <p>
        <a href={`/replay/${encodeURIComponent(room)}`} onClick={onLinkClick}>
          Watch the replay
        </a>{' '}
        ·{' '}
        <a href={`/room/${encodeURIComponent(room)}/summary`} onClick={onLinkClick}>
          Collaboration summary
        </a>
      </p>
    </main>
  );
}

export default function Room({ room }: { room: string }) {
  const creds = useMemo(() => loadRoom(room), [room]);
  if (!creds) return <NoCredentials room={room} />;
  return <RoomView room={room} creds={creds} />;
}

function RoomView({ room, creds }: { room: string; creds: NonNullable<ReturnType<typeof loadRoom>> }) {
  const readOnly = creds.role === 'observer';
  const { doc, awareness, ytext } = useMemo(() => {
    const doc = new Y.Doc();
    return { doc, awareness: new Awareness(doc), ytext: doc.getText(TEXT_NAME) };
  }, []);
  const providerRef = useRef<RoomProvider | null>(null);
  const [status, setStatus] = useState<Status>('connecting');
  const [synced, setSynced] = useState(false);
  const [everSynced, setEverSynced] = useState(false);
  const [state, setState] = useState<RoomState | null>(null);
  const [problem, setProblem] = useState<ProblemDetail | null>(null);
  const [problemSlug, setProblemSlug] = useState('');
  const [problemError, setProblemError] = useState('');
  const [chat, setChat] = useState<ChatMessage[]>([]);
  const [notices, setNotices] = useState<Notice[]>([]);
  const [fatal, setFatal] = useState<{ code: number; text: string } | null>(null);
  const [run, setRun] = useState<RunView>({ phase: 'idle', done: 0, total: 0 });
  const [verdict, setVerdict] = useState<{ result: JudgeResult; by: string } | null>(null);
  const [typing, setTyping] = useState<Record<number, { name: string; color: string; line?: number }>>({});
  const noticeId = useRef(0);
  const runRef = useRef(run);
  runRef.current = run;

  const notify = useCallback((text: string) => {
    const id = ++noticeId.current;
    setNotices((ns) => [...ns.slice(-4), { id, text }]);
    setTimeout(() => setNotices((ns) => ns.filter((n) => n.id !== id)), 10000);
  }, []);

  const memberName = useCallback(
    (user: string) => state?.members.find((m) => m.user === user)?.name ?? (user === creds.user ? creds.name : user),
    [state, creds],
  );

  // Problem statement and starter: from the room's REST record, or ROOM_STATE.
  useEffect(() => {
    api
      .room(room, creds.token)
      .then((r) => r?.problem && setProblemSlug((s) => s || r.problem))
      .catch(() => {
        /* ROOM_STATE will tell */
      });
  }, [room, creds.token]);
  useEffect(() => {
    if (!problemSlug) return;
    api
      .problem(problemSlug)
      .then(setProblem)
      .catch((e) => setProblemError(errorSentence(e.code, e.message)));
  }, [problemSlug]);

  // The connection.
  useEffect(() => {
    awareness.setLocalStateField('user', { name: creds.name, color: colorFor(creds.user), id: creds.user });
    const p = new RoomProvider(doc, { url: wsUrl(room, creds.token), awareness, readOnly });
    providerRef.current = p;
    const offs = [
      p.on('status', setStatus),
      p.on('synced', (b) => {
        setSynced(b);
        if (b) setEverSynced(true);
      }),
      p.on('state', (s) => {
        setState(s);
        if (s.problem) setProblemSlug((x) => x || s.problem);
        const me = s.members.find((m) => m.user === (s.you || creds.user));
        if (me?.color) awareness.setLocalStateField('user', { name: creds.name, color: me.color, id: creds.user });
        const r = s.run;
        if (r && (r.state === 'queued' || r.state === 'running')) {
          setRun((cur) => ({ ...cur, phase: r.state as 'queued' | 'running', by: r.by }));
        } else if (runRef.current.phase !== 'sending') {
          setRun((cur) => ({ ...cur, phase: 'idle' }));
        }
      }),
      p.on('chat', (m) =>
        setChat((cs) => (m.seq && cs.some((c) => c.seq === m.seq) ? cs : [...cs.slice(-CHAT_KEEP + 1), m])),
      ),
      p.on('progress', (pr) =>
        setRun({ phase: pr.state === 'running' ? 'running' : 'queued', done: pr.done, total: pr.total, by: pr.by }),
      ),
      p.on('verdict', (v) => {
        setVerdict({ result: v.result, by: v.by });
        setRun({ phase: 'idle', done: 0, total: 0 });
      }),
      p.on('error', (e) => {
        if (e.code === 'RUN_BUSY' || e.code === 'RUN_REJECTED') {
          setRun((cur) => (cur.phase === 'sending' ? { phase: 'idle', done: 0, total: 0 } : cur));
        }
        notify(errorSentence(e.code, e.message));
      }),
      p.on('fatal', (f) => {
        const code = f.code === 4008 ? REPLACED : f.code;
        setFatal({ code, text: closeSentence(code) });
      }),
      p.on('status', (st) => {
        // A refused handshake reaches a browser as a plain failure: after two
        // in a row, ask the REST API whether the token or the room is the cause.
        if (st !== 'offline' || p.failedOpens < 2 || p.failedOpens > 4) return;
        api.room(room, creds.token).then(
          () => {},
          (e: ApiError) => {
            const code = e.status === 401 ? 4001 : e.status === 404 ? 4004 : e.status === 403 ? 4003 : 0;
            if (!code || providerRef.current !== p) return;
            p.disconnect();
            setFatal({ code, text: closeSentence(code) });
          },
        );
      }),
    ];
    const online = () => p.reconnectNow();
    const offline = () => p.goOffline();
    window.addEventListener('online', online);
    window.addEventListener('offline', offline);
    (window as unknown as { tandem: unknown }).tandem = { doc, awareness, provider: p, ytext };
    return () => {
      offs.forEach((off) => off());
      window.removeEventListener('online', online);
      window.removeEventListener('offline', offline);
      p.destroy();
      providerRef.current = null;
    };
  }, [doc, awareness, ytext, room, creds, readOnly, notify]);

  // Starter code once the room's document is known to be empty.
  useEffect(() => {
    if (synced && problem && !readOnly) seedStarter(doc, problem.starter);
  }, [synced, problem, readOnly, doc]);

  // Who is where, for the presence list.
  useEffect(() => {
    const update = () => {
      const t: Record<number, { name: string; color: string }> = {};
      awareness.getStates().forEach((st, id) => {
        const u = (st as { user?: { name?: string; color?: string } }).user;
        if (u && id !== awareness.clientID) t[id] = { name: String(u.name ?? ''), color: String(u.color ?? '') };
      });
      setTyping(t);
    };
    awareness.on('change', update);
    return () => awareness.off('change', update);
  }, [awareness]);

  useEffect(() => {
    return () => {
      awareness.destroy();
      doc.destroy();
    };
  }, [doc, awareness]);

  const startRun = useCallback(() => {
    const p = providerRef.current;
    if (readOnly) return notify('Observers cannot start runs; ask an editor to press Run.');
    if (!p || p.status !== 'online') return notify('You are offline. Run again once the connection is back.');
    if (runRef.current.phase !== 'idle') return notify(errorSentence('RUN_BUSY'));
    const code = ytext.toString();
    if (!code.trim()) return notify('There is no code to run yet.');
    if (p.run(code)) setRun({ phase: 'sending', done: 0, total: 0 });
  }, [readOnly, notify, ytext]);

  // Ctrl/Cmd+Enter anywhere on the page (the editor handles its own).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented) return;
      if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') {
        const t = e.target as HTMLElement | null;
        if (t?.closest('.chat-form')) return;
        e.preventDefault();
        startRun();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [startRun]);

  const onEditorReady = useCallback(() => {
    performance.mark('tandem-editor-ready');
    document.body.dataset.editorReady = 'true';
  }, []);

  const members: Member[] = state?.members ?? [];
  const runBusy = run.phase !== 'idle';
  const runLabel =
    run.phase === 'sending'
      ? 'Sending…'
      : run.phase === 'queued'
        ? 'Queued…'
        : run.phase === 'running'
          ? run.total
            ? `Running ${run.done}/${run.total}…`
            : 'Running…'
          : 'Run';

  return (
    <main className="room" data-room={room} data-status={status} data-synced={synced ? 'true' : 'false'}>
      <div className="roombar">
        <h1 className="room-title">{problem?.title ?? 'Room'}</h1>
        <span className={`pill conn-${status}`} role="status" aria-live="polite" data-testid="conn">
          {STATUS_TEXT[status]}
        </span>
        {readOnly && <span className="pill observer">observer: watch only</span>}
        <nav className="room-links" aria-label="Room pages">
          <a href={`/replay/${encodeURIComponent(room)}`} onClick={onLinkClick}>
            Replay
          </a>
          <a href={`/room/${encodeURIComponent(room)}/summary`} onClick={onLinkClick}>
            Summary
          </a>
        </nav>
        {creds.invite && (
          <span className="invite-copy">
            <CopyButton text={inviteLink(room, creds.invite)} label="Copy invite link" text2="Copy invite" />
          </span>
        )}
        <button
          type="button"
          className="primary run"
          onClick={startRun}
          disabled={readOnly || runBusy || status !== 'online'}
          aria-busy={runBusy}
          aria-keyshortcuts="Control+Enter Meta+Enter"
          title="Run (Ctrl+Enter / ⌘+Enter)"
        >
          {runBusy && <span className="spinner" aria-hidden="true" />}
          {runLabel}
        </button>
      </div>

      {fatal && (
        <div className="banner error" role="alert">
          {fatal.text}{' '}
          {fatal.code === 4001 && creds.invite && (
            <a href={`/join/${encodeURIComponent(room)}?invite=${encodeURIComponent(creds.invite)}`} onClick={onLinkClick}>
              Join again
            </a>
          )}
          {fatal.code === REPLACED && (
            <button
              type="button"
              onClick={() => {
                setFatal(null);
                providerRef.current?.connect();
              }}
            >
              Reconnect here
            </button>
          )}
          {fatal.code === 4029 && creds.invite && (
            <a href={`/join/${encodeURIComponent(room)}?invite=${encodeURIComponent(creds.invite)}`} onClick={onLinkClick}>
              Join as an observer
            </a>
          )}
        </div>
      )}
      <div className="notices" aria-live="assertive">
        {notices.map((n) => (
          <div key={n.id} className="notice" role="alert">
            {n.text}
            <button type="button" className="ghost small" aria-label="Dismiss" onClick={() => setNotices((ns) => ns.filter((x) => x.id !== n.id))}>
              ×
            </button>
          </div>
        ))}
      </div>

      <div className="room-grid">
        <section className="statement" aria-label="Problem statement">
          {problemError && <p className="error">{problemError}</p>}
          {!problem && !problemError && <p className="muted">Loading the problem…</p>}
          {problem && (
            <>
              <div className="problem-meta">
                <span className={`difficulty ${problem.difficulty}`}>{problem.difficulty}</span>
                {(problem.tags ?? []).map((t) => (
                  <span key={t} className="tag">
                    {t}
                  </span>
                ))}
              </div>
              <Markdown source={problem.statement} />
              {problem.samples?.length > 0 && (
                <details>
                  <summary>Sample tests</summary>
                  {problem.samples.map((s) => (
                    <dl key={s.name} className="io">
                      <dt>{s.name}: input</dt>
                      <dd>
                        <pre>{showValue(s.input)}</pre>
                      </dd>
                      <dt>expected</dt>
                      <dd>
                        <pre>{showValue(s.expected)}</pre>
                      </dd>
                    </dl>
                  ))}
                </details>
              )}
            </>
          )}
        </section>

        <section className="work" aria-label="Code and verdict">
          <Editor ytext={ytext} awareness={awareness} readOnly={readOnly} onRun={startRun} onReady={onEditorReady} />
          {!everSynced && status !== 'online' && <p className="muted small">The code will appear once the room is reached.</p>}
          <div className="run-progress" aria-live="polite">
            {runBusy && (
              <>
                <span>{run.by && run.by !== creds.user ? `${memberName(run.by)} started a run. ` : ''}</span>
                <span>{runLabel}</span>
                {run.total > 0 && <progress max={run.total} value={run.done} aria-label="Tests judged" />}
              </>
            )}
          </div>
          {verdict ? (
            <VerdictPane
              result={verdict.result}
              by={memberName(verdict.by)}
              reference={typeof problem?.complexity === 'string' ? problem.complexity : problem?.complexity?.class}
            />
          ) : (
            <p className="muted small verdict-empty">
              Press Run (Ctrl+Enter or ⌘+Enter) to judge the code against the tests. In the editor, Ctrl+M switches the Tab key
              between indenting and moving the focus.
            </p>
          )}
        </section>

        <aside className="side">
          <section aria-labelledby="people-h" className="people">
            <h2 id="people-h">People</h2>
            <ul>
              {members.map((m) => (
                <li key={m.user} className={m.online ? 'online' : 'away'}>
                  <span className="dot" style={{ background: m.color ?? colorFor(m.user) }} aria-hidden="true" />
                  <span className="who">
                    {m.name}
                    {m.user === creds.user ? ' (you)' : ''}
                  </span>
                  <span className="role">{m.role}</span>
                  <span className="state">{m.online ? 'online' : 'away'}</span>
                </li>
              ))}
              {members.length === 0 && <li className="muted">Waiting for the room…</li>}
            </ul>
            {Object.keys(typing).length > 0 && (
              <p className="muted small" aria-label="Cursors in the editor">
                In the editor:{' '}
                {Object.entries(typing).map(([id, t], i) => (
                  <span key={id} style={{ color: t.color }}>
                    {i ? ', ' : ''}
                    {t.name}
                  </span>
                ))}
              </p>
            )}
          </section>
          <Chat messages={chat} me={creds.user} onSend={(t) => providerRef.current?.sendChat(t) ?? false} online={status === 'online'} />
        </aside>
      </div>
    </main>
  );
}

function Chat({ messages, me, onSend, online }: { messages: ChatMessage[]; me: string; onSend: (t: string) => boolean; online: boolean }) {
  const [text, setText] = useState('');
  const [err, setErr] = useState('');
  const list = useRef<HTMLOListElement>(null);
  const id = useId();
  useEffect(() => {
    const el = list.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [messages]);
  const send = (e: React.FormEvent) => {
    e.preventDefault();
    const t = text.trim();
    if (!t) return;
    if (t.length > CHAT_MAX) return setErr(`Messages are at most ${CHAT_MAX} characters.`);
    if (!onSend(t)) return setErr('You are offline; the message was not sent.');
    setErr('');
    setText('');
  };
  return (
    <section className="chat" aria-labelledby="chat-h">
      <h2 id="chat-h">Chat</h2>
      <ol ref={list} className="chat-log" aria-live="polite">
        {messages.map((m, i) => (
          <li key={m.seq || `i${i}`} className={m.user === me ? 'mine' : ''}>
            <span className="chat-name">{m.name}</span>{' '}
            <time className="muted small" dateTime={new Date(m.ts).toISOString()}>
              {new Date(m.ts).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}
            </time>
            <div className="chat-text">{m.text}</div>
          </li>
        ))}
      </ol>
      <form className="chat-form" onSubmit={send}>
        <label htmlFor={id} className="sr-only">
          Message
        </label>
        <input id={id} value={text} maxLength={CHAT_MAX} onChange={(e) => setText(e.target.value)} placeholder="Say something" autoComplete="off" />
        <button type="submit" disabled={!online}>
          Send
        </button>
      </form>
      {err && <p role="alert" className="error small">{err}</p>}
    </section>
  );
}
