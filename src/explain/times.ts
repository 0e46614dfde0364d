/** Event times (Unix seconds) and clock values (ms) as RFC 3339 text for explanations. */

export function formatEventTime(seconds: number): string {
  if (!Number.isFinite(seconds)) return String(seconds);
  const ms = seconds * 1000;
  if (Math.abs(ms) > 8.64e15) return `${seconds} s`;
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

export function formatClock(ms: number): string {
  return formatEventTime(Math.floor(ms / 1000));
}
