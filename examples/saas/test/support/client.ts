import { randomUUID } from 'node:crypto';

export interface ApiResponse<T = any> { // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
  readonly contentType: string;
}

export interface RequestOptions {
  readonly method?: string;
  readonly body?: unknown;
  /** Sent as-is (malformed-body tests, images); wins over `body`. */
  readonly rawBody?: string | Uint8Array;
  readonly token?: string;
  readonly headers?: Record<string, string>;
}

// Random per test process: with REDIS_URL, rate-limit counters outlive a run, and the
// next run must not inherit them through a reused address.
const ipBase = Math.floor(Math.random() * 0xffff);
let nextIp = 1;

/**
 * A client of the public API, as an app would use it. Each client has its own source
 * address (X-Forwarded-For; the test deployments trust it) so rate limits per IP are
 * per client.
 */
export class ApiClient {
  readonly ip: string;
  constructor(readonly baseUrl: string, ip?: string) {
    this.ip = ip ?? `10.${(ipBase >> 8) & 255}.${ipBase & 255}.${nextIp++ & 255}`;
  }

  async request<T = any>(path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> { // eslint-disable-line @typescript-eslint/no-explicit-any
    const headers: Record<string, string> = { 'x-forwarded-for': this.ip, ...options.headers };
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    let body: string | Uint8Array | undefined;
    if (options.rawBody !== undefined) body = options.rawBody;
    else if (options.body !== undefined) {
      body = JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(this.baseUrl + path, { method: options.method ?? (body === undefined ? 'GET' : 'POST'), headers, ...(body === undefined ? {} : { body: body as string }) });
    const text = await res.text();
    const contentType = res.headers.get('content-type') ?? '';
    return { status: res.status, headers: res.headers, contentType, body: (text && contentType.includes('json') ? JSON.parse(text) : text) as T };
  }

  /** Signs up a fresh user and returns its tokens and id. */
  async signup(name = 'Test User'): Promise<Session> {
    const email = `u-${randomUUID()}@example.com`;
    const password = `pw-${randomUUID()}`;
    const res = await this.request('/api/v1/auth/signup', { body: { email, password, name } });
    if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${JSON.stringify(res.body)}`);
    return { email, password, name, userId: res.body.user.id, accessToken: res.body.accessToken, refreshToken: res.body.refreshToken };
  }
}

export interface Session {
  readonly email: string;
  readonly password: string;
  readonly name: string;
  readonly userId: string;
  readonly accessToken: string;
  readonly refreshToken: string;
}
