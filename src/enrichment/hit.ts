/** One finding of a threat-intel (Wise) or vulnerability (Nesd) lookup, as an alarm carries it. */
export interface EnrichmentHit {
  readonly provider: string;
  readonly term: string;
  readonly result: string;
}
