// What the shell needs to know about a screen: where it lives, how it is labelled, what it needs.
// Adding a screen = a folder under pages/ exporting one PageDefinition, listed in pages/registry.ts.
import type { ComponentType } from 'react';
import type { Permission } from '../../../main/api/permissions';

export type NavSection = 'Overview' | 'Records' | 'Integrity' | 'Administration';

export interface PageDefinition {
  /** Stable id: used in the URL (#/<id>) and test ids (nav-<id>). */
  id: string;
  label: string;
  /** One sentence under the title saying what the screen is for. */
  description: string;
  section: NavSection;
  icon: ComponentType<{ size?: number }>;
  /** The permission a role needs to use the screen (main enforces it; the UI only explains). */
  permission: Permission;
  Component: ComponentType;
}
