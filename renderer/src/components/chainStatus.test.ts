import { describe, expect, it } from 'vitest';
import { describeHealth } from './chainStatus';

/** formatDateTime's shape in the test process's locale (en-US in Node): "Mar 1, 2025, 10:00:00 AM UTC". */
const WHEN = String.raw`\w{3} \d{1,2}, 2025, \d\d:\d\d:\d\d [AP]M [\w+:−-]+`;

describe('describeHealth (what the status bar, Dashboard and Sync page all show)', () => {
  it('offline: since when and how many queued, in the label itself', () => {
    const view = describeHealth({ state: 'offline', mode: 'embedded', since: '2025-03-01T10:00:00Z', queued: 4, reason: 'no answer within 5 s', source: 'node' });
    expect(view.label).toMatch(new RegExp(`^Offline since ${WHEN}, 4 queued$`));
    expect(view.color).toBe('red');
    expect(view.detail).toBe('The chain node does not answer (no answer within 5 s). Records are still saved here; 4 changes wait in the outbox and are sent when the node returns.');
  });

  it('names the sender when it is the sender that cannot reach the node', () => {
    expect(describeHealth({ state: 'offline', mode: 'external', since: '2025-03-01T10:00:00Z', queued: 1, reason: 'timeout', source: 'sender' }).detail).toMatch(/^The sender cannot reach the chain node \(timeout\)\. .*1 change waits in the outbox and is sent/);
  });

  it('connected and disabled', () => {
    expect(describeHealth({ state: 'connected', mode: 'embedded', since: '2025-03-01T10:00:00Z', queued: 0, blockNumber: 7 })).toMatchObject({ label: 'Connected', color: 'teal' });
    expect(describeHealth({ state: 'disabled', mode: 'embedded', since: null, queued: 2, reason: 'No chain' })).toMatchObject({ label: 'Chain off', color: 'gray' });
  });
});
