// Fixture: beta's contract.
export const beta = 'beta';
export interface BetaShape {
  readonly id: string;
}
