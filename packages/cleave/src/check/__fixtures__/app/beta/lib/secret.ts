// Fixture: an internal of beta.
export const secret = 41;
