import { useState } from 'react';

export function CopyButton({ text, label, text2 }: { text: string; label: string; text2?: string }) {
  const [done, setDone] = useState('');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setDone('Copied');
    } catch {
      setDone('Select the link and copy it');
    }
    setTimeout(() => setDone(''), 2000);
  };
  return (
    <>
      <button type="button" onClick={copy} aria-label={label}>
        {text2 ?? 'Copy'}
      </button>
      <span role="status" aria-live="polite" className="muted small">
        {done}
      </span>
    </>
  );
}
