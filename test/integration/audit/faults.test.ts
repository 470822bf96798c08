/**
 * The audit trail under faults, with real parts:
 * - the PostgreSQL audit store becomes unreachable (a TCP relay in front of the machine's
 *   PostgreSQL is cut): requests get 503 + Retry-After and no data; when it returns, traffic flows;
 * - the chain stops (our own anvil, killed and restarted on its state): traffic continues, and
 *   anchoring resumes when it returns with nothing lost;
 * - the gateway is SIGKILLed under load (a real `custos start` process group): every event whose
 *   response was sent is in the log.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { connectChain } from '../../../src/adapters/ledger/chain-connection.js';
import { deployContracts } from '../../../src/adapters/ledger/deploy.js';
import { writeDeploymentRecord } from '../../../src/adapters/ledger/deployment-record.js';
import { readAnchoredCheckpoints } from '../../../src/adapters/ledger/checkpoint-reader.js';
import { startLocalChain, type LocalChain } from '../../../src/adapters/ledger/local-chain.js';
import { FileAuditStore } from '../../../src/adapters/store/file-audit-store.js';
import { verifyAuditLog } from '../../../src/audit/verify.js';
import { startSampleServer, type RunningSampleServer } from '../../../src/sample-server/server.js';
import { startTestGateway, TRANSPORT_ONLY, type TestGateway } from '../../support/gateway.js';

const PG_URL = process.env['CUSTOS_TEST_POSTGRES_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A TCP relay we can cut and restore: the network between the gateway and its database. */
class Relay {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;
  constructor(private readonly target: { host: string; port: number }) {}

  async open(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  async cut(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe('audit faults', () => {
  let sample: RunningSampleServer;
  before(async () => {
    sample = await startSampleServer({ patients: 4 });
  });
  after(() => sample?.close());

  describe('the PostgreSQL audit store becomes unreachable', () => {
    const schema = `custos_fault_${randomBytes(4).toString('hex')}`;
    const relay = new Relay({ host: '127.0.0.1', port: 5432 });
    let gateway: TestGateway;
    before(async () => {
      await relay.open();
      const url = new URL(PG_URL);
      url.port = String(relay.port);
      gateway = await startTestGateway(sample.url, { ...TRANSPORT_ONLY, CUSTOS_AUDIT_POSTGRES_URL: url.toString(), CUSTOS_AUDIT_POSTGRES_SCHEMA: schema, CUSTOS_AUDIT_RETRY_AFTER_SECONDS: '1' });
    });
    after(async () => {
      await gateway?.close();
      await relay.cut();
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    });

    it('answers 503 with Retry-After and no data while it cannot commit, and serves again once it is back', async () => {
      const before = await fetch(`${gateway.fhirBaseUrl}/Patient/pat-001`, { headers: gateway.auth });
      assert.equal(before.status, 200);
      await before.text();

      await relay.cut();
      const during = await fetch(`${gateway.fhirBaseUrl}/Patient/pat-001`, { headers: gateway.auth });
      const body = await during.text();
      assert.equal(during.status, 503);
      assert.equal(during.headers.get('retry-after'), '1');
      assert.match(body, /"resourceType":"OperationOutcome"/);
      assert.match(body, /no data is served without its audit record/);
      assert.doesNotMatch(body, /pat-001|MRN|"name"/, 'nothing of the patient in a 503');

      await relay.open(); // same port: the database is back
      let status = 0;
      for (let i = 0; i < 60 && status !== 200; i++) {
        await new Promise((r) => setTimeout(r, 250));
        const again = await fetch(`${gateway.fhirBaseUrl}/Patient/pat-001`, { headers: gateway.auth });
        status = again.status;
        await again.text();
      }
      assert.equal(status, 200, 'traffic flows again once the store is reachable');
    });
  });

  describe('the chain stops', () => {
    let chain: LocalChain;
    let gateway: TestGateway;
    let dataDir: string;
    let deployment: { auditAnchor: string };
    before(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'custos-chainfault-'));
      chain = await startLocalChain({ dataDir, stateIntervalSeconds: 1 });
      const connection = await connectChain({ rpcUrl: chain.rpcUrl, privateKey: chain.devKey(0) });
      const record = await deployContracts({ connection, model: 'opt-out' });
      connection.close();
      deployment = record;
      const file = join(dataDir, 'deployment.json');
      writeDeploymentRecord(file, record);
      gateway = await startTestGateway(sample.url, {
        ...TRANSPORT_ONLY,
        CUSTOS_DATA_DIR: join(dataDir, 'gateway'),
        CUSTOS_CHAIN_RPC_URL: chain.rpcUrl,
        CUSTOS_CHAIN_SIGNER_KEY: chain.devKey(0),
        CUSTOS_CHAIN_DEPLOYMENT_FILE: file,
        CUSTOS_CHAIN_MAX_STALENESS_MS: '600000',
        CUSTOS_CONSENT_PSEUDONYM_KEY: randomBytes(32).toString('hex'),
        CUSTOS_AUDIT_ANCHOR_INTERVAL_MS: '200',
      });
    });
    after(async () => {
      await gateway?.close();
      await chain?.close();
    });

    async function read(n: number): Promise<void> {
      for (let i = 0; i < n; i++) {
        const r = await fetch(`${gateway.fhirBaseUrl}/Patient/pat-00${1 + (i % 3)}`, { headers: gateway.auth });
        assert.equal(r.status, 200);
        await r.text();
      }
    }

    async function anchoredSize(rpcUrl: string): Promise<number> {
      const { checkpoints } = await readAnchoredCheckpoints(rpcUrl, deployment.auditAnchor);
      return Number(checkpoints.at(-1)?.treeSize ?? 0n);
    }

    it('keeps serving while the chain is down, and anchors everything once it is back', async () => {
      await read(5);
      const port = Number(new URL(chain.rpcUrl).port);
      await new Promise((r) => setTimeout(r, 1500));
      await chain.close(); // state dumped
      await read(10); // traffic continues (consent state within its staleness bound)
      await new Promise((r) => setTimeout(r, 600)); // anchoring fails a few times meanwhile
      chain = await startLocalChain({ dataDir, port, stateIntervalSeconds: 1 });
      await read(3);
      const total = 18;
      let size = 0;
      for (let i = 0; i < 100 && size < total; i++) {
        await new Promise((r) => setTimeout(r, 100));
        size = await anchoredSize(chain.rpcUrl).catch(() => 0);
      }
      assert.equal(size, total, 'the newest checkpoint covers every event, including those made while the chain was down');
    });
  });

  describe('the gateway is SIGKILLed under load', () => {
    it('loses no event whose response was sent', async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'custos-kill-'));
      const configFile = join(dataDir, 'custos.yaml');
      writeFileSync(configFile, `upstream:\n  url: ${sample.url}\nserver:\n  port: 0\nconsent:\n  model: opt-out\ndataDir: ${dataDir}\nlog:\n  level: warn\n`);
      const cli = new URL('../../../src/cli/main.js', import.meta.url).pathname;
      // Its own process group: the kill takes the gateway and its anvil child at once, like a crash of the box.
      const child = spawn(process.execPath, [cli, 'start', '--config', configFile], { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env } });
      const exited = new Promise((r) => child.once('exit', r));
      const fhirBase = await new Promise<string>((resolve, reject) => {
        let out = '';
        const timer = setTimeout(() => reject(new Error(`gateway did not start: ${out}`)), 60_000);
        child.stdout!.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const match = /FHIR gateway on (\S+)/.exec(out);
          if (match) {
            clearTimeout(timer);
            resolve(match[1]!);
          }
        });
        child.once('exit', (code) => reject(new Error(`gateway exited (${code}): ${out}`)));
      });
      const tokenOut = await new Promise<string>((resolve) => {
        const t = spawn(process.execPath, [cli, 'token', '--user', 'Practitioner/prac-01', '--scope', 'user/*.rs', '--data-dir', dataDir]);
        let out = '';
        t.stdout.on('data', (c: Buffer) => (out += c.toString()));
        t.on('exit', () => resolve(out.trim()));
      });
      const auth = { authorization: `Bearer ${tokenOut.split('\n').at(-1)}` };

      const acknowledged: string[] = [];
      let stop = false;
      const worker = async (w: number) => {
        for (let i = 0; !stop; i++) {
          const id = `kill-${w}-${i}`;
          try {
            const r = await fetch(`${fhirBase}/Patient/pat-00${1 + (i % 3)}`, { headers: { ...auth, 'x-request-id': id } });
            const text = await r.text();
            if (r.status === 200 && text.includes('"resourceType":"Patient"')) acknowledged.push(id);
          } catch {
            return; // the gateway is gone
          }
        }
      };
      const workers = Array.from({ length: 16 }, (_, w) => worker(w));
      // Killed mid-load once enough requests were answered (2.5 s here; far longer on a slow VM).
      const loadStarted = Date.now();
      while ((Date.now() - loadStarted < 2500 || acknowledged.length <= 150) && Date.now() - loadStarted < 30_000) await new Promise((r) => setTimeout(r, 100));
      process.kill(-child.pid!, 'SIGKILL');
      stop = true;
      await Promise.all(workers);
      await exited;
      assert.ok(acknowledged.length > 100, `load ran (${acknowledged.length} answers)`);

      const store = await FileAuditStore.open({ dir: join(dataDir, 'audit') });
      try {
        const logged = new Set<string>();
        for await (const event of store.scan(0, await store.size())) logged.add(event.facts.requestId);
        const lost = acknowledged.filter((id) => !logged.has(id));
        assert.deepEqual(lost, [], `${lost.length} of ${acknowledged.length} answered requests have no audit event`);
        const report = await verifyAuditLog(store.scan(0, await store.size()), []);
        // intact (hashes, indices, links); nothing anchored: the chain went down with the gateway
        assert.deepEqual(report.problems.map((p) => p.kind), ['not-anchored'], JSON.stringify(report.problems.slice(0, 3)));
      } finally {
        await store.close();
      }
    });
  });
});
