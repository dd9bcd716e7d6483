import { useEffect, useMemo, useRef, useState } from 'react';
import { Replay as ReplayEngine, markers, playbackTimes, type RunMarker } from '../lib/timeline';
import { useTimeline } from '../lib/useTimeline';
import { verdictColor } from '../lib/colors';
import { onLinkClick } from '../lib/router';
import { VerdictPane } from '../components/VerdictPane';

const SPEEDS = [1, 2, 4, 8, 16];

function timeOf(ts: number): string {
  return ts ? new Date(ts).toLocaleTimeString() : '';
}

export default function Replay({ room }: { room: string }) {
  const { data, error, loaded } = useTimeline(room);
  if (error) {
    return (
      <main className="page narrow">
        <h1>Replay</h1>
        <p role="alert" className="error">{error}</p>
      </main>
    );
  }
  if (!data) {
    return (
      <main className="page" aria-busy="true">
        <h1>Replay</h1>
        <p className="muted">Loading the session… {loaded ? `${loaded} events` : ''}</p>
      </main>
    );
  }
  return <ReplayView room={room} data={data} />;
}

function ReplayView({ room, data }: { room: string; data: NonNullable<ReturnType<typeof useTimeline>['data']> }) {
  const { events, names, colorOf } = data;
  const engine = useMemo(() => new ReplayEngine(events), [events]);
  const marks = useMemo(() => markers(events), [events]);
  const vt = useMemo(() => playbackTimes(events), [events]);
  const [pos, setPos] = useState(events.length);
  const [playing, setPlaying] = useState(false);
  const [speed, setSpeed] = useState(4);
  const [picked, setPicked] = useState<RunMarker | null>(null);
  const head = useRef(0);

  const segments = useMemo(() => engine.segmentsAt(pos), [engine, pos]);
  const nameOf = (u: string) => (u ? names.get(u) ?? u : 'starter code');
  const people = useMemo(() => [...new Set([...engine.owners.values()])], [engine]);

  // Expose the engine to browser tests.
  useEffect(() => {
    (window as unknown as { tandemReplay: unknown }).tandemReplay = { engine, events, setPos };
  }, [engine, events]);

  useEffect(() => {
    if (!playing) return;
    if (pos >= events.length) {
      head.current = 0;
      setPos(0);
    } else {
      head.current = pos > 0 ? vt[pos - 1] : 0;
    }
    let last = performance.now();
    let raf = 0;
    const tick = (now: number) => {
      head.current += (now - last) * speed;
      last = now;
      let n = 0;
      // events whose virtual time has passed
      let lo = 0;
      let hi = vt.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (vt[mid] <= head.current) lo = mid + 1;
        else hi = mid;
      }
      n = lo;
      setPos(n);
      if (n >= events.length) {
        setPlaying(false);
        return;
      }
      raf = requestAnimationFrame(tick);
    };
    raf = requestAnimationFrame(tick);
    return () => cancelAnimationFrame(raf);
    // restart only when play state or speed changes
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [playing, speed]);

  const shownVerdict = useMemo(() => {
    if (picked?.result) return picked;
    for (let i = marks.length - 1; i >= 0; i--) if (marks[i].kind === 'verdict' && marks[i].index <= pos) return marks[i];
    return null;
  }, [marks, pos, picked]);
  const chats = marks.filter((m) => m.kind === 'chat' && m.index <= pos);
  const nowTs = pos > 0 ? events[pos - 1].ts : events[0]?.ts ?? 0;

  return (
    <main className="page replay" data-position={pos} data-total={events.length}>
      <div className="replay-head">
        <h1>Replay of room {room}</h1>
        <a href={`/room/${encodeURIComponent(room)}/summary`} onClick={onLinkClick}>
          Collaboration summary
        </a>
      </div>
      {events.length === 0 ? (
        <p className="muted">Nothing has happened in this room yet.</p>
      ) : (
        <>
          <div className="controls">
            <button type="button" className="primary" onClick={() => setPlaying((p) => !p)} aria-pressed={playing}>
              {playing ? 'Pause' : 'Play'}
            </button>
            <label>
              Speed{' '}
              <select value={speed} onChange={(e) => setSpeed(Number(e.target.value))}>
                {SPEEDS.map((s) => (
                  <option key={s} value={s}>
                    {s}×
                  </option>
                ))}
              </select>
            </label>
            <span className="muted small" aria-live="off">
              event {pos} of {events.length} · {timeOf(nowTs)}
            </span>
          </div>
          <div className="scrubber">
            <div className="marker-track" role="group" aria-label="Runs and chat messages">
              {marks.map((m, i) => (
                <button
                  key={i}
                  type="button"
                  className={`marker marker-${m.kind}`}
                  style={{
                    left: `${(m.index / events.length) * 100}%`,
                    background: m.kind === 'verdict' ? verdictColor(m.status ?? '') : undefined,
                  }}
                  aria-label={
                    m.kind === 'verdict'
                      ? `Verdict ${m.status} for ${nameOf(m.user)} at ${timeOf(m.ts)}`
                      : m.kind === 'run'
                        ? `Run by ${nameOf(m.user)} at ${timeOf(m.ts)}`
                        : `Chat from ${nameOf(m.user)} at ${timeOf(m.ts)}: ${m.text}`
                  }
                  title={m.kind === 'chat' ? `${nameOf(m.user)}: ${m.text}` : `${m.kind} ${m.status ?? ''}`}
                  onClick={() => {
                    setPlaying(false);
                    setPos(m.index);
                    setPicked(m.kind === 'verdict' ? m : null);
                  }}
                />
              ))}
            </div>
            <input
              type="range"
              min={0}
              max={events.length}
              value={pos}
              aria-label="Replay position"
              aria-valuetext={`event ${pos} of ${events.length}, ${timeOf(nowTs)}`}
              onChange={(e) => {
                setPlaying(false);
                setPicked(null);
                setPos(Number(e.target.value));
              }}
            />
          </div>
          <div className="replay-grid">
            <section aria-label="The code at this moment">
              <ul className="legend-list" aria-label="Who wrote what">
                {people.map((u) => (
                  <li key={u || 'starter'}>
                    <span className="swatch" style={{ background: colorOf(u) }} aria-hidden="true" /> {nameOf(u)}
                  </li>
                ))}
              </ul>
              <pre className="replay-code" data-testid="replay-code">
                {segments.map((s, i) => (
                  <span key={i} style={{ color: colorOf(s.user) }} title={nameOf(s.user)} data-user={s.user}>
                    {s.text}
                  </span>
                ))}
              </pre>
            </section>
            <section aria-label="Runs and chat at this moment">
              <h2>Run result</h2>
              {shownVerdict?.result ? (
                <VerdictPane result={shownVerdict.result} by={nameOf(shownVerdict.user)} />
              ) : (
                <p className="muted">No verdict yet at this point.</p>
              )}
              <h2>Chat</h2>
              {chats.length === 0 && <p className="muted">No messages yet at this point.</p>}
              <ol className="chat-log replay-chat">
                {chats.map((c, i) => (
                  <li key={i}>
                    <span className="chat-name" style={{ color: colorOf(c.user) }}>
                      {nameOf(c.user)}
                    </span>{' '}
                    <span className="muted small">{timeOf(c.ts)}</span>
                    <div className="chat-text">{c.text}</div>
                  </li>
                ))}
              </ol>
            </section>
          </div>
        </>
      )}
    </main>
  );
}
