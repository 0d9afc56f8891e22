/** What a file's first bytes say it is, for the ones people upload by mistake. */
export type Sniffed =
  | { kind: 'zip' }
  | { kind: 'other'; description: string; contentType: string }
  | { kind: 'unknown' };

const SIGNATURES: Array<{ bytes: number[]; description: string; contentType: string }> = [
  { bytes: [0x25, 0x50, 0x44, 0x46, 0x2d], description: 'a PDF document', contentType: 'application/pdf' },
  { bytes: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], description: 'a PNG image', contentType: 'image/png' },
  { bytes: [0xff, 0xd8, 0xff], description: 'a JPEG image', contentType: 'image/jpeg' },
  { bytes: [0x47, 0x49, 0x46, 0x38], description: 'a GIF image', contentType: 'image/gif' },
  {
    bytes: [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1],
    description: 'an Excel 97-2003 (.xls) workbook or a password-protected file',
    contentType: 'application/x-cfb',
  },
  { bytes: [0x50, 0x4b, 0x05, 0x06], description: 'an empty ZIP archive', contentType: 'application/zip' },
  { bytes: [0x1f, 0x8b], description: 'a gzip archive', contentType: 'application/gzip' },
  { bytes: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], description: 'a 7-Zip archive', contentType: 'application/x-7z-compressed' },
  { bytes: [0x52, 0x61, 0x72, 0x21, 0x1a, 0x07], description: 'a RAR archive', contentType: 'application/vnd.rar' },
  { bytes: [0x7b, 0x5c, 0x72, 0x74, 0x66], description: 'an RTF document', contentType: 'application/rtf' },
  { bytes: [0x7f, 0x45, 0x4c, 0x46], description: 'a program (ELF executable)', contentType: 'application/x-executable' },
  { bytes: [0xff, 0xfe], description: 'a text file saved as UTF-16', contentType: 'text/plain; charset=utf-16' },
  { bytes: [0xfe, 0xff], description: 'a text file saved as UTF-16', contentType: 'text/plain; charset=utf-16' },
];

const startsWith = (head: Buffer, bytes: number[]) => head.length >= bytes.length && bytes.every((b, i) => head[i] === b);

export function sniff(head: Buffer): Sniffed {
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04])) return { kind: 'zip' };
  const known = SIGNATURES.find((s) => startsWith(head, s.bytes));
  return known ? { kind: 'other', description: known.description, contentType: known.contentType } : { kind: 'unknown' };
}

/** Checked only for bytes that are not text: two letters are too weak a signature to overrule a csv. */
export function sniffBinary(head: Buffer): { description: string; contentType: string } {
  if (startsWith(head, [0x4d, 0x5a])) return { description: 'a Windows program', contentType: 'application/x-msdownload' };
  return { description: 'a binary file', contentType: 'application/octet-stream' };
}
