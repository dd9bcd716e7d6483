import { useEffect, useState } from 'react';

type Theme = 'light' | 'dark';

function systemTheme(): Theme {
  return window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export function currentTheme(): Theme {
  const t = document.documentElement.dataset.theme;
  return t === 'light' || t === 'dark' ? t : systemTheme();
}

/* Listeners (the Monaco editor) that follow the theme. */
const themeListeners = new Set<(t: Theme) => void>();
export function onThemeChange(fn: (t: Theme) => void): () => void {
  themeListeners.add(fn);
  return () => themeListeners.delete(fn);
}

export function ThemeToggle() {
  const [theme, setTheme] = useState<Theme>(currentTheme);
  useEffect(() => {
    const mq = window.matchMedia?.('(prefers-color-scheme: dark)');
    const onChange = () => {
      if (!document.documentElement.dataset.theme) {
        const t = systemTheme();
        setTheme(t);
        themeListeners.forEach((fn) => fn(t));
      }
    };
    mq?.addEventListener('change', onChange);
    return () => mq?.removeEventListener('change', onChange);
  }, []);
  const toggle = () => {
    const next: Theme = theme === 'dark' ? 'light' : 'dark';
    document.documentElement.dataset.theme = next;
    try {
      localStorage.setItem('tandem.theme', next);
    } catch {
      /* private mode */
    }
    setTheme(next);
    themeListeners.forEach((fn) => fn(next));
  };
  return (
    <button type="button" className="ghost" onClick={toggle} aria-label={`Switch to ${theme === 'dark' ? 'light' : 'dark'} theme`}>
      {theme === 'dark' ? '☀ Light' : '☾ Dark'}
    </button>
  );
}
