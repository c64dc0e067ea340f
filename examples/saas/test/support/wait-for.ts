/** Polls `check` until it returns true or `timeoutMs` passes (no fixed sleeps in tests). */
export async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 60_000, intervalMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await check()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export async function isReady(url: string): Promise<boolean> {
  const res = await fetch(`${url}/readyz`);
  return res.status === 200;
}
