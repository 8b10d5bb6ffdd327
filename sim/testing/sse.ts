// SSE parsing for tests: events as sent, with their names and JSON data.
export interface SseEvent {
  event: string | undefined;
  data: string;
}

export function parseSse(text: string): SseEvent[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      let event: string | undefined;
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) event = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
      }
      return { event, data: data.join('\n') };
    });
}

export function sseJson(events: SseEvent[]): unknown[] {
  return events.filter((e) => e.data !== '[DONE]').map((e) => JSON.parse(e.data) as unknown);
}
