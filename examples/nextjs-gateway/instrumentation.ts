/** Next.js calls this once when a server process starts: boot Cleave then, not on the first request. */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== 'nodejs') return;
  const { cleave } = await import('./cleave.ts');
  await cleave.ready();
}
