/**
 * Escapes the characters Redis glob patterns (SCAN MATCH) treat specially, so that a key prefix
 * such as `locks[eu]:` matches itself only.
 * @internal
 */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
