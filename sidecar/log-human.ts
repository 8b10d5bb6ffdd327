// One sentence per log event for a person reading a terminal. Events without
// a sentence of their own print as `event key=value …`.
type Fields = Record<string, unknown>;

const str = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));
const seconds = (ms: unknown): string => (typeof ms === 'number' ? `${(ms / 1000).toFixed(1)} s` : '?');

function transition(f: Fields): string {
  const why = f.reason ? ` (${str(f.reason)})` : '';
  if (f.kind === 'health') return f.to === 'down' ? `backend ${str(f.backend)} is DOWN${why}; no traffic until a probe answers` : `backend ${str(f.backend)} is up`;
  const took = f.loadMs !== undefined ? `, load took ${seconds(f.loadMs)}` : '';
  const verb = f.to === 'warm' ? 'is warm' : f.to === 'loading' ? 'is loading' : f.to === 'cold' ? 'was unloaded' : `is ${str(f.to)}`;
  return `${str(f.backend)}: ${str(f.model)} ${verb} (was ${str(f.from)}${took})${why}`;
}

const SENTENCES: Record<string, (f: Fields) => string> = {
  backend_transition: transition,
  request_rejected: (f) => `refused a request for ${str(f.model)}: ${str(f.status)} ${str(f.code)}${f.message ? ` — ${str(f.message)}` : ''}`,
  request_routed: (f) => `${str(f.model)} → ${str(f.backend)} (${str(f.reason)}${f.queued_ms ? `, waited ${str(f.queued_ms)} ms in the queue` : ''})`,
  policy_reloaded: (f) => `policy reloaded: backends ${Array.isArray(f.backends) ? f.backends.join(', ') : str(f.backends)}; strategy ${str(f.strategy)}`,
  policy_rejected: (f) => `policy edit rejected, still running the previous one: ${str(f.error)}`,
  sidecar_started: (f) =>
    `sidecar up: ext_proc on ${str(f.grpc)}, admin/dashboard on http://${str(f.admin)}/ (Envoy mode ${str(f.mode)}, strategy ${str(f.strategy)})` +
    (Array.isArray(f.backends) ? f.backends.map((b) => `\n    backend ${str(b)}`).join('') : ''),
  extproc_error: (f) => `error while handling a request: ${str(f.error)}`,
};

export function humanLine(event: string, fields: Fields): string {
  const sentence = SENTENCES[event];
  if (sentence) return sentence(fields);
  const rest = Object.entries(fields).map(([k, v]) => `${k}=${str(v)}`);
  return [event.replace(/_/g, ' '), ...rest].join(' ');
}
