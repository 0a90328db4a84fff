/** First extension line of a retention checkpoint (AUD-3); `frontier <base64>` lines follow. */
export const RETENTION_MARKER = 'parapet-retention/1';
