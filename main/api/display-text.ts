// Text that people read on screen (patient and provider names, organisations): characters that change how other
// characters display are refused where text enters, so a name cannot be made to show as something else.

/**
 * Unicode bidirectional controls: embeddings and overrides (U+202A-U+202E), isolates (U+2066-U+2069), the marks
 * (U+200E, U+200F, U+061C). A right-to-left override turns "Roe, Jane<RLO>cod.exe" into a different-looking name.
 */
export const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/;

/** The first bidirectional control in `value`, as U+XXXX, or null. */
export function bidiControlIn(value: string): string | null {
  const m = BIDI_CONTROLS.exec(value);
  return m ? `U+${m[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}` : null;
}

/** The reason a displayed text is refused for its bidirectional controls (naming the first), or null. */
export function bidiProblem(value: string): string | null {
  const found = bidiControlIn(value);
  return found ? `contains a bidirectional control character (${found}) that can make it display as different text` : null;
}
