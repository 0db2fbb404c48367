const NAMED_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * C0 and C1 controls, DEL, line and paragraph separators, and every bidirectional control: the
 * Arabic letter mark and the left-to-right and right-to-left marks (U+061C, U+200E, U+200F), the
 * embeddings and overrides (U+202A–U+202E) and the isolates (U+2066–U+2069).
 */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * `text` with every character that could move the cursor, recolour, retitle or reorder a terminal
 * or a page (or start a new line) written as a visible escape (`\n`, `\x1b`, `\u202e`), so that a
 * value taken from a request, a payload or an error stays one line, reads in the order it was
 * written, and cannot forge other lines. Other text (accents, emoji, other scripts) is kept as it is.
 *
 * For the logs of your own handlers and listeners, which see the same signed but untrusted values:
 *
 * ```ts
 * this.logger.warn(`message ${printable(event.messageId)} failed: ${printable(event.error)}`);
 * ```
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (character) => {
    const code = character.charCodeAt(0);
    return NAMED_ESCAPES[character] ?? (code < 0x100 ? `\\x${hex(code, 2)}` : `\\u${hex(code, 4)}`);
  });
}

function hex(code: number, digits: number): string {
  return code.toString(16).padStart(digits, '0');
}

/**
 * `JSON.stringify(value)` with every character {@link printable} escapes written as a JSON escape
 * (`\u001b`, `\u202e`): the same value for any JSON reader, and one line that cannot recolour,
 * reorder or forge the terminal it is printed on.
 */
export function printableJson(value: unknown): string {
  return JSON.stringify(value).replace(UNPRINTABLE, (character) => `\\u${hex(character.charCodeAt(0), 4)}`);
}
