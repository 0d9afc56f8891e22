import { SignJWT, jwtVerify } from 'jose';
import { AppError } from '@rowline/kit';

export type LinkPurpose = 'upload' | 'download';
export type LinkClaims = { fileId: string; tenantId: string };

const ISSUER = 'rowline-files';
const ALG = 'HS256';
/** Our own tokens are a few hundred characters; anything far longer is not one and is not worth verifying. */
const MAX_TOKEN_LENGTH = 2048;

/**
 * What to do about a link that failed, in fixed words (`error.hint`; the README quotes them). Links are
 * short-lived by design, and a new one is one call away: the only cure, whether the link expired, was cut
 * short or tampered with, or was made for the other purpose.
 */
export const LINK_HINTS: Record<LinkPurpose, string> = {
  upload: 'Ask for a new link: call the createUpload mutation again and PUT the bytes to its uploadUrl before its expiresAt',
  download: "Ask for a new link: read the file's downloadUrl field again (file(id) { downloadUrl }, or a run's artifacts { downloadUrl }) and use it at once: it lasts minutes",
};

/**
 * Upload and download links carry a short-lived signed token instead of a session: the bytes go through
 * plain HTTP (browsers, curl, delivery workers), and a link must name one file of one tenant for one
 * purpose. The purpose is the audience, so an upload link can never be replayed as a download link.
 */
export function createFileLinks(opts: { secret: string; publicUrl: string; uploadTtlSeconds: number; downloadTtlSeconds: number }) {
  const key = new TextEncoder().encode(opts.secret);
  const base = opts.publicUrl.replace(/\/+$/, '');

  async function sign(purpose: LinkPurpose, claims: LinkClaims, ttlSeconds: number) {
    const expiresAt = new Date(Date.now() + ttlSeconds * 1000);
    const token = await new SignJWT({ tid: claims.tenantId })
      .setProtectedHeader({ alg: ALG, typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(`files:${purpose}`)
      .setSubject(claims.fileId)
      .setIssuedAt()
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .sign(key);
    return { token, expiresAt };
  }

  return {
    async uploadUrl(claims: LinkClaims) {
      const { token, expiresAt } = await sign('upload', claims, opts.uploadTtlSeconds);
      return { url: `${base}/files/upload/${token}`, expiresAt };
    },
    async downloadUrl(claims: LinkClaims) {
      const { token, expiresAt } = await sign('download', claims, opts.downloadTtlSeconds);
      return { url: `${base}/files/download/${token}`, expiresAt };
    },
    /** The file and tenant a link names; UNAUTHENTICATED when forged, expired or meant for another purpose. */
    async verify(token: string, purpose: LinkPurpose): Promise<LinkClaims> {
      const invalid = new AppError('UNAUTHENTICATED', 'This link is invalid or has expired', { hint: LINK_HINTS[purpose] });
      if (token.length > MAX_TOKEN_LENGTH) throw invalid;
      try {
        const { payload } = await jwtVerify(token, key, { issuer: ISSUER, audience: `files:${purpose}`, algorithms: [ALG] });
        if (typeof payload.sub !== 'string' || typeof payload.tid !== 'string') throw invalid;
        return { fileId: payload.sub, tenantId: payload.tid };
      } catch {
        throw invalid;
      }
    },
  };
}
export type FileLinks = ReturnType<typeof createFileLinks>;
