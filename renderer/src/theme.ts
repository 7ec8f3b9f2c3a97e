// Mantine's default theme, made a little denser and with enough contrast for small text (WCAG AA).
import { Badge, Button, createTheme, type CSSVariablesResolver } from '@mantine/core';

export const theme = createTheme({
  primaryColor: 'blue',
  // Shade 8 keeps links, active navigation and light badges above 4.5:1 on white.
  primaryShade: { light: 8, dark: 6 },
  defaultRadius: 'sm',
  autoContrast: true,
  // Staff who ask their system for reduced motion get dialogs and drawers without the slide (e2e screenshots too).
  respectReducedMotion: true,
  fontFamilyMonospace: 'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace',
  components: {
    Button: Button.extend({ defaultProps: { size: 'xs' } }),
    Badge: Badge.extend({ defaultProps: { radius: 'sm' } }),
  },
});

/**
 * Contrast fixes for small text (WCAG AA, 4.5:1): the default "dimmed" grey (gray.6) is too light on white, and
 * the text of light badges and alerts (shade 9 on shade 1) falls short for teal, yellow, orange and red.
 */
export const cssVariablesResolver: CSSVariablesResolver = () => ({
  variables: {},
  light: {
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
  dark: {},
});
