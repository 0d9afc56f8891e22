/** Inspection found the file unusable; `reason` is shown to the person who uploaded it. */
export class Rejection extends Error {
  constructor(readonly reason: string, readonly contentType: string | null = null) {
    super(reason);
    this.name = 'Rejection';
  }
}
