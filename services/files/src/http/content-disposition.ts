/**
 * `attachment` with the name twice (RFC 6266): `filename*` in RFC 8187 UTF-8 percent-encoding for clients
 * that read it, and an ASCII-only quoted `filename` for those that do not. Neither form can carry a
 * quote, backslash, control character or newline, so no name can end the header or start another.
 */
export function contentDisposition(name: string): string {
  return `attachment; filename="${asciiFallback(name)}"; filename*=UTF-8''${encodeExtValue(name)}`;
}

export function asciiFallback(name: string): string {
  const ascii = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\x20-\x7e]|["\\%]/g, '_')
    .trim();
  return ascii.replace(/^[_.\s]*$/, '') || 'download';
}

/** RFC 8187 attr-char is ALPHA / DIGIT / "!#$&+-.^_`|~"; everything else is percent-encoded UTF-8. */
function encodeExtValue(value: string): string {
  return encodeURIComponent(value).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
