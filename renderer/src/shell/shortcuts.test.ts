import { describe, expect, it } from 'vitest';
import type { Permission } from '../../../main/api/permissions';
import { isTypingTarget, nextKey, SHORTCUTS, shortcutsFor, type SequenceStep } from './shortcuts';

function feed(keys: string[]): SequenceStep[] {
  const steps: SequenceStep[] = [];
  let pending: string[] = [];
  for (const k of keys) {
    const step = nextKey(SHORTCUTS, pending, k);
    steps.push(step);
    pending = step.pending;
  }
  return steps;
}

describe('keyboard shortcuts', () => {
  it.each([
    [['/'], { kind: 'focus-search' }],
    [['n'], { kind: 'new-consent' }],
    [['a'], { kind: 'check-access' }],
    [['?'], { kind: 'help' }],
    [['g', 'c'], { kind: 'go', page: 'consents' }],
    [['g', 'd'], { kind: 'go', page: 'dashboard' }],
    // A wrong second key starts over; the key itself may begin a new sequence.
    [['g', 'x', 'g', 's'], { kind: 'go', page: 'sync' }],
    [['g', 'n'], { kind: 'new-consent' }],
  ])('%j → %j', (keys, action) => {
    const steps = feed(keys);
    expect(steps.at(-1)!.action).toEqual(action);
    expect(steps.slice(0, -1).every((s) => s.action === null || keys.length > 2)).toBe(true);
  });

  it('keeps a prefix pending and drops an unknown key', () => {
    expect(nextKey(SHORTCUTS, [], 'g')).toEqual({ pending: ['g'], action: null });
    expect(nextKey(SHORTCUTS, ['g'], 'z')).toEqual({ pending: [], action: null });
    expect(nextKey(SHORTCUTS, [], 'z')).toEqual({ pending: [], action: null });
  });

  it('every sequence is unique and none is the prefix of another (each completes unambiguously)', () => {
    const joined = SHORTCUTS.map((s) => s.keys.join(' '));
    expect(new Set(joined).size).toBe(joined.length);
    for (const a of SHORTCUTS) for (const b of SHORTCUTS) if (a !== b) expect(b.keys.slice(0, a.keys.length).join(' ') === a.keys.join(' ') && b.keys.length > a.keys.length).toBe(false);
  });

  it('offers a role only what it may do: an auditor has no "new consent", a clerk no Audit', () => {
    const auditor = new Set<Permission>(['status.read', 'consents.view', 'audit.view']);
    const clerk = new Set<Permission>(['status.read', 'consents.view', 'consents.grant']);
    const forAuditor = shortcutsFor((p) => auditor.has(p)).map((s) => s.description);
    const forClerk = shortcutsFor((p) => clerk.has(p)).map((s) => s.description);
    expect(forAuditor).not.toContain('Record a new consent');
    expect(forAuditor).toContain('Go to Audit');
    expect(forClerk).toContain('Record a new consent');
    expect(forClerk).not.toContain('Go to Audit');
    expect(forClerk).toContain('Show these shortcuts');
  });

  it('typing in a field is never a shortcut', () => {
    expect(isTypingTarget({ tagName: 'INPUT' })).toBe(true);
    expect(isTypingTarget({ tagName: 'textarea' })).toBe(true);
    expect(isTypingTarget({ tagName: 'DIV', isContentEditable: true })).toBe(true);
    expect(isTypingTarget({ tagName: 'BUTTON', getAttribute: () => null })).toBe(false);
    expect(isTypingTarget(null)).toBe(false);
  });
});
