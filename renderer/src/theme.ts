// Mantine's default theme, made a little denser and with enough contrast for small text (WCAG AA).
import { Badge, Button, createTheme, Drawer, Menu, Modal, type CSSVariablesResolver } from '@mantine/core';

export const theme = createTheme({
  primaryColor: 'blue',
  // Shade 8 keeps links, active navigation and light badges above 4.5:1 on white, and white text on filled buttons
  // above 4.5:1 in the dark scheme too (shade 6 is 3.5:1).
  primaryShade: { light: 8, dark: 8 },
  defaultRadius: 'sm',
  autoContrast: true,
  // Staff who ask their system for reduced motion get dialogs and drawers without the slide (e2e screenshots too).
  respectReducedMotion: true,
  fontFamilyMonospace: 'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace',
  components: {
    Button: Button.extend({ defaultProps: { size: 'xs' } }),
    Badge: Badge.extend({ defaultProps: { radius: 'sm' } }),
    // The focus placeholder Mantine puts inside role="menu" is a child a menu may not have (axe aria-required-children,
    // critical); without it the first item takes focus on open, which is what keyboard users expect anyway.
    // Every dialog's and drawer's close button has a name (axe button-name, critical: the audit entry drawer had none).
    Modal: Modal.extend({ defaultProps: { closeButtonProps: { 'aria-label': 'Close' } } }),
    Drawer: Drawer.extend({ defaultProps: { closeButtonProps: { 'aria-label': 'Close' } } }),
    Menu: Menu.extend({ defaultProps: { withInitialFocusPlaceholder: false } }),
  },
});

/**
 * Contrast fixes for small text (WCAG AA, 4.5:1): the default "dimmed" grey (gray.6) is too light on white, and
 * the text of light badges and alerts (shade 9 on shade 1) falls short for teal, yellow, orange and red.
 */
export const cssVariablesResolver: CSSVariablesResolver = () => ({
  variables: {},
  light: {
    // Status words in text (errors, "done", warnings, links outside Anchor): one variable each, per scheme.
    '--custodian-text-danger': 'var(--mantine-color-red-9)',
    '--custodian-text-success': 'var(--mantine-color-teal-9)',
    '--custodian-text-warning': 'var(--mantine-color-orange-9)',
    '--custodian-text-link': 'var(--mantine-color-blue-8)',
    '--custodian-bg-subtle': 'var(--mantine-color-gray-0)',
    '--custodian-bg-highlight': 'var(--mantine-color-blue-0)',
    '--custodian-break-glass': '#9c3510',
    '--mantine-color-dimmed': 'var(--mantine-color-gray-7)',
    // Field errors (red.6 by default, 3.3:1 on white) are read by people fixing a form: give them full contrast.
    '--mantine-color-error': 'var(--mantine-color-red-8)',
    // The active navigation link under the pointer: blue.8 text on the default light-hover background (blue.2)
    // is about 3.5:1; blue.9 on blue.1 is 4.9:1.
    '--mantine-color-blue-light-color': 'var(--mantine-color-blue-9)',
    '--mantine-color-blue-light-hover': 'var(--mantine-color-blue-1)',
    '--mantine-color-teal-light-color': '#05664a',
    '--mantine-color-green-light-color': '#1e6b1e',
    '--mantine-color-yellow-light-color': '#7a4b00',
    '--mantine-color-orange-light-color': '#9c3510',
    '--mantine-color-red-light-color': '#a51d1d',
  },
  dark: {
    // Mantine's dark "dimmed" (dark.2) is 4.4:1 on the dark body: one step lighter for small text.
    '--mantine-color-dimmed': 'var(--mantine-color-dark-1)',
    '--custodian-text-danger': 'var(--mantine-color-red-4)',
    '--custodian-text-success': 'var(--mantine-color-teal-4)',
    '--custodian-text-warning': 'var(--mantine-color-orange-4)',
    '--custodian-text-link': 'var(--mantine-color-blue-4)',
    '--custodian-bg-subtle': 'var(--mantine-color-dark-6)',
    '--custodian-bg-highlight': 'var(--mantine-color-dark-5)',
    '--custodian-break-glass': 'var(--mantine-color-orange-4)',
  },
});
