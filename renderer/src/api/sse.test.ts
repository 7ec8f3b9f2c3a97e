import { describe, expect, it } from 'vitest';
import { SseParser } from './sse';

describe('SseParser', () => {
  const cases: Array<{ name: string; chunks: string[]; events: string[] }> = [
    { name: 'one event in one chunk', chunks: ['data: {"a":1}\n\n'], events: ['{"a":1}'] },
    { name: 'event split mid-line', chunks: ['da', 'ta: {"a"', ':1}\n', '\n'], events: ['{"a":1}'] },
    { name: 'two events in one chunk', chunks: ['data: 1\n\ndata: 2\n\n'], events: ['1', '2'] },
    { name: 'CRLF split across chunks', chunks: ['data: x\r', '\n\r', '\n'], events: ['x'] },
    // A trailing lone CR might start a CRLF, so the last event waits for the next byte.
    { name: 'bare CR line ends', chunks: ['data: y\r\rdata: z\r\r'], events: ['y'] },
    { name: 'multi-line data joined by newline', chunks: ['data: a\ndata: b\n\n'], events: ['a\nb'] },
    { name: 'comments and other fields ignored', chunks: [': ping\n\nevent: x\nid: 3\ndata: z\n\n'], events: ['z'] },
    { name: 'incomplete event not emitted', chunks: ['data: partial\n'], events: [] },
    { name: 'no space after colon', chunks: ['data:q\n\n'], events: ['q'] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const parser = new SseParser();
      const events = c.chunks.flatMap((chunk) => parser.push(chunk));
      expect(events).toEqual(c.events);
    });
  }
});
