/** One line of the seed's "Microservices Checklist", answered with evidence. */
export interface ChecklistItem {
  /** The seed's words. */
  readonly item: string;
  /** `unknown`: the evidence needed is missing (say where to put it). */
  readonly status: 'met' | 'unmet' | 'unknown';
  readonly evidence: readonly string[];
}

export interface ChecklistGroup {
  /** The seed's heading: Business Case, Technical Preparation, Infrastructure, Team. */
  readonly name: string;
  readonly items: readonly ChecklistItem[];
}

export const item = (name: string, status: ChecklistItem['status'], evidence: readonly string[]): ChecklistItem => ({ item: name, status, evidence });

export const metWhen = (ok: boolean | undefined): ChecklistItem['status'] => (ok === undefined ? 'unknown' : ok ? 'met' : 'unmet');
