import { StringDecoder } from 'node:string_decoder';
import { EngineError } from '../errors.js';

/** Longest piece of XML one element may span (one row, one shared string) before the file is refused. */
export const MAX_ELEMENT_CHARS = 64 * 1024 * 1024;

/**
 * Cuts a stream of XML bytes into pieces that end right after a closing tag, so a scanner only ever sees
 * whole elements. UTF-8 sequences split across chunks are joined by the StringDecoder.
 */
export class XmlChunker {
  private decoder = new StringDecoder('utf8');
  private carry = '';
  private started = false;

  constructor(
    private readonly closeTag: () => string,
    private readonly onHead: (head: string) => void,
    private readonly onPiece: (xml: string) => void,
  ) {}

  push(chunk: Buffer): void {
    const decoded = this.decoder.write(chunk);
    if (!this.started) {
      const text = this.carry + decoded;
      // The root element (whose prefix names the tags) must be in view before anything is scanned.
      if (text.length < 4096 && !/<(?:\w+:)?(?:worksheet|sst)[\s>]/.test(text)) {
        this.carry = text;
        return;
      }
      this.started = true;
      this.onHead(text.slice(0, 4096));
      this.carry = '';
      this.cut(text);
      return;
    }
    const close = this.closeTag();
    let from = 0;
    if (this.carry) {
      // Finish the element cut by the previous chunk with a small concatenation, not one of the whole chunk.
      const first = decoded.indexOf(close);
      if (first < 0) {
        this.carry += decoded;
        if (this.carry.length > MAX_ELEMENT_CHARS) throw new EngineError('TOO_LARGE', `an XML element is longer than ${MAX_ELEMENT_CHARS} characters`);
        return;
      }
      from = first + close.length;
      const head = this.carry + decoded.slice(0, from);
      this.carry = '';
      this.onPiece(head);
    }
    this.cut(from ? decoded.slice(from) : decoded);
  }

  /** Passes on `text` up to its last closing tag and keeps the rest for the next chunk. */
  private cut(text: string): void {
    const close = this.closeTag();
    const end = text.lastIndexOf(close);
    if (end < 0) {
      if (text.length > MAX_ELEMENT_CHARS) throw new EngineError('TOO_LARGE', `an XML element is longer than ${MAX_ELEMENT_CHARS} characters`);
      this.carry = text;
      return;
    }
    const at = end + close.length;
    this.carry = text.slice(at);
    this.onPiece(at === text.length ? text : text.slice(0, at));
  }

  finish(): void {
    const rest = this.carry + this.decoder.end();
    this.carry = '';
    if (!this.started) {
      this.started = true;
      this.onHead(rest.slice(0, 4096));
    }
    if (rest) this.onPiece(rest);
  }
}

/** The namespace prefix ("x:" or "") of the document's root element `local`. */
export function rootPrefix(head: string, local: string): string {
  const m = new RegExp(`<(\\w+:)?${local}[\\s>]`).exec(head);
  return m?.[1] ?? '';
}
