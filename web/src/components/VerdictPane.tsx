import type { JudgeDetail, JudgeResult } from '../lib/frames';
import { lineDiff, showValue } from '../lib/diff';
import { ComplexityChart } from './ComplexityChart';

const STATUS_TEXT: Record<string, string> = {
  ACCEPTED: 'Accepted',
  WRONG_ANSWER: 'Wrong answer',
  TIMEOUT: 'Time limit exceeded',
  MEMORY_LIMIT: 'Memory limit exceeded',
  OUTPUT_LIMIT: 'Output limit exceeded',
  RUNTIME_ERROR: 'Runtime error',
  COMPILE_ERROR: 'Compile error',
  INTERNAL_ERROR: 'Internal error',
  SKIPPED: 'Skipped',
};

export function StatusBadge({ status }: { status: string }) {
  return (
    <span className={`badge status-${status}`} data-status={status}>
      {STATUS_TEXT[status] ?? status}
    </span>
  );
}

function fmtMem(kb: number): string {
  if (!kb) return '—';
  return kb >= 1024 ? `${(kb / 1024).toFixed(1)} MB` : `${kb} KB`;
}

function Diff({ expected, actual }: { expected: unknown; actual: unknown }) {
  const lines = lineDiff(showValue(expected), showValue(actual));
  return (
    <pre className="diff" aria-label="Difference between expected and actual output">
      {lines.map((l, i) => (
        <div key={i} className={`diff-${l.op}`}>
          {l.op === 'del' ? '- ' : l.op === 'add' ? '+ ' : '  '}
          {l.text}
        </div>
      ))}
    </pre>
  );
}

function TestRow({ d, index }: { d: JudgeDetail; index: number }) {
  const name = d.name ?? `test ${index + 1}`;
  return (
    <>
      <tr className={d.ok ? 'ok' : 'bad'}>
        <th scope="row">{d.hidden ? `${name} (hidden)` : name}</th>
        <td>
          <StatusBadge status={d.status} />
        </td>
        <td className="num">{d.time_ms} ms</td>
        <td className="num">{fmtMem(d.mem_kb)}</td>
      </tr>
      {!d.hidden && (
        <tr className="test-detail">
          <td colSpan={4}>
            <details open={!d.ok}>
              <summary>Input, expected and actual</summary>
              <dl className="io">
                <dt>Input</dt>
                <dd>
                  <pre>{showValue(d.input)}</pre>
                </dd>
                <dt>Expected</dt>
                <dd>
                  <pre>{showValue(d.expected)}</pre>
                </dd>
                <dt>Actual</dt>
                <dd>
                  <pre>{showValue(d.actual)}</pre>
                </dd>
              </dl>
              {!d.ok && d.actual !== undefined && <Diff expected={d.expected} actual={d.actual} />}
              {d.message && <p className="muted">{d.message}</p>}
            </details>
          </td>
        </tr>
      )}
    </>
  );
}

export function VerdictPane({ result, by, reference }: { result: JudgeResult; by?: string; reference?: string }) {
  const mem = result.details.reduce((m, d) => Math.max(m, d.mem_kb || 0), 0);
  const outputs = result.details.filter((d) => d.stdout || d.stderr);
  const cex = result.counterexample;
  return (
    <section className="verdict" aria-label="Verdict" data-status={result.status}>
      <div className="verdict-head">
        <StatusBadge status={result.status} />
        <span className="stat" aria-label="Tests passed">
          {result.passed}/{result.total} passed
        </span>
        <span className="stat">{result.time_ms} ms</span>
        <span className="stat">{fmtMem(mem)}</span>
        {by && <span className="muted small">run by {by}</span>}
      </div>
      {result.message && <p className="verdict-message">{result.message}</p>}
      {cex && (
        <div className="counterexample" aria-label="Counterexample">
          <h4>Counterexample{cex.n ? ` (n = ${cex.n})` : ''}</h4>
          <dl className="io">
            <dt>Input</dt>
            <dd>
              <pre>{showValue(cex.input)}</pre>
            </dd>
            <dt>Expected</dt>
            <dd>
              <pre>{showValue(cex.expected)}</pre>
            </dd>
            <dt>Your output</dt>
            <dd>
              <pre>{showValue(cex.actual)}</pre>
            </dd>
          </dl>
          {cex.message && <p className="muted">{cex.message}</p>}
        </div>
      )}
      {result.details.length > 0 && (
        <div className="table-wrap">
          <table className="tests">
            <caption className="sr-only">Per-test results</caption>
            <thead>
              <tr>
                <th scope="col">Test</th>
                <th scope="col">Result</th>
                <th scope="col">Time</th>
                <th scope="col">Memory</th>
              </tr>
            </thead>
            <tbody>
              {result.details.map((d, i) => (
                <TestRow key={i} d={d} index={i} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {outputs.length > 0 && (
        <details className="outputs">
          <summary>Output (stdout and stderr)</summary>
          {outputs.map((d, i) => (
            <div key={i}>
              <h5>{d.name ?? `test ${i + 1}`}</h5>
              {d.stdout && (
                <>
                  <div className="muted small">stdout</div>
                  <pre>{d.stdout}</pre>
                </>
              )}
              {d.stderr && (
                <>
                  <div className="muted small">stderr</div>
                  <pre className="stderr">{d.stderr}</pre>
                </>
              )}
            </div>
          ))}
        </details>
      )}
      {result.complexity_probe && (
        <div className="complexity">
          <h4>Complexity</h4>
          <ComplexityChart probe={result.complexity_probe} reference={reference} />
        </div>
      )}
    </section>
  );
}
