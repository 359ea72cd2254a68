/** The HTTP paths cosjob serves for probes and scraping, in both Socket Mode and HTTP mode. */
export const HEALTH_PATHS = {
  live: '/livez',
  ready: '/readyz',
  metrics: '/metrics',
  /** Kept as an alias of /livez for older probes. */
  legacyHealth: '/healthz',
} as const;
