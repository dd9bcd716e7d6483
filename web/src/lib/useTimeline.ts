import { useEffect, useState } from 'react';
import { api, fetchTimeline } from './api';
import { loadRoom } from './session';
import { errorSentence } from './errors';
import { normalizeEvents, userNames, type TimelineEvent } from './timeline';
import { assignColors, STARTER_COLOR } from './colors';

export interface TimelineData {
  events: TimelineEvent[];
  names: Map<string, string>;
  colorOf: (user: string) => string;
}

/* Loads a room's whole timeline (paged) and the names of its people. */
export function useTimeline(room: string): { data: TimelineData | null; error: string; loaded: number } {
  const [data, setData] = useState<TimelineData | null>(null);
  const [error, setError] = useState('');
  const [loaded, setLoaded] = useState(0);
  useEffect(() => {
    let live = true;
    const token = loadRoom(room)?.token;
    (async () => {
      try {
        const [raw, info] = await Promise.all([
          fetchTimeline(room, token, (n) => live && setLoaded(n)),
          api.room(room, token).catch(() => null),
        ]);
        const events = normalizeEvents(raw);
        const members = (Array.isArray(info?.members) ? info!.members : []) as { user?: unknown; color?: unknown }[];
        const given = new Map<string, string>();
        for (const m of members) if (typeof m?.user === 'string' && typeof m.color === 'string') given.set(m.user, m.color);
        const colors = assignColors(
          events.map((e) => e.user),
          given,
        );
        const colorOf = (u: string) => (u ? colors.get(u) ?? STARTER_COLOR : STARTER_COLOR);
        if (live) setData({ events, names: userNames(events, members), colorOf });
      } catch (e) {
        const ae = e as { code?: string; message?: string; status?: number };
        if (live) setError(ae.status === 404 ? errorSentence('NOT_FOUND') : errorSentence(ae.code ?? 'ERROR', ae.message));
      }
    })();
    return () => {
      live = false;
    };
  }, [room]);
  return { data, error, loaded };
}
