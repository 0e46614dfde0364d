import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildNetworkAssets, decodeAssetFile, type Asset } from '../../../src/asset/network-assets.js';
import { formatProblem } from '../../../src/config-files/config-problem.js';
import { anAsset, ip } from '../helpers.js';

const FILE = 'assets_testing.json';

function load(assets: unknown[]): Asset[] {
  const r = decodeAssetFile(FILE, JSON.stringify({ assets }));
  assert.deepEqual(r.problems.map(formatProblem), []);
  return r.assets;
}

/** Every problem of the file, one formatted line each (the text has no line breaks: everything is on line 1). */
function errorOf(assets: unknown[]): string {
  const r = decodeAssetFile(FILE, JSON.stringify({ assets }));
  assert.ok(r.problems.length > 0, 'the file was accepted');
  return r.problems.map(formatProblem).join('\n');
}

// The Rust port's fixture (dsiem-backend.md 3.4 and 8.2).
const FIXTURE = [
  { name: 'Firewall', cidr: '192.168.0.1/32', value: 5 },
  { name: 'VulnerabilityScanner', cidr: '192.168.0.2/32', value: 5, whitelisted: true },
  { name: '192-168-Net', cidr: '192.168.0.0/16', value: 5 },
  { name: '10-Net', cidr: '10.0.0.0/8', value: 5 },
  { name: '172-16-Net', cidr: '172.16.0.0/12', value: 5 },
  { name: 'firewall-ipv6', cidr: '2002:c0a8:0001:0:0:0:0:1/128', value: 5 },
  { name: '2002:c0a8:1::/64-Net', cidr: '2002:c0a8:1::/64', value: 2 },
];

describe('decodeAssetFile', () => {
  it('decodes the fixture file into assets with parsed networks', () => {
    const assets = load(FIXTURE);
    assert.equal(assets.length, 7);
    assert.deepEqual(
      assets.map((a) => [a.name, a.value, a.whitelisted, a.cidr.prefix]),
      [
        ['Firewall', 5, false, 32],
        ['VulnerabilityScanner', 5, true, 32],
        ['192-168-Net', 5, false, 16],
        ['10-Net', 5, false, 8],
        ['172-16-Net', 5, false, 12],
        ['firewall-ipv6', 5, false, 128],
        ['2002:c0a8:1::/64-Net', 2, false, 64],
      ],
    );
  });

  it('accepts an address without a prefix as a host entry', () => {
    const [a] = load([{ name: 'h', cidr: '10.9.9.9', value: 1 }]);
    assert.equal(a?.cidr.prefix, 32);
    const [b] = load([{ name: 'h6', cidr: '2001:db8::9', value: 1 }]);
    assert.equal(b?.cidr.prefix, 128);
  });

  it('refuses value 0, naming the file and the asset', () => {
    const error = errorOf([FIXTURE[0], { name: 'foo', cidr: '10.1.0.0/16', value: 0 }]);
    assert.match(error, /^assets_testing\.json:1:\d+: error: asset #2 "foo"/);
    assert.match(error, /"value"/);
  });

  it('refuses values that are not whole numbers from 1 to 255', () => {
    for (const value of [-1, 1.5, 256]) assert.match(errorOf([{ name: 'foo', cidr: '10.0.0.0/8', value }]), /asset #1 "foo".*"value"/);
  });

  it('refuses an empty name, naming the file and the asset position', () => {
    const error = errorOf([FIXTURE[0], FIXTURE[2], { name: '', cidr: '10.1.0.0/16', value: 3 }]);
    assert.match(error, /^assets_testing\.json:1:\d+: error: asset #3/);
    assert.match(error, /"name"/);
  });

  it('refuses a blank name', () => {
    assert.match(errorOf([{ name: '   ', cidr: '10.1.0.0/16', value: 3 }]), /asset #1.*"name"/);
  });

  it('reports the value and the name of one asset at once', () => {
    const lines = errorOf([{ name: '', cidr: '10.1.0.0/16', value: 0 }]).split('\n');
    assert.equal(lines.length, 2);
    assert.match(lines[0] ?? '', /field "value": must be a whole number from 1 to 255, got 0$/);
    assert.match(lines[1] ?? '', /field "name": cannot be empty$/);
  });

  it('reports every bad asset of a file, each with its line and column', () => {
    const text = JSON.stringify({ assets: [{ name: 'a', cidr: '10.0.0', value: 1 }, { name: 'b', cidr: '192.168/16', value: 1 }, { name: 'ok', cidr: '10.0.0.0/8', value: 1 }] }, null, 2);
    const r = decodeAssetFile(FILE, text);
    assert.deepEqual(r.assets.map((a) => a.name), ['ok']);
    assert.deepEqual(r.problems.map(formatProblem), [
      'assets_testing.json:5:15: error: asset #1 "a": field "cidr": is invalid: invalid IP address syntax: "10.0.0" (IPv4 needs all four numbers, e.g. 10.0.0.0)',
      'assets_testing.json:10:15: error: asset #2 "b": field "cidr": is invalid: invalid IP address syntax: "192.168/16" (IPv4 needs all four numbers, e.g. 10.0.0.0)',
    ]);
  });

  it('refuses an unknown field with a suggestion, and a value of the wrong type in words', () => {
    assert.equal(
      errorOf([{ name: 'a', cidr: '10.0.0.0/8', value: '3', whitelist: true }]),
      'assets_testing.json:1:52: error: asset #1 "a": field "value": expected a whole number, got "3"\n' +
        'assets_testing.json:1:56: error: asset #1 "a": field "whitelist": unknown field; did you mean "whitelisted"?',
    );
  });

  it('refuses a network whose host bits are set, naming the file, the asset and the problem', () => {
    const error = errorOf([{ name: 'bad-net', cidr: '192.168.0.1/24', value: 3 }]);
    assert.match(error, /^assets_testing\.json:1:\d+: error: asset #1 "bad-net"/);
    assert.match(error, /"cidr"/);
    assert.match(error, /host part of address was not zero/);
  });

  it('refuses an address that does not parse', () => {
    assert.match(errorOf([{ name: 'bad', cidr: '192.168.0.256', value: 3 }]), /asset #1 "bad".*invalid IP address syntax/);
  });

  it('refuses a file that is not JSON or lacks required fields, naming the file', () => {
    const notJson = decodeAssetFile(FILE, '{"assets": [');
    assert.deepEqual(notJson.problems.map(formatProblem), ['assets_testing.json:1:13: error: not valid JSON: the file ends too early']);
    const noCidr = decodeAssetFile(FILE, JSON.stringify({ assets: [{ name: 'x', value: 1 }] }));
    assert.deepEqual(noCidr.problems.map(formatProblem), ['assets_testing.json:1:12: error: asset #1 "x": field "cidr": missing: expected a string']);
  });
});

describe('buildNetworkAssets on the fixture', () => {
  const assets = buildNetworkAssets(load(FIXTURE));

  it('counts every asset, whitelisted ones included', () => {
    assert.equal(assets.count, 7);
  });

  it('whitelists exactly the whitelisted entries', () => {
    assert.equal(assets.isWhitelisted(ip('192.168.0.2')), true);
    assert.equal(assets.isWhitelisted(ip('192.168.0.1')), false);
    assert.equal(assets.isWhitelisted(ip('8.8.8.8')), false);
    assert.equal(assets.isWhitelisted(undefined), false);
  });

  it('puts non-whitelisted networks in HOME_NET, a whitelisted host inside one included', () => {
    assert.equal(assets.isHomeNet(ip('192.168.0.1')), true);
    assert.equal(assets.isHomeNet(ip('192.168.0.2')), true);
    assert.equal(assets.isHomeNet(ip('172.31.255.255')), true);
    assert.equal(assets.isHomeNet(ip('172.32.0.0')), false);
    assert.equal(assets.isHomeNet(ip('8.8.8.8')), false);
    assert.equal(assets.isHomeNet(ip('2002:c0a8:1::1')), true);
    assert.equal(assets.isHomeNet(ip('2002:c0a8:2::1')), false);
    assert.equal(assets.isHomeNet(undefined), false);
  });

  it('names hosts from their /32 or /128 entries', () => {
    assert.equal(assets.hostName(ip('192.168.0.1')), 'Firewall');
    assert.equal(assets.hostName(ip('2002:c0a8:1::1')), 'firewall-ipv6');
    assert.equal(assets.hostName(ip('2002:c0a8:1:0::0001')), 'firewall-ipv6');
  });

  it('gives no host name for a whitelisted host, a network member or an unknown address', () => {
    assert.equal(assets.hostName(ip('192.168.0.2')), undefined);
    assert.equal(assets.hostName(ip('192.168.0.3')), undefined);
    assert.equal(assets.hostName(ip('8.8.8.8')), undefined);
    assert.equal(assets.hostName(undefined), undefined);
  });

  it('lists the non-host HOME_NET networks containing an address, in canonical form', () => {
    assert.deepEqual(assets.networks(ip('192.168.0.1')), ['192.168.0.0/16']);
    assert.deepEqual(assets.networks(ip('10.1.2.3')), ['10.0.0.0/8']);
    assert.deepEqual(assets.networks(ip('2002:c0a8:1::1')), ['2002:c0a8:1::/64']);
    assert.deepEqual(assets.networks(ip('8.8.8.8')), []);
    assert.deepEqual(assets.networks(undefined), []);
  });

  it('values addresses by their assets', () => {
    assert.equal(assets.value(ip('192.168.0.1')), 5);
    assert.equal(assets.value(ip('2002:c0a8:1::1')), 5);
    assert.equal(assets.value(ip('2002:c0a8:1::2')), 2);
    assert.equal(assets.value(ip('8.8.8.8')), 0);
    assert.equal(assets.value(undefined), 0);
  });
});

describe('buildNetworkAssets: asset value (D1)', () => {
  const assets = buildNetworkAssets([
    anAsset('wide', '10.0.0.0/8', 2),
    anAsset('narrow', '10.1.0.0/16', 4),
    anAsset('host', '10.1.2.3/32', 3),
    anAsset('scanner', '10.1.2.4/32', 9, true),
    anAsset('whitelisted-net', '172.16.0.0/12', 7, true),
  ]);

  const table: Array<[string, number, string]> = [
    ['10.1.2.3', 4, 'the highest of the networks containing it, not the host entry'],
    ['10.1.2.4', 4, 'whitelisted assets do not count'],
    ['10.2.0.1', 2, 'only the wide network contains it'],
    ['172.16.0.1', 0, 'it is only in a whitelisted network'],
    ['8.8.8.8', 0, 'no asset contains it'],
  ];
  for (const [addr, value, why] of table) {
    it(`values ${addr} at ${value}: ${why}`, () => {
      assert.equal(assets.value(ip(addr)), value);
      assert.equal(assets.value(ip(addr)), value, 'a second lookup gives the same value');
    });
  }

  it('keeps a whitelisted-only network out of HOME_NET and out of networks()', () => {
    assert.equal(assets.isWhitelisted(ip('172.16.0.1')), true);
    assert.equal(assets.isHomeNet(ip('172.16.0.1')), false);
    assert.deepEqual(assets.networks(ip('172.16.0.1')), []);
  });

  it('lists every containing non-host network in asset order', () => {
    assert.deepEqual(assets.networks(ip('10.1.2.3')), ['10.0.0.0/8', '10.1.0.0/16']);
  });

  it('uses the highest value of a host that is both a host entry and in a better network', () => {
    const a = buildNetworkAssets([anAsset('host', '192.168.5.5', 5), anAsset('net', '192.168.0.0/16', 1)]);
    assert.equal(a.value(ip('192.168.5.5')), 5);
    assert.equal(a.value(ip('192.168.5.6')), 1);
  });

  it('does not mix up an IPv4 address and the IPv6 address with the same number (10.0.0.1, ::a00:1)', () => {
    const a = buildNetworkAssets([anAsset('ten', '10.0.0.0/8', 5)]);
    assert.equal(a.value(ip('10.0.0.1')), 5);
    assert.equal(a.value(ip('::a00:1')), 0);
    const b = buildNetworkAssets([anAsset('ten', '10.0.0.0/8', 5)]);
    assert.equal(b.value(ip('::a00:1')), 0);
    assert.equal(b.value(ip('10.0.0.1')), 5);
  });

  it('gives the same values with many networks (then values are kept per address), IPv4 and IPv6 apart', () => {
    // 30 networks 10.N.0.0/16 valued N + 1, an IPv6 network and a host: past the count where values are kept.
    const many = [
      ...Array.from({ length: 30 }, (_, n) => anAsset(`net${n}`, `10.${n}.0.0/16`, n + 1)),
      anAsset('v6', '::a00:0/104', 40),
      anAsset('host', '10.3.0.9', 50),
    ];
    const a = buildNetworkAssets(many);
    const cases: Array<[string, number]> = [['10.3.0.9', 50], ['10.3.0.8', 4], ['10.29.1.1', 30], ['10.30.0.1', 0], ['::a00:1', 40], ['10.0.0.1', 1], ['::a03:9', 40], ['8.8.8.8', 0]];
    for (const round of ['first', 'kept']) {
      for (const [addr, value] of cases) assert.equal(a.value(ip(addr)), value, `${addr} (${round} lookup)`);
    }
    assert.equal(a.hostName(ip('10.3.0.9')), 'host');
    assert.equal(a.hostName(ip('::a03:9')), undefined, 'the IPv6 address with the same number is not the host');
  });
});

describe('buildNetworkAssets: canonical networks and host names', () => {
  const assets = buildNetworkAssets(
    load([
      { name: 'v6-net', cidr: '2002:C0A8:0001:0000::/64', value: 1 },
      { name: 'ten', cidr: '10.0.0.0/8', value: 1 },
      { name: 'bare-host', cidr: '10.9.9.9', value: 1 },
      { name: 'v6-host', cidr: '2002:c0a8:1::2', value: 1 },
    ]),
  );

  it('writes networks in canonical form whatever the file says', () => {
    assert.deepEqual(assets.networks(ip('2002:c0a8:1::5')), ['2002:c0a8:1::/64']);
    assert.deepEqual(assets.networks(ip('10.9.9.9')), ['10.0.0.0/8']);
  });

  it('names hosts written without a prefix', () => {
    assert.equal(assets.hostName(ip('10.9.9.9')), 'bare-host');
    assert.equal(assets.hostName(ip('2002:c0a8:1::2')), 'v6-host');
  });
});
