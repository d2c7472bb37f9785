// Escaping for text that comes from users' files and clusters before it reaches a terminal or
// a GitHub job summary. Pure.

const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

/** One terminal line: control characters (ANSI escapes, bidi overrides) shown as `?`, newlines as spaces. */
export function terminalSafe(s: string): string {
  return s.replace(/\r?\n/g, ' ').replace(CONTROL, '?')
}

const HTML: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '@': '&#64;', // no @-mentions from cluster or file text
  '`': '&#96;',
  '|': '&#124;',
  '[': '&#91;',
  ']': '&#93;',
  '*': '&#42;',
  _: '&#95;',
  '\\': '&#92;',
}

/**
 * Text as HTML with every character that HTML or GitHub Markdown could interpret escaped;
 * newlines become `<br>` so the text never ends an HTML block.
 */
export function escapeHtml(s: string): string {
  return s
    .replace(CONTROL, '')
    .replace(/[&<>"'@`|[\]*_\\]/g, (c) => HTML[c] ?? c)
    .replace(/\r?\n/g, '<br>')
}
