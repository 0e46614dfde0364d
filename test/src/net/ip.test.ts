import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { cidrContains, formatCidr, formatIp, isGlobalIp, isHostCidr, parseCidr, parseIp } from '../../../src/net/ip.js';
import { cidr, ip } from '../helpers.js';

describe('parseIp with IPv4 literals', () => {
  const valid: Array<[string, number]> = [
    ['0.0.0.0', 0],
    ['192.168.0.1', 0xc0a80001],
    ['10.0.0.1', 0x0a000001],
    ['255.255.255.255', 0xffffffff],
    ['1.2.3.4', 0x01020304],
  ];
  for (const [text, value] of valid) {
    it(`reads ${text} as the 32-bit value ${value}`, () => {
      assert.deepEqual(parseIp(text), { family: 4, v4: value });
    });
  }

  const invalid = [
    '01.2.3.4', // leading zero
    '1.2.3.04',
    '1.02.3.4',
    '00.0.0.0',
    '256.0.0.1', // out of range
    '1.2.3.300',
    '1.2.3.1000',
    '1.2.3', // too few octets
    '1.2.3.4.5', // too many
    '1.2.3.',
    '.1.2.3',
    '1..3.4',
    '',
    ' 1.2.3.4',
    '1.2.3.4 ',
    '+1.2.3.4',
    '1.2.3.-4',
    '0x1.2.3.4',
    '1.2.3.4/32',
    '10',
  ];
  for (const text of invalid) {
    it(`refuses ${JSON.stringify(text)}`, () => {
      assert.equal(parseIp(text), undefined);
    });
  }
});

describe('parseIp with IPv4-mapped IPv6 literals', () => {
  for (const text of ['::ffff:192.168.0.2', '::FFFF:192.168.0.2', '::ffff:c0a8:2', '0:0:0:0:0:ffff:192.168.0.2', '0000:0000:0000:0000:0000:ffff:c0a8:0002']) {
    it(`reads ${text} as the IPv4 address 192.168.0.2 (Go To4)`, () => {
      assert.deepEqual(parseIp(text), { family: 4, v4: 0xc0a80002 });
      assert.equal(formatIp(parseIp(text) ?? { family: 4, v4: 0 }), '192.168.0.2');
    });
  }

  it('keeps the neighbours of the mapped block IPv6 (::fffe:..., ::1:ffff:..., IPv4-compatible ::1.2.3.4)', () => {
    for (const text of ['::fffe:c0a8:2', '::1:ffff:c0a8:2', '::1.2.3.4', '64:ff9b::192.168.0.2']) assert.equal(parseIp(text)?.family, 6, text);
  });
});

describe('parseIp with IPv4 literals: the character scanner against a plain reference (property)', () => {
  /** Four parts split on dots, each "0" or 1-3 digits without a leading zero, at most 255. */
  const reference = (text: string): number | undefined => {
    const parts = text.split('.');
    if (parts.length !== 4) return undefined;
    let value = 0;
    for (const part of parts) {
      if (!/^(0|[1-9][0-9]{0,2})$/.test(part) || Number(part) > 255) return undefined;
      value = value * 256 + Number(part);
    }
    return value;
  };
  const v4Of = (text: string) => {
    const parsed = parseIp(text);
    return parsed?.family === 4 ? parsed.v4 : undefined;
  };

  it('agrees on strings of digits and dots', () => {
    const chars = fc.constantFrom('0', '1', '2', '5', '9', '.', '.', 'a', ' ', '-');
    fc.assert(
      fc.property(fc.array(chars, { maxLength: 18 }).map((cs) => cs.join('')), (text) => {
        assert.equal(v4Of(text), reference(text), JSON.stringify(text));
      }),
      { numRuns: 5000 },
    );
  });

  it('agrees on quads of numbers with and without leading zeros, in and out of range', () => {
    const part = fc.oneof(fc.integer({ min: 0, max: 300 }).map(String), fc.integer({ min: 0, max: 99 }).map((n) => `0${n}`), fc.constant(''));
    fc.assert(
      fc.property(fc.array(part, { minLength: 3, maxLength: 5 }).map((ps) => ps.join('.')), (text) => {
        assert.equal(v4Of(text), reference(text), JSON.stringify(text));
      }),
      { numRuns: 5000 },
    );
  });
});

describe('parseIp with IPv6 literals', () => {
  const valid: Array<[string, bigint]> = [
    ['::', 0n],
    ['::1', 1n],
    ['1::', 1n << 112n],
    ['1:2:3:4:5:6:7:8', 0x0001_0002_0003_0004_0005_0006_0007_0008n],
    ['2002:c0a8:0001:0:0:0:0:1', 0x2002_c0a8_0001_0000_0000_0000_0000_0001n],
    ['2002:C0A8:1::1', 0x2002_c0a8_0001_0000_0000_0000_0000_0001n],
    ['fe80::1', 0xfe80_0000_0000_0000_0000_0000_0000_0001n],
    ['1:2:3:4:5:6:7::', 0x0001_0002_0003_0004_0005_0006_0007_0000n],
    ['::2:3:4:5:6:7:8', 0x0000_0002_0003_0004_0005_0006_0007_0008n],
    ['::fffe:1.2.3.4', 0xfffe_0102_0304n],
    ['::1.2.3.4', 0x0102_0304n],
    ['1:2:3:4:5:6:1.2.3.4', 0x0001_0002_0003_0004_0005_0006_0102_0304n],
    ['64:ff9b::192.0.2.33', 0x0064_ff9b_0000_0000_0000_0000_c000_0221n],
  ];
  for (const [text, value] of valid) {
    it(`reads ${text} as 0x${value.toString(16)}`, () => {
      assert.deepEqual(parseIp(text), { family: 6, v6: value });
    });
  }

  const invalid: Array<[string, string]> = [
    ['fe80::1%eth0', 'a zone id'],
    ['fe80::1%1', 'a numeric zone id'],
    ['[::1]', 'brackets'],
    ['[::1]:80', 'brackets with a port'],
    ['1:2:3:4:5:6:7:8:9', 'nine groups'],
    ['1:2:3:4:5:6:7:8::', 'eight groups and "::"'],
    ['::1:2:3:4:5:6:7:8', '"::" and eight groups'],
    ['1:2:3:4:5:6:7', 'seven groups without "::"'],
    ['1::2::3', '"::" twice'],
    ['::1::', '"::" twice at both ends'],
    [':::', 'three colons'],
    ['12345::1', 'a five-digit group'],
    ['g::1', 'a non-hex group'],
    [':1::2', 'a single leading colon'],
    ['1::2:', 'a single trailing colon'],
    ['1:', 'a lone trailing colon'],
    [':', 'a lone colon'],
    ['::1.2.3', 'a short embedded IPv4'],
    ['::256.1.1.1', 'an out-of-range embedded IPv4'],
    ['::01.2.3.4', 'an embedded IPv4 with a leading zero'],
    ['::1.2.3.4:5', 'an embedded IPv4 followed by a group'],
    ['1:2:3:4:5:6:7:1.2.3.4', 'seven groups and an embedded IPv4'],
    ['1.2.3.4:5::', 'an embedded IPv4 at the start'],
  ];
  for (const [text, why] of invalid) {
    it(`refuses ${text} (${why})`, () => {
      assert.equal(parseIp(text), undefined);
    });
  }

  it('refuses an embedded IPv4 that is followed by "::" (1.2.3.4::)', () => {
    assert.equal(parseIp('1.2.3.4::'), undefined);
    assert.equal(parseIp('1:2:3:4:5:1.2.3.4::'), undefined);
  });
});

describe('parseCidr', () => {
  const valid: Array<[string, string, number]> = [
    ['192.168.0.0/16', '192.168.0.0/16', 16],
    ['192.168.0.1/32', '192.168.0.1/32', 32],
    ['192.168.0.1', '192.168.0.1/32', 32],
    ['0.0.0.0/0', '0.0.0.0/0', 0],
    ['255.255.255.255', '255.255.255.255/32', 32],
    ['128.0.0.0/1', '128.0.0.0/1', 1],
    ['2002:c0a8:1::/64', '2002:c0a8:1::/64', 64],
    ['2002:c0a8:1::1', '2002:c0a8:1::1/128', 128],
    ['2002:c0a8:0001:0:0:0:0:1/128', '2002:c0a8:1::1/128', 128],
    ['::/0', '::/0', 0],
    ['::1', '::1/128', 128],
    ['fe80::/10', 'fe80::/10', 10],
  ];
  for (const [text, canonical, prefix] of valid) {
    it(`accepts ${text} as ${canonical}`, () => {
      const r = parseCidr(text);
      assert.ok(r.ok, r.ok ? '' : r.error);
      assert.equal(r.value.prefix, prefix);
      assert.equal(formatCidr(r.value), canonical);
    });
  }

  for (const text of ['10', '10/8', '10.0.0', '192.168/16', '172.16/12', '10.1/16']) {
    it(`refuses the IPv4 short form ${text}, as Go does, and says a full address is needed`, () => {
      const r = parseCidr(text);
      assert.equal(r.ok, false);
      assert.equal(r.ok ? '' : r.error, `invalid IP address syntax: "${text}" (IPv4 needs all four numbers, e.g. 10.0.0.0)`);
    });
  }

  const hostBits = ['192.168.0.1/24', '10.0.0.1/8', '11.0.0.0/7', '2002:c0a8:1::1/64', '::1/127', '0.0.0.1/0'];
  for (const text of hostBits) {
    it(`refuses ${text} because its host bits are not zero`, () => {
      const r = parseCidr(text);
      assert.equal(r.ok, false);
      assert.match(r.ok ? '' : r.error, /host part of address was not zero/);
    });
  }

  const badPrefix = ['1.2.3.4/33', '::/129', '1.2.3.4/', '1.2.3.0/-1', '1.2.3.0/a', '1.2.3.0/1000', '1.2.3.0/ 24'];
  for (const text of badPrefix) {
    it(`refuses ${JSON.stringify(text)} for its prefix length`, () => {
      const r = parseCidr(text);
      assert.equal(r.ok, false);
      assert.match(r.ok ? '' : r.error, /invalid prefix length/);
    });
  }

  const badAddress = ['HOME_NETs', '', '01.2.3.4/32', '256.0.0.0/8', '1.2.3.4.5', 'fe80::1%eth0/128', '[::1]/128', '1::2::3/128', 'any', ':1'];
  for (const text of badAddress) {
    it(`refuses ${JSON.stringify(text)} as invalid address syntax`, () => {
      const r = parseCidr(text);
      assert.equal(r.ok, false);
      assert.match(r.ok ? '' : r.error, /invalid IP address syntax/);
    });
  }

  it('marks /32 and /128 networks as hosts and nothing else', () => {
    assert.equal(isHostCidr(cidr('10.0.0.1')), true);
    assert.equal(isHostCidr(cidr('::1')), true);
    assert.equal(isHostCidr(cidr('10.0.0.0/31')), false);
    assert.equal(isHostCidr(cidr('::/127')), false);
  });
});

describe('cidrContains', () => {
  const table: Array<[string, string, boolean]> = [
    ['10.0.0.0/8', '10.0.0.0', true],
    ['10.0.0.0/8', '10.255.255.255', true],
    ['10.0.0.0/8', '11.0.0.0', false],
    ['10.0.0.0/8', '9.255.255.255', false],
    ['128.0.0.0/1', '200.1.2.3', true],
    ['128.0.0.0/1', '127.255.255.255', false],
    ['255.255.255.255/32', '255.255.255.255', true],
    ['192.168.0.1/32', '192.168.0.2', false],
    ['0.0.0.0/0', '1.2.3.4', true],
    ['0.0.0.0/0', '::1', false],
    ['::/0', '10.0.0.1', false],
    ['::/0', '2001:db8::1', true],
    ['10.0.0.0/8', '::ffff:10.0.0.1', true], // a mapped address is its IPv4 address
    ['::ffff:0:0/96', '10.0.0.1', false],
    ['::ffff:0:0/96', '::ffff:10.0.0.1', false],
    ['2002:c0a8:1::/64', '2002:c0a8:1::ffff', true],
    ['2002:c0a8:1::/64', '2002:c0a8:1:0:ffff:ffff:ffff:ffff', true],
    ['2002:c0a8:1::/64', '2002:c0a8:2::1', false],
    ['2002:c0a8:1::1/128', '2002:c0a8:1::1', true],
    ['2002:c0a8:1::1/128', '2002:c0a8:1::2', false],
  ];
  for (const [net, addr, expected] of table) {
    it(`${expected ? 'finds' : 'does not find'} ${addr} in ${net}`, () => {
      assert.equal(cidrContains(cidr(net), ip(addr)), expected);
    });
  }
});

describe('formatIp and formatCidr', () => {
  const v6: Array<[string, string]> = [
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // tie: the first run is compressed
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group is not compressed
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // the longest run is compressed
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['1:2:3:4:5:6:7:0', '1:2:3:4:5:6:7:0'],
    ['0:2:3:4:5:6:7:8', '0:2:3:4:5:6:7:8'],
    ['ABCD:EF01:0:0:0:0:0:0', 'abcd:ef01::'],
    ['2002:c0a8:0001:0:0:0:0:1', '2002:c0a8:1::1'],
    ['fe80:0:0:0:0:0:0:0', 'fe80::'],
  ];
  for (const [text, canonical] of v6) {
    it(`writes ${text} as ${canonical} (RFC 5952)`, () => {
      assert.equal(formatIp(ip(text)), canonical);
    });
  }

  it('writes IPv4 addresses in dotted decimal', () => {
    assert.equal(formatIp(ip('192.168.0.1')), '192.168.0.1');
    assert.equal(formatIp(ip('255.255.255.255')), '255.255.255.255');
    assert.equal(formatIp(ip('0.0.0.0')), '0.0.0.0');
  });

  it('writes networks with their canonical address and prefix', () => {
    assert.equal(formatCidr(cidr('2002:C0A8:0001:0000::/64')), '2002:c0a8:1::/64');
    assert.equal(formatCidr(cidr('10.0.0.0/8')), '10.0.0.0/8');
    assert.equal(formatCidr(cidr('255.255.255.0/24')), '255.255.255.0/24');
  });
});

describe('isGlobalIp (dsiem-backend.md 4.10)', () => {
  const notGlobal = [
    '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', // private
    '127.0.0.1', '127.255.255.254', // loopback
    '169.254.1.1', // link-local
    '255.255.255.255', // broadcast
    '192.0.2.1', '198.51.100.1', '203.0.113.255', // documentation
    '100.64.0.1', '100.127.255.255', // shared
    '192.0.0.0', '192.0.0.8', '192.0.0.11', '192.0.0.255', // 192.0.0/24 except .9 and .10
    '240.0.0.1', '250.1.2.3', // reserved
    '198.18.0.1', '198.19.255.255', // benchmarking
    '0.0.0.0', '0.1.2.3', // 0/8
    '::', '::1', 'fe80::1', 'febf:ffff::1', 'fc00::1', 'fd12:3456::1', '2001:db8::1', '2001:db8:ffff::1',
    'ff02::1', 'ff05::1', 'ff0f::1', // multicast with a scope other than global
  ];
  for (const text of notGlobal) {
    it(`treats ${text} as not global`, () => {
      assert.equal(isGlobalIp(ip(text)), false);
    });
  }

  const global = [
    '8.8.8.8', '1.1.1.1', '11.0.0.1', '172.15.255.255', '172.32.0.0', '192.169.0.1', '100.63.255.255',
    '100.128.0.0', '192.0.0.9', '192.0.0.10', '192.0.1.1', '198.17.255.255', '198.20.0.0', '169.255.0.1',
    '224.0.0.1', '239.255.255.255', // IPv4 multicast counts as global
    '2606:4700:4700::1111', '2001:4860:4860::8888', '2001:db9::1', 'fec0::1', 'fe00::1',
    'ff0e::1', 'ff1e::1', // multicast with the global scope nibble
  ];
  for (const text of global) {
    it(`treats ${text} as global`, () => {
      assert.equal(isGlobalIp(ip(text)), true);
    });
  }
});
