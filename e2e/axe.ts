// The axe check the specs share: run axe-core on the screen as it is now, attach the findings to the report, and
// return the serious and critical ones as one line each (rule, impact, help, first three targets).
import AxeBuilder from '@axe-core/playwright';
import type { Page, TestInfo } from '@playwright/test';

export const WCAG_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];

/** Serious or critical findings on the current screen, `name · rule (impact): help — targets`; all findings attached. */
export async function seriousAxeFindings(page: Page, testInfo: TestInfo, name: string, tags: readonly string[] = WCAG_AA): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags([...tags]).analyze();
  await testInfo.attach(`axe-${name}.json`, { body: JSON.stringify(results.violations, null, 2), contentType: 'application/json' });
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${name} · ${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(' | ')}`);
}
