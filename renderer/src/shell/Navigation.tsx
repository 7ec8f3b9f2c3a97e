// Left navigation: plain links (#/<page>), so Tab / Enter work and the browser's history does too. Screens the
// signed-in role cannot use are left out (convenience only: main refuses their calls anyway).
import { NavLink, Stack, Text } from '@mantine/core';
import type { ReactElement } from 'react';
import type { NavSection, PageDefinition } from '../pages/types';
import { hrefFor } from './router';

const SECTIONS: NavSection[] = ['Overview', 'Records', 'Integrity', 'Administration'];

export interface NavigationProps {
  pages: readonly PageDefinition[];
  activeId: string;
  onNavigate?: (id: string) => void;
  /** Whether the signed-in role may use a page; pages it may not are not listed. */
  allows?: (page: PageDefinition) => boolean;
}

export function Navigation({ pages: all, activeId, onNavigate, allows = () => true }: NavigationProps): ReactElement {
  const pages = all.filter(allows);
  return (
    <nav aria-label="Main">
      <Stack gap="sm">
        {SECTIONS.map((section) => {
          const inSection = pages.filter((p) => p.section === section);
          if (inSection.length === 0) return null;
          const headingId = `nav-section-${section.toLowerCase()}`;
          return (
            <div key={section}>
              <Text id={headingId} size="xs" fw={700} tt="uppercase" c="dimmed" px="sm" mb={4} style={{ letterSpacing: '0.04em' }}>
                {section}
              </Text>
              <ul aria-labelledby={headingId} style={{ listStyle: 'none', margin: 0, padding: 0 }}>
                {pages
                  .filter((p) => p.section === section)
                  .map((page) => {
                    const active = page.id === activeId;
                    const Icon = page.icon;
                    return (
                      <li key={page.id}>
                        <NavLink
                          href={hrefFor(page.id)}
                          label={page.label}
                          leftSection={<Icon size={18} />}
                          active={active}
                          aria-current={active ? 'page' : undefined}
                          data-testid={`nav-${page.id}`}
                          onClick={() => onNavigate?.(page.id)}
                          variant="light"
                          py={6}
                          style={{ borderRadius: 'var(--mantine-radius-sm)' }}
                        />
                      </li>
                    );
                  })}
              </ul>
            </div>
          );
        })}
      </Stack>
    </nav>
  );
}
