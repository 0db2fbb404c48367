import { printable } from '../internal/printable';

/** Markup that is already safe: built by {@link html}, whose interpolations are all escaped. */
export class SafeHtml {
  constructor(readonly markup: string) {}

  toString(): string {
    return this.markup;
  }
}

/** What an interpolation of {@link html} may be. */
export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

/**
 * Tagged template of every console page: each interpolated value is shown as {@link escapeText}
 * makes it (for text and for double-quoted attributes), unless it is itself {@link SafeHtml};
 * arrays are joined; `null`, `undefined` and `false` render nothing. Payloads, headers, errors and
 * user names are data, so they are only ever interpolated here.
 */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let markup = strings[0];
  values.forEach((value, index) => {
    markup += render(value) + strings[index + 1];
  });
  return new SafeHtml(markup);
}

/**
 * The console's one escape of a value it shows: control and bidirectional characters written as
 * visible escapes ({@link printable}: an id carrying U+202E shows as `msg_\u202e…`, never
 * reordered), then HTML-escaped.
 */
export function escapeText(text: string): string {
  return escapeHtml(printable(text));
}

/**
 * A value the browser sends back (the value of an input or a hidden field): HTML-escaped only, so
 * that a search or a confirmed replay carries exactly the text it was given.
 */
export function formValue(text: string): SafeHtml {
  return new SafeHtml(escapeHtml(text));
}

/** Text for a `<pre>`: its line breaks kept as layout, every line as {@link escapeText} makes it. */
export function preformatted(text: string): SafeHtml {
  return new SafeHtml(text.split('\n').map(escapeText).join('\n'));
}

/** Escapes `&`, `<`, `>`, `"` and `'`. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ENTITIES[char]);
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function render(value: HtmlValue): string {
  if (value instanceof SafeHtml) return value.markup;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeText(String(value));
}
