/** The endpoints and audiences of Parapet's authorization server at `publicUrl`. */
export function oauthEndpoints(publicUrl: string) {
  const apiAudience = `${publicUrl}/api`;
  return { issuer: publicUrl, tokenEndpoint: `${publicUrl}/oauth/token`, apiAudience, audiences: [apiAudience] } as const;
}

export type OAuthEndpoints = ReturnType<typeof oauthEndpoints>;
