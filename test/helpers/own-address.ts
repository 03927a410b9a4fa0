import { networkInterfaces } from 'node:os';

/**
 * This machine's own non-loopback IPv4 address, for tests of what the gateway does when bound
 * beyond loopback (traffic still goes only to this machine). There is no silent skip: a machine
 * without one fails the test that asks, loudly.
 */
export function ownNonLoopbackIPv4(): string {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === 'IPv4' && !a.internal && !a.address.startsWith('127.')) return a.address;
  }
  throw new Error('this machine has no non-loopback IPv4 address (os.networkInterfaces()): the security tests must bind beyond loopback and cannot run here');
}
