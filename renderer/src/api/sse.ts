// Incremental parser for a text/event-stream body read with fetch: turns arbitrary text chunks into the
// `data` of each complete event. Browser mode's push stream sends one JSON PushMessage per event.

/** Splits a server-sent-events stream into event data strings; tolerant of chunk boundaries anywhere. */
export class SseParser {
  private buffer = '';
  private dataLines: string[] = [];

  /** Feeds one decoded chunk; returns the data of every event completed by it, in order. */
  push(chunk: string): string[] {
    this.buffer += chunk;
    const events: string[] = [];
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer);
      if (!match) break;
      // A lone '\r' at the very end may be the first half of '\r\n': wait for the next chunk.
      if (match[0] === '\r' && match.index === this.buffer.length - 1) break;
      const line = this.buffer.slice(0, match.index);
      this.buffer = this.buffer.slice(match.index + match[0].length);
      const data = this.line(line);
      if (data !== null) events.push(data);
    }
    return events;
  }

  private line(line: string): string | null {
    if (line === '') {
      if (this.dataLines.length === 0) return null;
      const data = this.dataLines.join('\n');
      this.dataLines = [];
      return data;
    }
    if (line.startsWith(':')) return null; // comment / keep-alive
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.dataLines.push(value);
    // `event`, `id` and `retry` are not used: the event name travels inside the JSON message.
    return null;
  }
}
