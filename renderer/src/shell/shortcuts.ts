// Keyboard shortcuts as a table and a pure key-sequence matcher: `/` search, `n` new consent, `a` check access,
// `g` then a letter to go to a page, `?` this list. The shell turns matched actions into navigation and focus.
import type { Permission } from '../../../main/api/permissions';

export type ShortcutAction =
  | { kind: 'focus-search' }
  | { kind: 'new-consent' }
  | { kind: 'check-access' }
  | { kind: 'go'; page: string }
  | { kind: 'help' };

export interface Shortcut {
  /** Keys pressed one after the other, as KeyboardEvent.key gives them. */
  keys: readonly string[];
  description: string;
  action: ShortcutAction;
  /** Shown and active only for roles with this permission. */
  needs?: Permission;
}

const go = (key: string, page: string, label: string, needs: Permission): Shortcut => ({ keys: ['g', key], description: `Go to ${label}`, action: { kind: 'go', page }, needs });

export const SHORTCUTS: readonly Shortcut[] = [
  { keys: ['/'], description: 'Search consents (MRN, name or provider)', action: { kind: 'focus-search' }, needs: 'consents.view' },
  { keys: ['n'], description: 'Record a new consent', action: { kind: 'new-consent' }, needs: 'consents.grant' },
  { keys: ['a'], description: 'Check access', action: { kind: 'check-access' }, needs: 'consents.view' },
  go('d', 'dashboard', 'the Dashboard', 'status.read'),
  go('c', 'consents', 'Consents', 'consents.view'),
  go('i', 'imports', 'Imports', 'imports.view'),
  go('p', 'credentials', 'Credentials (providers)', 'credentials.view'),
  go('h', 'sharing', 'Sharing', 'sharing.view'),
  go('l', 'claims', 'Claims', 'claims.view'),
  go('s', 'sync', 'Sync', 'sync.view'),
  go('u', 'audit', 'Audit', 'audit.view'),
  go('t', 'settings', 'Settings', 'settings.view'),
  { keys: ['?'], description: 'Show these shortcuts', action: { kind: 'help' } },
];

/** The shortcuts a role may use. */
export function shortcutsFor(can: (p: Permission) => boolean): Shortcut[] {
  return SHORTCUTS.filter((s) => !s.needs || can(s.needs));
}

export interface SequenceStep {
  /** The keys typed so far of a sequence that can still complete. */
  pending: string[];
  /** Set when the key completed a shortcut. */
  action: ShortcutAction | null;
}

/** Feeds one key: completes a shortcut, keeps a prefix pending, or starts over (a wrong key is not an action). */
export function nextKey(shortcuts: readonly Shortcut[], pending: readonly string[], key: string): SequenceStep {
  for (const start of [[...pending, key], [key]]) {
    const exact = shortcuts.find((s) => s.keys.length === start.length && s.keys.every((k, i) => k === start[i]));
    if (exact) return { pending: [], action: exact.action };
    if (shortcuts.some((s) => s.keys.length > start.length && start.every((k, i) => s.keys[i] === k))) return { pending: start, action: null };
  }
  return { pending: [], action: null };
}

/** Typing in a field, or with a modifier held, is never a shortcut. */
export function isTypingTarget(target: { tagName?: string; isContentEditable?: boolean; getAttribute?: (n: string) => string | null } | null): boolean {
  if (!target) return false;
  const tag = (target.tagName ?? '').toUpperCase();
  if (tag === 'INPUT' || tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (target.isContentEditable) return true;
  return target.getAttribute?.('role') === 'textbox';
}
