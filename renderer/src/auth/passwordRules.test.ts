import { describe, expect, it } from 'vitest';
import { confirmProblem, passwordChecks } from './passwordRules';

describe('password rules as shown while typing', () => {
  it.each([
    ['', [false, false]],
    ['short one', [false, true]],
    ['aaaaaaaaaaaaaa', [true, false]],
    ['correct horse battery', [true, true]],
  ])('%j meets %j', (password, met) => expect(passwordChecks(password).map((c) => c.met)).toEqual(met));

  it('says how far a short password is', () => {
    expect(passwordChecks('abc')[0]!.label).toContain('3 so far');
  });

  it('checks the confirmation', () => {
    expect(confirmProblem('a', '')).toMatch(/again/);
    expect(confirmProblem('a', 'b')).toMatch(/differ/);
    expect(confirmProblem('a', 'a')).toBeNull();
  });
});
