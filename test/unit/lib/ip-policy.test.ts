import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  classifyAddress,
  describeRange,
  isLoopbackHost,
  hostPortKey,
  matchesAllowList,
  parseAllowList,
} from '../../../src/lib/ip-policy.js';

describe('classifyAddress', () => {
  const denied: Array<[string, string]> = [
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['10.0.0.5', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['100.100.100.200', 'carrierGradeNat'],
    ['169.254.169.254', 'linkLocal'],
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['192.0.2.1', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fc00::1', 'uniqueLocal'],
    ['fd00::', 'uniqueLocal'],
    ['fe80::1', 'linkLocal'],
    ['::ffff:127.0.0.1', 'ipv4Mapped'],
    ['::ffff:8.8.8.8', 'ipv4Mapped'],
    ['::ffff:7f00:1', 'ipv4Mapped'],
    ['64:ff9b::7f00:1', 'rfc6052'],
    ['64:ff9b::a9fe:a9fe', 'rfc6052'],
    ['2002:7f00:1::', '6to4'],
    ['2001::1', 'teredo'],
    ['ff02::1', 'multicast'],
    ['2001:db8::1', 'reserved'],
    // IPv4-compatible (::/96, deprecated): ipaddr.js calls these unicast; routed off-box on some hosts.
    ['::7f00:1', 'ipv4Compatible'],
    ['::a9fe:a9fe', 'ipv4Compatible'],
    ['::a00:5', 'ipv4Compatible'],
    ['::808:808', 'ipv4Compatible'],
    // Outside 2000::/3, IANA's global unicast space.
    ['4000::1', 'reserved'],
    ['1::1', 'reserved'],
    ['::1:0:0:1', 'reserved'],
  ];
  for (const [address, range] of denied) {
    it(`denies ${address} (${range})`, () => {
      assert.deepEqual(classifyAddress(address), { allowed: false, range });
    });
  }

  for (const address of ['8.8.8.8', '1.1.1.1', '47.88.1.1', '2606:4700:4700::1111', '2a00:1450:4001::1']) {
    it(`allows public unicast ${address}`, () => {
      assert.deepEqual(classifyAddress(address), { allowed: true, range: 'unicast' });
    });
  }

  for (const text of ['', 'example.com', '127.1', '2130706433', '0x7f.0.0.1', '[::1]', '1.2.3.4.5']) {
    it(`treats non-canonical ${JSON.stringify(text)} as invalid`, () => {
      assert.deepEqual(classifyAddress(text), { allowed: false, range: 'invalid' });
    });
  }
});

describe('describeRange', () => {
  it('names well-known ranges and falls back for others', () => {
    assert.equal(describeRange('private'), 'a private address');
    assert.match(describeRange('carrierGradeNat'), /carrier-grade NAT/);
    assert.match(describeRange('orchid2'), /"orchid2"/);
  });
});

describe('allow-list', () => {
  it('parses host:port entries into canonical keys', () => {
    const list = parseAllowList(['127.0.0.1:9000', 'MinIO.Internal:9000', '[::1]:8080', '[0:0:0:0:0:0:0:1]:80']);
    assert.deepEqual([...list], ['127.0.0.1:9000', 'minio.internal:9000', '[::1]:8080', '[::1]:80']);
  });

  it('matches names case-insensitively and IPv6 in any spelling', () => {
    const list = parseAllowList(['minio.internal:9000', '[::1]:8080', '127.0.0.1:9000']);
    assert.equal(matchesAllowList(list, 'MINIO.internal', 9000), true);
    assert.equal(matchesAllowList(list, '::1', 8080), true);
    assert.equal(matchesAllowList(list, '[::1]', 8080), true);
    assert.equal(matchesAllowList(list, '0:0::1', 8080), true);
    assert.equal(matchesAllowList(list, '127.0.0.1', 9000), true);
  });

  it('does not match another port, host or address', () => {
    const list = parseAllowList(['minio.internal:9000', '127.0.0.1:9000']);
    assert.equal(matchesAllowList(list, 'minio.internal', 9001), false);
    assert.equal(matchesAllowList(list, 'minio.internal.evil', 9000), false);
    assert.equal(matchesAllowList(list, '127.0.0.2', 9000), false);
    assert.equal(matchesAllowList(list, 'not a host', 9000), false);
    assert.equal(matchesAllowList(parseAllowList([]), '127.0.0.1', 9000), false);
  });

  for (const entry of ['127.0.0.1', 'minio', '::1:8080', '[::1]', 'host:0', 'host:70000', 'a@b:80', 'a/b:80', ':80', 'x y:80']) {
    it(`rejects bad entry ${JSON.stringify(entry)}`, () => {
      assert.throws(() => parseAllowList([entry]), TypeError);
    });
  }

  it('hostPortKey normalises the same way as the URL parser', () => {
    assert.equal(hostPortKey('Example.COM', 443), 'example.com:443');
    assert.equal(hostPortKey('::ffff:127.0.0.1', 80), '[::ffff:7f00:1]:80');
    assert.equal(hostPortKey('[::1]', 8080), '[::1]:8080');
  });
});

describe('isLoopbackHost', () => {
  it('knows the hosts only this machine reaches', () => {
    for (const host of ['localhost', 'LOCALHOST', '127.0.0.1', '127.1.2.3', '::1', '[::1]']) assert.equal(isLoopbackHost(host), true, host);
    for (const host of ['0.0.0.0', '::', '10.0.0.1', 'example.com', '::7f00:1', 'localhost.example.com']) assert.equal(isLoopbackHost(host), false, host);
  });
});
