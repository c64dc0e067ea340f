import { describe, expect, it } from 'vitest';
import { clientAddress, parseTrustProxy, trustCheck } from './client-ip.ts';

const ip = (socket: string, xff: string | undefined, setting: string | undefined) => clientAddress(socket, xff, trustCheck(parseTrustProxy(setting)));

describe('client address behind proxies (issue 12)', () => {
  it('without a trusted proxy, the socket peer is the client whatever the header says', () => {
    expect(ip('203.0.113.9', '1.2.3.4', undefined)).toBe('203.0.113.9');
    expect(ip('203.0.113.9', '1.2.3.4', '0')).toBe('203.0.113.9');
  });

  it('one trusted hop takes the address that proxy saw, not the client-written left-most entry', () => {
    // The client sent "X-Forwarded-For: <anything>"; the proxy appended the real peer.
    for (const forged of ['1.1.1.1', '2.2.2.2', '9.9.9.9, 8.8.8.8']) {
      expect(ip('10.0.0.5', `${forged}, 198.51.100.7`, '1')).toBe('198.51.100.7');
    }
    expect(ip('10.0.0.5', '198.51.100.7', 'true')).toBe('198.51.100.7');
    expect(ip('10.0.0.5', undefined, '1')).toBe('10.0.0.5');
  });

  it('counts hops from the right', () => {
    expect(ip('10.0.0.5', '6.6.6.6, 198.51.100.7, 10.0.0.4', '2')).toBe('198.51.100.7');
  });

  it('with a list of proxy addresses, trusts only entries those proxies wrote', () => {
    expect(ip('10.0.0.5', '6.6.6.6, 198.51.100.7, 10.0.0.4', '10.0.0.0/8')).toBe('198.51.100.7');
    // A peer that is not a listed proxy is the client itself, header or not.
    expect(ip('198.51.100.8', '6.6.6.6', '10.0.0.0/8, loopback')).toBe('198.51.100.8');
    expect(() => parseTrustProxy('not-an-address')).toThrow();
  });
});
