// Structured JSON logs, one object per line on stderr.
export type Logger = (event: string, fields?: Record<string, unknown>) => void;

export function jsonLogger(component: string, quiet = process.env.WARMROUTE_LOG === 'silent'): Logger {
  return (event, fields = {}) => {
    if (quiet) return;
    process.stderr.write(JSON.stringify({ t: new Date().toISOString(), c: component, event, ...fields }) + '\n');
  };
}
