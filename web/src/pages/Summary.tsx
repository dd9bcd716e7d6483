import { useMemo } from 'react';
import { summarize } from '../lib/timeline';
import { useTimeline } from '../lib/useTimeline';
import { STARTER_COLOR } from '../lib/colors';
import { onLinkClick } from '../lib/router';

const BUCKETS = 120;

export default function Summary({ room }: { room: string }) {
  const { data, error, loaded } = useTimeline(room);
  const summary = useMemo(() => (data ? summarize(data.events) : null), [data]);
  const nameOf = (u: string) => data?.names.get(u) ?? u;
  return (
    <main className="page summary">
      <div className="replay-head">
        <h1>Collaboration summary</h1>
        <span>
          <a href={`/room/${encodeURIComponent(room)}`} onClick={onLinkClick}>
            Back to the room
          </a>{' '}
          ·{' '}
          <a href={`/replay/${encodeURIComponent(room)}`} onClick={onLinkClick}>
            Replay
          </a>
        </span>
      </div>
      {error && <p role="alert" className="error">{error}</p>}
      {!summary && !error && <p className="muted">Loading the session… {loaded ? `${loaded} events` : ''}</p>}
      {summary && summary.people.length === 0 && <p className="muted">Nobody has written anything yet.</p>}
      {summary && summary.people.length > 0 && (
        <>
          <div className="table-wrap">
            <table className="summary-table">
              <thead>
                <tr>
                  <th scope="col">Person</th>
                  <th scope="col">Inserted</th>
                  <th scope="col">Deleted</th>
                  <th scope="col">Share of the final code</th>
                  <th scope="col">Runs</th>
                  <th scope="col">Chat messages</th>
                </tr>
              </thead>
              <tbody>
                {summary.people.map((p) => (
                  <tr key={p.user} data-user={p.user}>
                    <th scope="row">
                      <span className="swatch" style={{ background: data!.colorOf(p.user) }} aria-hidden="true" /> {nameOf(p.user)}
                    </th>
                    <td className="num">{p.inserted}</td>
                    <td className="num">{p.deleted}</td>
                    <td>
                      <span className="share">
                        <span className="share-bar" style={{ width: `${Math.round(p.share * 100)}%`, background: data!.colorOf(p.user) }} />
                      </span>{' '}
                      {Math.round(p.share * 100)}%
                    </td>
                    <td className="num">{p.runs}</td>
                    <td className="num">{p.chats}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {summary.starterChars > 0 && (
            <p className="muted small">
              <span className="swatch" style={{ background: STARTER_COLOR }} aria-hidden="true" /> {Math.round((summary.starterChars / summary.totalChars) * 100)}% of
              the final code is the problem’s starter code.
            </p>
          )}
          <h2>Who was typing when</h2>
          <TypingTimeline colorOf={data!.colorOf} start={summary.start} end={summary.end} rows={summary.people.map((p) => ({ user: p.user, name: nameOf(p.user), edits: p.edits }))} />
        </>
      )}
    </main>
  );
}

function TypingTimeline({ start, end, rows, colorOf }: { start: number; end: number; rows: { user: string; name: string; edits: number[] }[]; colorOf: (u: string) => string }) {
  const span = Math.max(1, end - start);
  const W = 600;
  const ROW = 26;
  const LABEL = 110;
  const H = rows.length * ROW + 22;
  const bw = (W - LABEL) / BUCKETS;
  return (
    <figure className="chart typing">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`Typing activity from ${new Date(start).toLocaleTimeString()} to ${new Date(end).toLocaleTimeString()}`}>
        {rows.map((r, i) => {
          const buckets = new Array<number>(BUCKETS).fill(0);
          for (const t of r.edits) buckets[Math.min(BUCKETS - 1, Math.floor(((t - start) / span) * BUCKETS))]++;
          const max = Math.max(1, ...buckets);
          return (
            <g key={r.user} transform={`translate(0 ${i * ROW})`}>
              <text x={0} y={ROW / 2 + 4} className="axis">
                {r.name.slice(0, 14)}
              </text>
              <rect x={LABEL} y={4} width={W - LABEL} height={ROW - 8} className="chart-bg" />
              {buckets.map((c, b) =>
                c ? (
                  <rect key={b} x={LABEL + b * bw} y={4} width={Math.max(1, bw)} height={ROW - 8} fill={colorOf(r.user)} opacity={0.25 + (0.75 * c) / max}>
                    <title>{`${r.name}: ${c} edits`}</title>
                  </rect>
                ) : null,
              )}
            </g>
          );
        })}
        <text x={LABEL} y={H - 4} className="axis">
          {new Date(start).toLocaleTimeString()}
        </text>
        <text x={W} y={H - 4} textAnchor="end" className="axis">
          {new Date(end).toLocaleTimeString()}
        </text>
      </svg>
    </figure>
  );
}
