/** Parapet's client SDK: what an integrating application needs to call Parapet. */
export { signRequest, canonicalRequest, canonicalQuery, bodyDigest, computeSignature, SIGNATURE_ALGORITHM, TIMESTAMP_HEADER, SIGNATURE_HEADER, MAX_CLOCK_SKEW_SECONDS, type SignRequestOptions, type SignedHeaders } from './signing.ts';
